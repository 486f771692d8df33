"""The deadline sweep: N requests whose payment deadlines pass at the same moment, from that moment
to the last cancellation e-mail handed to SMTP, on PostgreSQL with two billing replicas.

    python -m bench.sweep [--requests 5000]

How the requests are seeded, through the services' own code, before the platform starts (each
service's migrations first, on fresh PostgreSQL databases of the local server):
- applications: each request is created and sent by its owner through `ApplicationService`
  (`create`, then `submit`), so it is `awaiting_payment`. The bench's required-documents rules ask
  for none (documents are not what is measured). The `application.submitted` events this leaves in
  applications' outbox are marked sent: billing is seeded directly (next), and the sweep is timed
  alone.
- billing: each request's fees are assessed by `BillingService.assess_fees` (the handler of
  `application.submitted`): its fee account and two unpaid invoices, due a deadline after
  submission. The `billing.fees_assessed` events it would publish are dropped (they would only
  send the "request sent" e-mails, which are not the sweep).
- notifications: each owner's address, as `account.registered` leaves it (`remember_recipient`).

Then the platform starts (ops.launcher.Platform, free ports, a fresh RabbitMQ virtual host, two
billing replicas) with an SMTP sink in this process (aiosmtpd: it notes each message's recipient
and arrival, nothing more, so that it is not what is measured). The deadline passes: one statement
sets every fee account's `due_at` and `next_check_at` to now, as the clock reaching them would.
The path timed is billing's schedulers (`billing.payment_deadline_expired`) → applications'
consumer (cancels, `application.cancelled`) → notifications' consumer (the e-mail queued) → the
mailer → SMTP. It ends at the last e-mail; then the counts are checked: every request cancelled
once (one cancellation on its timeline), every fee account expired, exactly one e-mail per owner.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from ops.launcher import SERVICES, Platform
from ops.net import free_port

from .footprint import fresh_infrastructure
from .table import Figure

GOAL = 1000  # requests a second, end to end
SERVICES_SEEDED = ("applications", "billing", "notifications")


class Sink:
    """An SMTP server that notes who each message was for and when it arrived."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str]] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:
        now = time.monotonic()
        self.arrivals.extend((now, rcpt) for rcpt in envelope.rcpt_tos)
        return "250 OK"

    async def wait(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.arrivals) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


def _migrate(settings: dict[str, str]) -> None:
    import subprocess

    env = {**os.environ, **settings}
    for service in SERVICES_SEEDED:
        subprocess.run([sys.executable, "-m", f"{service}.migrate"], env=env, check=True, capture_output=True)


def _owner(n: int) -> tuple[str, str]:
    return str(uuid.UUID(int=n + 1)), f"applicant{n}@bench.example"


def seed(settings: dict[str, str], count: int, threads: int = 4) -> list[str]:
    """`count` requests awaiting payment, their fees assessed, their owners known; their numbers."""
    os.environ.update(settings)
    from applications.bootstrap import runtime as applications_runtime
    from applications.domain.documents import RequiredDocuments
    from applications.service import ApplicationService
    from applications.settings import Settings as ApplicationSettings
    from billing.bootstrap import runtime as billing_runtime
    from billing.service import BillingService
    from mumaris_shared.auth import Principal
    from mumaris_shared.contracts import CATEGORIES, REQUEST_KINDS
    from mumaris_shared.events import isoformat, utcnow
    from notifications.adapters.deliveries import remember_recipient
    from notifications.bootstrap import runtime as notifications_runtime

    no_documents = RequiredDocuments({kind: {c: () for c in CATEGORIES} for kind in REQUEST_KINDS})
    applications_rt = applications_runtime()
    applications = ApplicationService(
        applications_rt, settings=replace(ApplicationSettings.from_env(), required_documents=no_documents)
    )
    billing_rt = billing_runtime()
    billing = BillingService(billing_rt)
    notifications_rt = notifications_runtime()
    body = {
        "category": "general_practitioner",
        "specialty": "Family Medicine",
        "dataflow_reference": "DF-SWEEP",
        "qualification": {"degree": "MBBS", "institution": "King Saud University", "country": "SA", "year": 2015},
    }

    def send(n: int) -> dict:
        account_id, email = _owner(n)
        owner = Principal(id=account_id, roles=("applicant",), email=email, national_id=f"1{n:09d}")
        number = applications.create(owner, **body)["number"]
        return applications.submit(owner, number)

    with ThreadPoolExecutor(threads) as pool:
        sent = list(pool.map(send, range(count)))
    with applications_rt.db.transaction() as session:
        table = applications_rt.outbox.table
        session.execute(sa.update(table).where(table.c.sent_at.is_(None)).values(sent_at=utcnow()))

    dropped = lambda event_type, data: None  # noqa: E731  the fees_assessed e-mails are not the sweep
    for start in range(0, count, 500):
        with billing_rt.db.transaction() as session, notifications_rt.db.transaction() as recipients:
            for n in range(start, min(start + 500, count)):
                request, (account_id, email) = sent[n], _owner(n)
                data = {
                    "application_number": request["number"],
                    "account_id": account_id,
                    "kind": "registration",
                    "category": request["category"],
                    "specialty": request["specialty"],
                    "submitted_at": request["submitted_at"] or isoformat(utcnow()),
                }
                billing.assess_fees(session, dropped, data)
                remember_recipient(recipients, account_id, email, f"Applicant {n}", "en", as_of=utcnow())
    for runtime in (applications_rt, billing_rt, notifications_rt):
        runtime.db.dispose()
    return [request["number"] for request in sent]


