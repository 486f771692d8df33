"""The payment deadline (R4): fees are due `deadline` (P30D) after submission; reminders go out at
each offset of `reminders` (P7D, P1D) before it, each once per request; unsettled at the deadline,
the request expires.

A reminder whose moment had already passed when the fees were assessed is not sent (a deadline
shorter than the offset). When several reminders fell due while no scheduler ran, only the latest
one (the nearest to the deadline) is sent and the earlier ones are counted as sent: one e-mail
saying "one day left" is better than two arriving together."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mumaris_shared.config import parse_duration


@dataclass(frozen=True)
class Reminder:
    name: str  # the ISO 8601 duration as configured: "P7D"
    before: timedelta


def parse_reminders(text: str) -> tuple[Reminder, ...]:
    """`P7D,P1D` → reminders, the earliest first; an empty setting means no reminders."""
    reminders = {Reminder(part.strip(), parse_duration(part.strip())) for part in text.split(",") if part.strip()}
    return tuple(sorted(reminders, key=lambda r: r.before, reverse=True))


@dataclass(frozen=True)
class Step:
    """What the scheduler does for one request now."""

    remind: Reminder | None  # the reminder to send now, if any
    mark_sent: tuple[str, ...]  # every reminder to count as sent (the one sent and any skipped)
    expire: bool
    next_check_at: datetime | None  # when to look at the request again (None: never)


@dataclass(frozen=True)
class DeadlinePolicy:
    deadline: timedelta = timedelta(days=30)
    reminders: tuple[Reminder, ...] = field(default_factory=lambda: parse_reminders("P7D,P1D"))

    def due_at(self, submitted_at: datetime) -> datetime:
        return submitted_at + self.deadline

    def _pending(self, assessed_at: datetime, due_at: datetime, sent: set[str]) -> list[tuple[Reminder, datetime]]:
        return [
            (r, due_at - r.before) for r in self.reminders if r.name not in sent and due_at - r.before > assessed_at
        ]

    def first_check_at(self, assessed_at: datetime, due_at: datetime) -> datetime:
        moments = [moment for _r, moment in self._pending(assessed_at, due_at, set())]
        return min([*moments, due_at])

    def step(self, assessed_at: datetime, due_at: datetime, sent: set[str], now: datetime) -> Step:
        if now >= due_at:
            return Step(remind=None, mark_sent=(), expire=True, next_check_at=None)
        pending = self._pending(assessed_at, due_at, sent)
        passed = [(r, moment) for r, moment in pending if moment <= now]
        later = [moment for _r, moment in pending if moment > now]
        remind = max(passed, key=lambda item: item[1])[0] if passed else None
        return Step(
            remind=remind,
            mark_sent=tuple(r.name for r, _m in passed),
            expire=False,
            next_check_at=min([*later, due_at]),
        )
