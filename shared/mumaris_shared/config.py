"""Settings from the environment (and `.env` at the working directory), parsed once, typed.

`MUMARIS_ENV` says how the platform runs: `development` (the default, what `make run` gives) or
`production`. A setting that holds a secret is declared as a `Secret`; production refuses to start
while one is missing or still has its development value (docs/security.md)."""

from __future__ import annotations

import calendar
import math
import os
import re
from collections.abc import Iterable
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


def env_flag(name: str) -> bool:
    """A setting that is on (`1`) or off (`0`, and unset); anything else is refused."""
    value = env(name, "0")
    if value not in ("0", "1"):
        raise ValueError(f"{name} must be 0 or 1, not {value!r}")
    return value == "1"


def var_dir() -> Path:
    path = Path(env("MUMARIS_VAR_DIR", "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else `DATABASE_URL`, else the service's own SQLite file under var/."""
    return env(f"{service.upper()}_DATABASE_URL") or env("DATABASE_URL") or f"sqlite:///{var_dir() / service}.db"


def rabbitmq_url() -> str:
    """Where the broker is: its node and virtual host. Each service connects there as its own
    user (`broker_access.service_url`); credentials written here are for operators' tools."""
    return env("RABBITMQ_URL", "amqp://127.0.0.1:5672/%2F")


def jwks_url() -> str:
    return env("ACCOUNTS_JWKS_URL", "http://127.0.0.1:8101/.well-known/jwks.json")


def jwks_refresh() -> timedelta:
    """How often verifiers read the published keys again (`ACCOUNTS_JWKS_REFRESH`, PT1M): a
    revoked key stops verifying within this."""
    return env_duration("ACCOUNTS_JWKS_REFRESH", "PT1M")


# --- web processes (gunicorn: mumaris_shared.gunicorn_settings) ------------------------------------------
def available_cpus() -> int:
    """The CPUs this process may run on, fewer under a container's CPU limit (cgroup v2 cpu.max)."""
    count = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            count = min(count, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return count


def _positive(name: str, default: int) -> int:
    value = env_int(name, default)
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")
    return value


def web_workers() -> int:
    """`WEB_WORKERS`: gunicorn worker processes per web process; by default one per available CPU
    and one more. Each serves one request at a time (WEB_THREADS, 1): while one waits on the
    database or another service, the spare one has the CPU. More than one spare only switched
    among themselves: on 2 CPUs, four workers served PostgreSQL's look-ups at nine tenths of three's
    rate (docs/performance.md)."""
    return _positive("WEB_WORKERS", available_cpus() + 1)


def web_threads() -> int:
    """`WEB_THREADS`: requests each worker serves at once. 1, the default, is gunicorn's sync
    worker: one request at a time, the gateway in front buffering slow clients. More is its gthread
    worker, whose threads share one interpreter lock: behind the gateway it served the read path
    at four fifths of the rate, with two to three times the 99th percentile (docs/performance.md)."""
    return _positive("WEB_THREADS", 1)


def web_access_log() -> bool:
    """`WEB_ACCESS_LOG`: whether gunicorn writes a line for each request (`1`) or not (`0`, the
    default). The gateway writes one for every request it passes on, with its request id, the
    service that answered and the times; a second line in the service costs a tenth of a look-up."""
    return env_flag("WEB_ACCESS_LOG")


TOKEN_ISSUER = "mumaris-accounts"
TOKEN_AUDIENCE = "mumaris"


# --- development or production ----------------------------------------------------------------------
DEVELOPMENT = "development"
PRODUCTION = "production"


class InsecureSetting(SystemExit):
    """Production refuses to run so. A SystemExit: a process stops with this one line on stderr
    and exit code 1, whatever it was doing (gunicorn's workers: `web.wsgi_app`)."""

    def __init__(self, problem: str):
        super().__init__(f"refusing to start in production: {problem}")


def environment() -> str:
    """`MUMARIS_ENV`: development (the default) or production."""
    value = env("MUMARIS_ENV", DEVELOPMENT)
    if value not in (DEVELOPMENT, PRODUCTION):
        raise InsecureSetting(f"MUMARIS_ENV is {value!r}; it is {DEVELOPMENT} or {PRODUCTION}")
    return value


def in_production() -> bool:
    return environment() == PRODUCTION


@dataclass(frozen=True)
class Secret:
    """A setting that holds a secret. Development uses `dev_default` when it is unset (None: the
    caller makes its own); production refuses a missing value or the development one, naming the
    setting. Declare each once, beside the settings that use it, and list it in the service's
    `bootstrap.PRODUCTION_CHECKS`, which every process of the service checks as it starts."""

    name: str
    dev_default: str | None = None

    def value(self) -> str | None:
        value = env(self.name)
        if in_production():
            if value is None:
                raise InsecureSetting(f"{self.name} is not set; give it a secret of your own")
            if value == self.dev_default:
                raise InsecureSetting(f"{self.name} still has its development value; give it a secret of your own")
            if value.startswith("<") and value.endswith(">"):
                raise InsecureSetting(f"{self.name} is still the example's placeholder; give it a secret of your own")
            return value
        return self.dev_default if value is None else value

    def required(self) -> str:
        """The value; a secret with no development default must be set in development too."""
        value = self.value()
        if value is None:
            raise ValueError(f"{self.name} is not set")
        return value


@dataclass(frozen=True)
class DevelopmentOnly:
    """A setting one of whose values production refuses (`BILLING_PAYMENT_PROVIDER=sandbox`: the
    sandbox lets payers mark their own fees paid); `why` says why, in the refusal."""

    name: str
    refused: str
    default: str
    why: str

    def value(self) -> str:
        value = env(self.name, self.default)
        if value == self.refused and in_production():
            raise InsecureSetting(f"{self.name}={value} is for development only: {self.why}")
        return value


Checked = Secret | DevelopmentOnly


def secret(name: str, dev_default: str | None = None) -> str | None:
    """The value of the secret setting `name` (see `Secret`)."""
    return Secret(name, dev_default).value()


def refuse_insecure(checks: Iterable[Checked]) -> None:
    """What every process does first: in production, stop at the first setting production
    refuses (InsecureSetting names it)."""
    environment()
    for setting in checks:
        setting.value()
