"""Continuing professional development (CPD): renewing a licence needs the hours its holder's
category requires for the licence's period (docs/rules.md, "CPD hours"). The requirement per
category is a settings file (`applications/cpd_hours.json`, or the file APPLICATIONS_CPD_HOURS
names), checked when the service starts. Hours count when the activity took place within the
licence's current period and a reviewer has not rejected it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from mumaris_shared.contracts import CATEGORIES

DEFAULT_REQUIREMENTS = Path(__file__).resolve().parent.parent / "cpd_hours.json"
MAX_HOURS_PER_ACTIVITY = Decimal(200)


class CpdStatus(StrEnum):
    PENDING = "pending"  # recorded, not yet looked at by a reviewer
    ACCEPTED = "accepted"
    REJECTED = "rejected"


COUNTED = (CpdStatus.PENDING, CpdStatus.ACCEPTED)


class InvalidCpdRequirements(ValueError):
    pass


@dataclass(frozen=True)
class CpdRequirements:
    hours: dict[str, Decimal]  # category -> hours per licence period

    @classmethod
    def load(cls, path: Path | str = DEFAULT_REQUIREMENTS) -> CpdRequirements:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))["hours_per_licence_period"]
            hours = {category: Decimal(str(value)) for category, value in raw.items()}
        except (OSError, ValueError, KeyError, TypeError, ArithmeticError) as exc:
            raise InvalidCpdRequirements(f"CPD hours {path}: {exc}") from exc
        missing = sorted(set(CATEGORIES) - set(hours))
        unknown = sorted(set(hours) - set(CATEGORIES))
        if missing or unknown or any(value < 0 for value in hours.values()):
            raise InvalidCpdRequirements(
                f"CPD hours {path}: every category once, none negative (missing {missing}, unknown {unknown})"
            )
        return cls(hours)

    def required(self, category: str) -> Decimal:
        return self.hours[category]


@dataclass(frozen=True)
class Activity:
    on: date
    hours: Decimal
    status: str


def hours_counted(activities: Iterable[Activity], period_from: date, period_until: date) -> Decimal:
    """The hours that count towards a renewal: within the period (both ends included), not rejected."""
    return sum((a.hours for a in activities if period_from <= a.on <= period_until and a.status in COUNTED), Decimal(0))


def shortfall(counted: Decimal, required: Decimal) -> Decimal:
    """How many hours are still missing (0 when enough)."""
    return max(required - counted, Decimal(0))


def valid_hours(hours: Decimal) -> None:
    """An activity's hours: more than 0, at most MAX_HOURS_PER_ACTIVITY, in quarter hours (ValueError)."""
    if not Decimal(0) < hours <= MAX_HOURS_PER_ACTIVITY or (hours * 4) % 1:
        raise ValueError(f"hours must be more than 0 and at most {MAX_HOURS_PER_ACTIVITY}, in quarter hours")


def took_place(on: date, today: date) -> None:
    """An activity is recorded once it took place, not before (ValueError)."""
    if on > today:
        raise ValueError("an activity cannot take place in the future")
