"""The fee schedule (R3): every request owes an administrative fee and a fee set by the
practitioner's professional category — the service (classification) fee for a registration, the
renewal fee for a renewal — in integer halalas. The amounts live in a
JSON file operations can change (`billing/fee_schedule.json`, or the file `BILLING_FEE_SCHEDULE`
names); it is validated when the service starts, so a bad file stops it rather than a request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from mumaris_shared.contracts import CATEGORIES, FeeKind, RequestKind

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
    renewal_halalas = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CATEGORIES)),
        values=fields.Integer(strict=True, validate=validate.Range(min=0)),
        required=True,
    )


# The fee set by the category, by kind of request.
CATEGORY_FEE = {RequestKind.REGISTRATION: FeeKind.SERVICE, RequestKind.RENEWAL: FeeKind.RENEWAL}


@dataclass(frozen=True)
class FeeSchedule:
    administrative_halalas: int
    service_halalas: dict[str, int]
    renewal_halalas: dict[str, int]

    @classmethod
    def load(cls, path: Path | str = DEFAULT_SCHEDULE) -> FeeSchedule:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            data = _ScheduleSchema().load(raw)
        except (OSError, ValueError, ValidationError) as exc:
            raise InvalidFeeSchedule(f"fee schedule {path}: {exc}") from exc
        for kind in ("service", "renewal"):
            missing = sorted(set(CATEGORIES) - set(data[f"{kind}_halalas"]))
            if missing:
                raise InvalidFeeSchedule(f"fee schedule {path}: no {kind} fee for {', '.join(missing)}")
        return cls(data["administrative_halalas"], dict(data["service_halalas"]), dict(data["renewal_halalas"]))

    def category_fee(self, category: str, kind: str = RequestKind.REGISTRATION) -> tuple[FeeKind, int]:
        """The fee a request of `kind` owes for `category`: (its fee kind, amount in halalas)."""
        fee_kind = CATEGORY_FEE[RequestKind(kind)]
        amounts = self.service_halalas if fee_kind == FeeKind.SERVICE else self.renewal_halalas
        return fee_kind, amounts[category]

    def fees_for(self, category: str, kind: str = RequestKind.REGISTRATION) -> dict[FeeKind, int]:
        """The two fees of a request of `kind` and `category`: {fee kind: amount in halalas}."""
        fee_kind, amount = self.category_fee(category, kind)
        return {FeeKind.ADMINISTRATIVE: self.administrative_halalas, fee_kind: amount}

    def classification_difference(self, kind: str, before: str, after: str) -> int:
        """What reclassifying a request of `kind` from category `before` to `after` changes its
        category fee by, in halalas (negative: it owes less)."""
        return self.category_fee(after, kind)[1] - self.category_fee(before, kind)[1]
