"""The deadline sweep: N requests whose payment deadlines pass at the same moment, from that moment
to the last cancellation e-mail handed to SMTP, on PostgreSQL with two billing replicas.

    python -m bench.sweep [--requests 100000]   # 100,000 by default, as in `make bench`

How the requests are seeded, before the platform starts, on fresh PostgreSQL databases of the local
server (each service's migrations first): one request is made by the services' own code, and the
others are copies of its rows, each with a number, an owner and bill numbers of its own (one
`INSERT … SELECT` per table: making 100,000 through the code would take longer than the sweep).
- applications: the request is created and sent by its owner through `ApplicationService`
  (`create`, then `submit`), so it is `awaiting_payment`, with its timeline. The bench's
  required-documents rules ask for none (documents are not what is measured). The
  `application.submitted` event this leaves in the outbox is marked sent: billing is seeded
  directly (next).
- billing: its fees are assessed by `BillingService.assess_fees` (the handler of
  `application.submitted`): the fee account and its two unpaid invoices. The
  `billing.fees_assessed` event is dropped (its e-mail is not the sweep).
- notifications: the owner's address, as `account.registered` leaves it (`remember_recipient`).

Then the platform starts (ops.launcher.Platform, free ports, a fresh RabbitMQ virtual host, two
billing replicas) with an SMTP sink in this process (bench/smtp_sink.py: it notes each message's
recipient and arrival, nothing more, so that it is not what is measured). The deadline passes: one statement
sets every fee account's `due_at` and `next_check_at` to now, as the clock reaching them would.
The path timed is billing's schedulers (`billing.payment_deadline_expired`) → applications'
consumer (cancels, `application.cancelled`) → notifications' consumer (the e-mail queued) → the
mailer → SMTP. It ends at the last e-mail; then the counts are checked: every request cancelled
once (one cancellation on its timeline), every fee account expired, exactly one e-mail per owner.
It prints when each stage finished (and how many e-mails had arrived by then), and the CPU each
process used: the platform's, PostgreSQL's, RabbitMQ's and this one's (the sink).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import replace

import sqlalchemy as sa

from ops.launcher import SERVICES, Platform

from .fresh import infrastructure
from .smtp_sink import SmtpSink
from .table import Figure, print_table

GOAL = 1000  # requests a second, end to end
REQUESTS = 100_000  # the goal's figure: a day with that many deadlines passing together
SERVICES_SEEDED = ("applications", "billing", "notifications")


def _owner(n: int) -> tuple[str, str]:
    return str(uuid.UUID(int=n + 1)), f"applicant{n}@bench.example"


# The n-th copy's values, in SQL, as `_owner(n)` and a number of its own make them.
OWNER = "'00000000-0000-0000-0000-' || lpad(to_hex(n + 1), 12, '0')"
NUMBER = "'MR-BNCH-' || lpad(n::text, 8, '0')"


def _clone(url: str, table: str, where: str, replaced: dict[str, str], copies: int, omit: tuple[str, ...] = ()) -> None:
    """`copies` copies of the rows of `table` matching `where`, column for column, but for the
    `replaced` ones (SQL of `t`, the row, and `n`, the copy's number from 1)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            columns = [c["name"] for c in sa.inspect(connection).get_columns(table) if c["name"] not in omit]
            chosen = ", ".join(replaced.get(name, f't."{name}"') for name in columns)
            listed = ", ".join(f'"{name}"' for name in columns)
            connection.execute(
                sa.text(
                    f"INSERT INTO {table} ({listed}) SELECT {chosen} "
                    f"FROM {table} t, generate_series(1, :copies) AS n WHERE {where}"
                ),
                {"copies": copies},
            )
            # The planner's statistics, as autovacuum would have gathered them long before a day's
            # deadlines pass (without them it takes the fresh table for a small one and scans it).
            connection.execute(sa.text(f"ANALYZE {table}"))
    finally:
        engine.dispose()


def seed(settings: dict[str, str], count: int, services: tuple[str, ...] = SERVICES_SEEDED) -> None:
    """`count` requests awaiting payment, their fees assessed, their owners known (in those of
    applications, billing and notifications that `services` names)."""
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
    account_id, email = _owner(0)
    owner = Principal(id=account_id, roles=("applicant",), email=email, national_id="1000000000")
    body = {
        "category": "general_practitioner",
        "specialty": "Family Medicine",
        "dataflow_reference": "DF-SWEEP",
        "qualification": {"degree": "MBBS", "institution": "King Saud University", "country": "SA", "year": 2015},
    }
    request = applications.submit(owner, applications.create(owner, **body)["number"])
    with applications_rt.db.transaction() as session:
        table = applications_rt.outbox.table
        session.execute(sa.update(table).where(table.c.sent_at.is_(None)).values(sent_at=utcnow()))
    submitted = {
        "application_number": request["number"],
        "account_id": account_id,
        "kind": "registration",
        "category": request["category"],
        "specialty": request["specialty"],
        "submitted_at": isoformat(request["submitted_at"]),
    }
    applications_rt.db.dispose()
    if "billing" in services:
        billing_rt = billing_runtime()
        with billing_rt.db.transaction() as session:  # the fees_assessed e-mail is not the sweep: dropped
            BillingService(billing_rt).assess_fees(session, lambda event_type, data: None, submitted)
        billing_rt.db.dispose()
    if "notifications" in services:
        notifications_rt = notifications_runtime()
        with notifications_rt.db.transaction() as session:
            remember_recipient(session, account_id, email, "Applicant 0", "en", as_of=utcnow())
        notifications_rt.db.dispose()

    copies, template = count - 1, f"t.application_number = '{request['number']}'"
    urls = {service: settings[f"{service.upper()}_DATABASE_URL"] for service in services}
    number, nid = NUMBER, "lpad((1000000000 + n)::text, 10, '0')"
    _clone(
        urls["applications"],
        "applications",
        f"t.number = '{request['number']}'",
        {"number": number, "account_id": OWNER, "applicant_national_id": nid},
        copies,
    )
    _clone(
        urls["applications"], "timeline_entries", template, {"application_number": number, "by": OWNER}, copies, ("id",)
    )
    if "billing" in services:
        _clone_billing(urls["billing"], template, copies)
    if "notifications" in services:
        _clone(
            urls["notifications"],
            "recipients",
            f"t.account_id = '{account_id}'",
            {"account_id": OWNER, "email": "'applicant' || n || '@bench.example'", "full_name": "'Applicant ' || n"},
            copies,
        )


def _clone_billing(url: str, template: str, copies: int) -> None:
    _clone(url, "fee_accounts", template, {"application_number": NUMBER, "account_id": OWNER}, copies)
    _clone(
        url,
        "invoices",
        template,
        {
            "id": "gen_random_uuid()::text",
            "application_number": NUMBER,
            "account_id": OWNER,
            "sadad_bill_number": "lpad(n::text, 7, '0') || right(t.sadad_bill_number, 12)",
        },
        copies,
    )


def _cpu(platform: Platform) -> dict[str, float]:
    """CPU seconds each process of the platform (with its children) has used so far."""
    from .footprint import _descendants, _rss_and_cpu

    return {
        name: sum(_rss_and_cpu(pid)[1] for pid in _descendants(child.pid))
        for name, child in platform.processes.items()
        if child.pid is not None
    }


def _servers() -> dict[str, float]:
    """CPU seconds used so far by PostgreSQL and RabbitMQ (every process of theirs), by this process
    (the SMTP sink), and the machine's idle seconds (every core's)."""
    from .footprint import TICKS, _rss_and_cpu

    used = {"postgres": 0.0, "rabbitmq": 0.0}
    servers = {"postgres": "postgres", "beam.smp": "rabbitmq", "erl_child_setup": "rabbitmq"}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/comm") as f:
                server = servers.get(f.read().strip())
        except OSError:
            continue
        if server:
            used[server] += _rss_and_cpu(int(entry))[1]
    own = os.times()
    used["bench (SMTP sink)"] = own.user + own.system
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    used["idle"] = (int(fields[3]) + int(fields[4])) / TICKS  # idle and iowait
    return used


def _epoch(url: str, query: str) -> float:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(query)).scalar_one().timestamp()
    finally:
        engine.dispose()


