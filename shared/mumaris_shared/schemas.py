"""Marshmallow building blocks every service's API schemas use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .events import isoformat
from .identity import normalise_email


class Strict(Schema):
    """A request body: a field the schema does not name is refused (422), never ignored."""

    class Meta:
        unknown = RAISE


class Normalised(fields.String):
    """A string made into its stored form by a domain rule; the rule's ValueError is the field's error."""

    def __init__(self, normalise: Callable[[str], str], **kwargs: Any):
        super().__init__(**kwargs)
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
    """Trimmed, not empty, at most `max_length` characters."""

    def __init__(self, max_length: int, *validators: Callable[[Any], Any], **kwargs: Any):
        super().__init__(validate=[validate.Length(min=1, max=max_length), *validators], **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Moment(fields.DateTime):
    """UTC, written like the events' times: 2026-11-25T10:00:00Z."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else isoformat(value)
