"""The fee schedule (R3): every request owes an administrative fee and a service (classification)
fee set by the practitioner's professional category, in integer halalas. The amounts live in a
JSON file operations can change (`billing/fee_schedule.json`, or the file `BILLING_FEE_SCHEDULE`
names); it is validated when the service starts, so a bad file stops it rather than a request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from mumaris_shared.contracts import CATEGORIES, FeeKind

DEFAULT_SCHEDULE = Path(__file__).resolve().parent.parent / "fee_schedule.json"


class InvalidFeeSchedule(ValueError):
    pass


class _ScheduleSchema(Schema):
    class Meta:
        unknown = RAISE

    currency = fields.String(required=True, validate=validate.Equal("SAR"))
    administrative_halalas = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    service_halalas = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CATEGORIES)),
        values=fields.Integer(strict=True, validate=validate.Range(min=0)),
        required=True,
    )


@dataclass(frozen=True)
class FeeSchedule:
    administrative_halalas: int
    service_halalas: dict[str, int]

    @classmethod
    def load(cls, path: Path | str = DEFAULT_SCHEDULE) -> FeeSchedule:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            data = _ScheduleSchema().load(raw)
        except (OSError, ValueError, ValidationError) as exc:
            raise InvalidFeeSchedule(f"fee schedule {path}: {exc}") from exc
        missing = sorted(set(CATEGORIES) - set(data["service_halalas"]))
        if missing:
            raise InvalidFeeSchedule(f"fee schedule {path}: no service fee for {', '.join(missing)}")
        return cls(data["administrative_halalas"], dict(data["service_halalas"]))

    def fees_for(self, category: str) -> dict[FeeKind, int]:
        """The two fees of a request of `category`: {kind: amount in halalas}."""
        return {FeeKind.ADMINISTRATIVE: self.administrative_halalas, FeeKind.SERVICE: self.service_halalas[category]}
