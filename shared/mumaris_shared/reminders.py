"""Reminders before a moment, each sent once: the payment deadline's (billing, R4) and the licence's
expiry (applications). One policy for both, so "remind at each offset before the end, once, and
say so only once if several fell due together" is written once.

A reminder whose moment had already passed when the clock started (an end closer than the offset)
is not sent. When several reminders fell due while no scheduler ran, only the latest one (the
nearest to the end) is sent and the earlier ones are counted as sent: one e-mail saying "one day
left" is better than two arriving together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .config import parse_duration


@dataclass(frozen=True)
class Reminder:
    name: str  # the ISO 8601 duration as configured: "P7D"
    before: timedelta


def parse_reminders(text: str) -> tuple[Reminder, ...]:
    """`P7D,P1D` → reminders, the earliest first; an empty setting means no reminders."""
    reminders = {Reminder(part.strip(), parse_duration(part.strip())) for part in text.split(",") if part.strip()}
    return tuple(sorted(reminders, key=lambda r: r.before, reverse=True))


@dataclass(frozen=True)
class ReminderStep:
    """What a scheduler does now about one thing reminded of."""

    remind: Reminder | None  # the reminder to send now, if any
    mark_sent: tuple[str, ...]  # every reminder to count as sent (the one sent and any skipped)
    ended: bool  # the end has come
    next_check_at: datetime | None  # when to look again (None: never)


@dataclass(frozen=True)
class Reminders:
    """Reminders at each of `offsets` before an end, counted from `started_at`."""

    offsets: tuple[Reminder, ...] = ()

    def _pending(self, started_at: datetime, end: datetime, sent: Iterable[str]) -> list[tuple[Reminder, datetime]]:
        sent = set(sent)
        return [(r, end - r.before) for r in self.offsets if r.name not in sent and end - r.before > started_at]

    def first_check_at(self, started_at: datetime, end: datetime, *also: datetime) -> datetime:
        """The first moment to look: the first reminder, the end, or any of `also` still ahead."""
        moments = [moment for _r, moment in self._pending(started_at, end, ())]
        return min([*moments, *(m for m in also if m > started_at), end])

    def step(
        self, started_at: datetime, end: datetime, sent: Iterable[str], now: datetime, *also: datetime
    ) -> ReminderStep:
        """What is due at `now`; `also` are other moments the caller must be woken at (a change of
        state before the end)."""
        if now >= end:
            return ReminderStep(remind=None, mark_sent=(), ended=True, next_check_at=None)
        pending = self._pending(started_at, end, sent)
        passed = [(r, moment) for r, moment in pending if moment <= now]
        later = [moment for _r, moment in pending if moment > now] + [m for m in also if m > now]
        remind = max(passed, key=lambda item: item[1])[0] if passed else None
        return ReminderStep(
            remind=remind,
            mark_sent=tuple(r.name for r, _m in passed),
            ended=False,
            next_check_at=min([*later, end]),
        )
