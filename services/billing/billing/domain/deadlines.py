"""The payment deadline (R4): fees are due `deadline` (P30D) after submission; reminders go out at
each offset of `reminders` (P7D, P1D) before it, each once per request (the shared reminder policy,
`mumaris_shared.reminders`); unsettled at the deadline, the request expires."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mumaris_shared.reminders import Reminder, Reminders, ReminderStep, parse_reminders

__all__ = ["DeadlinePolicy", "Reminder", "ReminderStep", "parse_reminders"]


@dataclass(frozen=True)
class DeadlinePolicy:
    deadline: timedelta = timedelta(days=30)
    reminders: tuple[Reminder, ...] = field(default_factory=lambda: parse_reminders("P7D,P1D"))

    def due_at(self, submitted_at: datetime) -> datetime:
        return submitted_at + self.deadline

    def first_check_at(self, assessed_at: datetime, due_at: datetime) -> datetime:
        return Reminders(self.reminders).first_check_at(assessed_at, due_at)

    def step(self, assessed_at: datetime, due_at: datetime, sent: set[str], now: datetime) -> ReminderStep:
        """`ended`: the deadline has passed, the request expires."""
        return Reminders(self.reminders).step(assessed_at, due_at, sent, now)
