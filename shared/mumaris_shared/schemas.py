"""Marshmallow building blocks every service's API schemas use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .contracts import Decision
from .events import isoformat
from .identity import NOT_BLANK, WHITE_SPACE, normalise_email


class Strict(Schema):
    """A request body: a field the schema does not name is refused (422), never ignored."""

    class Meta:
        unknown = RAISE


class Normalised(fields.String):
    """A string made into its stored form by a domain rule; the rule's ValueError is the field's
    error. `openapi` says in the OpenAPI document what the rule accepts (pattern, lengths)."""

    def __init__(self, normalise: Callable[[str], str], openapi: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(metadata={**(openapi or {}), **kwargs.pop("metadata", {})}, **kwargs)
        self.normalise = normalise

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        try:
            return self.normalise(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class NormalisedEmail(fields.Email):
    """Normalised (trimmed, lower case) before the format check, so " Sara@Example.com " is
    accepted as sara@example.com."""

    def __init__(self, **kwargs: Any):
        super().__init__(validate=validate.Length(max=254), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        return normalise_email(super()._deserialize(value, attr, data, **kwargs))


class Text(fields.String):
    """At most `max_length` characters as sent, not blank (or matching the Regexp given, which the
    OpenAPI document then shows); kept trimmed."""

    def __init__(self, max_length: int, *validators: Callable[[Any], Any], **kwargs: Any):
        if not any(isinstance(v, validate.Regexp) for v in validators):
            validators = (*validators, validate.Regexp(f"[{WHITE_SPACE}]*{NOT_BLANK}", error="must not be blank"))
        super().__init__(validate=[*validators, validate.Length(min=1, max=max_length)], **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        super()._validate(text)  # as sent: trimming must not make a too-long text fit, nor a short one fail
        return text.strip()

    def _validate(self, value: Any) -> None:
        """Judged as sent, in _deserialize."""


def decision_rules(*, reject_forbids: tuple[str, ...] = ()) -> dict[str, Any]:
    """A decision's rule that a rejection needs a reason (and carries none of `reject_forbids`), as
    JSON Schema for a decision schema's `Meta.openapi` (mumaris_shared.web.SchemaRules); each
    service enforces it where it decides."""
    reject: dict[str, Any] = {
        "properties": {
            "decision": {"enum": [Decision.REJECT.value]},
            "reason": {"type": "string", "pattern": NOT_BLANK},
        },
        "required": ["reason"],
    }
    if reject_forbids:
        reject["not"] = {"anyOf": [{"required": [name]} for name in reject_forbids]}
    return {"oneOf": [{"properties": {"decision": {"enum": [Decision.APPROVE.value]}}}, reject]}


class Moment(fields.DateTime):
    """UTC, written like the events' times: 2026-11-25T10:00:00Z."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else isoformat(value)