def _count(url: str, query: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(query)).scalar_one())
    finally:
        engine.dispose()


def run(count: int, timeout: float) -> dict[str, float]:
    """Seed, start the platform, pass the deadline, wait for the e-mails, check; the figures."""
    settings, remove = fresh_infrastructure()
    urls = {service: settings[f"{service.upper()}_DATABASE_URL"] for service in SERVICES}
    sink = Sink()
    sink.controller.start()
    try:
        _migrate(settings)
        started = time.monotonic()
        seed(settings, count)
        seeding = time.monotonic() - started
        print(f"sweep: {count} requests seeded in {seeding:.0f}s", flush=True)
        with (
            tempfile.TemporaryDirectory() as var_dir,
            Platform(
                env={**settings, "LOG_LEVEL": "WARNING", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port)},
                var_dir=var_dir,
                gateway=False,
                ports={service: 0 for service in SERVICES},
                mailcatcher=False,
                replicas={"billing": 2},
            ),
        ):
            billing = sa.create_engine(urls["billing"])
            with billing.begin() as connection:
                deadline = time.monotonic()
                connection.execute(sa.text("UPDATE fee_accounts SET due_at = now(), next_check_at = now()"))
            billing.dispose()
            asyncio.run(sink.wait(count, timeout))
            last = max((at for at, _ in sink.arrivals), default=time.monotonic())
            time.sleep(2.0)  # anything doubled would arrive now
        elapsed = last - deadline
        mails = Counter(rcpt for _, rcpt in sink.arrivals)
        cancelled = _count(urls["applications"], "SELECT count(*) FROM applications WHERE status = 'cancelled'")
        cancellations = _count(urls["applications"], "SELECT count(*) FROM timeline_entries WHERE status = 'cancelled'")
        expired = _count(urls["billing"], "SELECT count(*) FROM fee_accounts WHERE status = 'expired'")
    finally:
        sink.controller.stop()
        remove()
    print(
        f"  deadline → last e-mail: {elapsed:.1f}s, {count / elapsed:,.0f} requests/s; cancelled {cancelled}, "
        f"cancellations on timelines {cancellations}, fee accounts expired {expired}, e-mails {sum(mails.values())} "
        f"to {len(mails)} owners, most to one {max(mails.values(), default=0)}",
        flush=True,
    )
    complete = cancelled == cancellations == expired == len(mails) == sum(mails.values()) == count
    if not complete:
        raise SystemExit("sweep: the counts do not match: something was lost or doubled")
    return {"rate": count / elapsed, "elapsed": elapsed, "seeding": seeding}


def figures(requests: int = 5000) -> list[Figure]:
    result = run(requests, timeout=max(120.0, requests / 50))
    return [
        Figure(
            f"deadline sweep, {requests:,} requests (deadline → last e-mail)",
            result["rate"],
            "requests/s",
            None,
            f"≥ {GOAL:,}/s",
            result["rate"] >= GOAL,
        )
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sweep", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args(argv)
    from .table import print_table

    print_table(figures(args.requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
