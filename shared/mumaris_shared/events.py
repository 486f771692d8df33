"""The one event envelope every message on `mumaris.events` carries (docs/events.md)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from .quick_check import schema_check

EXCHANGE = "mumaris.events"


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, Any]
    producer: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    version: int = 1
    occurred_at: str = field(default_factory=lambda: isoformat(utcnow()))
    correlation_id: str | None = None
    causation_id: str | None = None

    def __post_init__(self) -> None:
        # An event that starts a chain correlates with itself.
        if self.correlation_id is None:
            object.__setattr__(self, "correlation_id", self.id)

    def caused(self, type: str, data: dict[str, Any], producer: str) -> Event:
        """A new event caused by this one: same correlation, causation pointing here."""
        return Event(type=type, data=data, producer=producer, correlation_id=self.correlation_id, causation_id=self.id)

    def to_json(self) -> str:
        # The fields as they are (asdict would deep-copy the data first, for nothing).
        return json.dumps(vars(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, body: bytes | str) -> Event:
        """Parse and validate an envelope; raises `MalformedEvent` for anything else."""
        try:
            raw = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedEvent(f"not JSON: {exc}") from exc
        if _ENVELOPE_CHECK(raw):  # the envelope's fields as they are (the quick check is sound)
            return cls(data=raw["data"], **{name: raw[name] for name in _ENVELOPE_FIELDS})
        try:
            return cls(**_ENVELOPE.load(raw))
        except (ValidationError, TypeError) as exc:
            raise MalformedEvent(f"not an event envelope: {exc}") from exc


class MalformedEvent(ValueError):
    pass


class _EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # a newer producer may add envelope fields; old consumers ignore them

    id = fields.String(required=True)
    type = fields.String(required=True)
    version = fields.Integer(required=True)
    occurred_at = fields.String(required=True)
    producer = fields.String(required=True)
    correlation_id = fields.String(required=True, allow_none=True)
    causation_id = fields.String(required=True, allow_none=True)
    data = fields.Dict(required=True)


_ENVELOPE = _EnvelopeSchema()  # a schema holds no state between loads: one serves every message
_ENVELOPE_CHECK = schema_check(_ENVELOPE) or (lambda raw: False)
_ENVELOPE_FIELDS = [name for name in _ENVELOPE.fields if name != "data"]