def _count(url: str, query: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(query)).scalar_one())
    finally:
        engine.dispose()


def run(count: int, timeout: float) -> dict[str, float]:
    """Seed, start the platform, pass the deadline, wait for the e-mails, check; the figures."""
    sink = SmtpSink().start()
    with infrastructure(SERVICES, migrate=SERVICES_SEEDED) as settings:
        try:
            return _sweep(settings, sink, count, timeout)
        finally:
            sink.stop()


def _arrived(sink: SmtpSink, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(sink.arrivals) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def _sweep(settings: dict[str, str], sink: SmtpSink, count: int, timeout: float) -> dict[str, float]:
    urls = {service: settings[f"{service.upper()}_DATABASE_URL"] for service in SERVICES}
    started = time.monotonic()
    seed(settings, count)
    seeding = time.monotonic() - started
    print(f"sweep: {count:,} requests seeded in {seeding:.0f}s", flush=True)
    var_dir = tempfile.mkdtemp(prefix="mumaris-sweep-")
    with Platform(
        env={**settings, "LOG_LEVEL": "WARNING", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port)},
        var_dir=var_dir,
        gateway=False,
        ports={service: 0 for service in SERVICES},
        mailcatcher=False,
        replicas={"billing": 2},
    ) as platform:
        cpu_before = {**_cpu(platform), **_servers()}
        billing = sa.create_engine(urls["billing"])
        with billing.begin() as connection:  # the deadline passes for all of them
            deadline, deadline_wall = time.monotonic(), time.time()
            connection.execute(sa.text("UPDATE fee_accounts SET due_at = now(), next_check_at = now()"))
        billing.dispose()
        _arrived(sink, count, timeout)
        last = max((at for at, _ in sink.arrivals), default=time.monotonic())
        cpu = {name: used - cpu_before.get(name, 0.0) for name, used in {**_cpu(platform), **_servers()}.items()}
        time.sleep(2.0)  # anything doubled would arrive now
    elapsed = last - deadline
    stages = {
        "billing expired the last": (urls["billing"], "SELECT max(expired_at) FROM fee_accounts"),
        "billing's last event sent": (urls["billing"], "SELECT max(sent_at) FROM outbox"),
        "applications cancelled the last": (urls["applications"], "SELECT max(at) FROM timeline_entries"),
        "applications' last event sent": (urls["applications"], "SELECT max(sent_at) FROM outbox"),
        "notifications queued the last e-mail": (urls["notifications"], "SELECT max(created_at) FROM deliveries"),
        "the mailer sent the last": (urls["notifications"], "SELECT max(sent_at) FROM deliveries"),
    }
    for label, (url, query) in stages.items():
        at = _epoch(url, query) - deadline_wall
        mailed = sum(1 for arrived, _ in sink.arrivals if arrived - deadline <= at)
        print(f"  {label:38s} at +{at:6.1f}s ({mailed:,} e-mails had arrived)", flush=True)
    idle = cpu.pop("idle")
    print(f"  the machine's cores were idle {idle:.1f}s of {elapsed * (os.cpu_count() or 1):.1f}s", flush=True)
    busiest = sorted(cpu.items(), key=lambda item: -item[1])[:12]
    print("  CPU seconds: " + ", ".join(f"{name} {used:.1f}" for name, used in busiest), flush=True)
    mails = Counter(rcpt for _, rcpt in sink.arrivals)
    counts = {
        "requests cancelled": _count(
            urls["applications"], "SELECT count(*) FROM applications WHERE status = 'cancelled'"
        ),
        "cancellations on timelines": _count(
            urls["applications"], "SELECT count(*) FROM timeline_entries WHERE status = 'cancelled'"
        ),
        "fee accounts expired": _count(urls["billing"], "SELECT count(*) FROM fee_accounts WHERE status = 'expired'"),
        "e-mails": sum(mails.values()),
        "owners e-mailed": len(mails),
    }
    print(f"  deadline → last e-mail: {elapsed:.1f}s, {count / elapsed:,.0f} requests/s", flush=True)
    print("  " + ", ".join(f"{label} {value:,}" for label, value in counts.items()), flush=True)
    if set(counts.values()) != {count}:
        raise RuntimeError(f"sweep: the counts do not match: something was lost or doubled (logs: {var_dir}/log)")
    shutil.rmtree(var_dir, ignore_errors=True)
    return {"rate": count / elapsed, "elapsed": elapsed, "seeding": seeding}


def figures(requests: int = REQUESTS) -> list[Figure]:
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
    parser.add_argument("--requests", type=int, default=REQUESTS, help=f"how many (default {REQUESTS:,})")
    args = parser.parse_args(argv)
    print_table(figures(args.requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
