"""Settings from the environment (and `.env` at the working directory), parsed once, typed."""

from __future__ import annotations

import calendar
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import overload

from dotenv import load_dotenv

load_dotenv(Path.cwd() / ".env", override=False)

_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration without years or months (their length varies): P30D, PT10M, PT0.5S."""
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        raise ValueError(f"not an ISO 8601 duration (PnWnDTnHnMnS): {text!r}")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    return timedelta(**parts)


def format_duration(duration: timedelta) -> str:
    """The ISO 8601 form `parse_duration` reads: P30D, PT10M, P1DT2H, PT0.5S (P0D for nothing)."""
    seconds = duration.total_seconds()
    if seconds < 0:
        raise ValueError("a negative duration has no ISO 8601 form here")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    time = "".join(f"{value:g}{unit}" for value, unit in ((hours, "H"), (minutes, "M"), (rest, "S")) if value)
    return f"P{int(days)}D" if not time else f"P{f'{int(days)}D' if days else ''}T{time}"


_YEARS_MONTHS = re.compile(r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?P<rest>(?:\d+[WD])*(?:T.*)?)$")


@dataclass(frozen=True)
class Period:
    """An ISO 8601 duration that may have years and months (P2Y, P1Y6M, P90D, PT20S): added to a
    moment by the calendar, so a licence approved on 29 February 2028 for P2Y runs to 28 February
    2030, not 730 days."""

    text: str
    years: int = 0
    months: int = 0
    rest: timedelta = timedelta(0)

    def after(self, moment: datetime) -> datetime:
        return _add_months(moment, 12 * self.years + self.months) + self.rest

    def before(self, moment: datetime) -> datetime:
        return _add_months(moment - self.rest, -(12 * self.years + self.months))

    def __str__(self) -> str:
        return self.text


def parse_period(text: str) -> Period:
    """`P2Y`, `P1Y6M`, `P90D`, `PT20S`: years and months by the calendar, the rest as `parse_duration`."""
    text = text.strip()
    match = _YEARS_MONTHS.match(text)
    if not match or text in ("P", "PT"):
        raise ValueError(f"not an ISO 8601 duration (PnYnMnWnDTnHnMnS): {text!r}")
    rest = match.group("rest")
    return Period(
        text,
        int(match.group("years") or 0),
        int(match.group("months") or 0),
        parse_duration("P" + rest) if rest else timedelta(0),
    )


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@overload
def env(name: str) -> str | None: ...


@overload
def env(name: str, default: str) -> str: ...


def env(name: str, default: str | None = None) -> str | None:
    """The setting `name` from the environment; unset or empty, `default`."""
    value = os.environ.get(name)
    return value if value else default


def env_duration(name: str, default: str) -> timedelta:
    return parse_duration(env(name, default))


def env_period(name: str, default: str) -> Period:
    return parse_period(env(name, default))


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def var_dir() -> Path:
    path = Path(env("MUMARIS_VAR_DIR", "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else `DATABASE_URL`, else the service's own SQLite file under var/."""
    return env(f"{service.upper()}_DATABASE_URL") or env("DATABASE_URL") or f"sqlite:///{var_dir() / service}.db"


def rabbitmq_url() -> str:
    return env("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def jwks_url() -> str:
    return env("ACCOUNTS_JWKS_URL", "http://127.0.0.1:8101/.well-known/jwks.json")


TOKEN_ISSUER = "mumaris-accounts"
TOKEN_AUDIENCE = "mumaris"
