"""The licence an approval grants: how long it is valid, when renewal opens, and when its holder is
reminded (docs/rules.md, "The licence"). Its statuses and their changes are `lifecycle.LICENCE_RULES`.

- Approval of a registration starts a licence valid for `validity` (LICENCE_VALIDITY, P2Y).
- It is `expiring` from `renewal_window` (LICENCE_RENEWAL_WINDOW, P90D) before its end, and
  `expired` at its end unless a renewal was approved.
- A renewal approved before the end adds `validity` to the end, so renewing early loses no day; one
  approved after it lapsed runs `validity` from the approval.
- Reminders (LICENCE_REMINDERS, P90D,P30D,P7D before the end) are sent once each, by the same
  reminder policy as the payment deadline's (`mumaris_shared.reminders`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mumaris_shared.config import Period, parse_period
from mumaris_shared.reminders import Reminder, Reminders, ReminderStep, parse_reminders

from .lifecycle import ACTIVE, EXPIRED, EXPIRING


@dataclass(frozen=True)
class LicencePolicy:
    validity: Period = field(default_factory=lambda: parse_period("P2Y"))
    renewal_window: timedelta = timedelta(days=90)
    reminders: tuple[Reminder, ...] = field(default_factory=lambda: parse_reminders("P90D,P30D,P7D"))

    def first_valid_until(self, approved_at: datetime) -> datetime:
        """The end of a licence started by an approval at `approved_at`."""
        return self.validity.after(approved_at)

    def renewed_until(self, valid_until: datetime, approved_at: datetime) -> datetime:
        """The new end of a licence whose renewal was approved at `approved_at`."""
        return self.validity.after(max(valid_until, approved_at))

    def renewal_opens_at(self, valid_until: datetime) -> datetime:
        return valid_until - self.renewal_window

    def status_at(self, valid_until: datetime, now: datetime) -> str:
        """What the licence is at `now` by its dates alone (the scheduler makes it so)."""
        if now >= valid_until:
            return EXPIRED
        return EXPIRING if now >= self.renewal_opens_at(valid_until) else ACTIVE

    def first_check_at(self, valid_from: datetime, valid_until: datetime) -> datetime:
        return Reminders(self.reminders).first_check_at(valid_from, valid_until, self.renewal_opens_at(valid_until))

    def step(self, valid_from: datetime, valid_until: datetime, sent: set[str], now: datetime) -> ReminderStep:
        """The reminder due now (if any), whether the licence ended, and when to look again: at the
        next reminder, at the opening of the renewal window, or at the end."""
        return Reminders(self.reminders).step(valid_from, valid_until, sent, now, self.renewal_opens_at(valid_until))
