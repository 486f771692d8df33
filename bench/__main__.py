"""Benchmarks, each beside its baseline in the same process: `make bench` (RabbitMQ must be up;
`make bench` starts it through ops/infra.sh).

relay     the outbox relay (claim, publish the batch, await its confirms together, mark sent)
          against the same work with one broker round trip per message, the way a relay on a
          blocking channel in confirm mode publishes.
portal    the portal's list of requests (/requests) of a practitioner with 20 requests, through
          the gateway, beside the API call it wraps (GET /api/applications/v1/applications);
          target: p95 < 150 ms. Starts the whole platform on free ports and a fresh virtual host.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pika
from sqlalchemy import update

from mumaris_shared.broker import (
    ConfirmingPublisher,
    connection_parameters,
    connection_user,
    declare_exchange,
    persistent,
)
from mumaris_shared.config import rabbitmq_url
from mumaris_shared.db import claim
from mumaris_shared.events import EXCHANGE, utcnow
from mumaris_shared.outbox import Relay
from mumaris_shared.runtime import Runtime

from . import sqlite_runtime


def _fill(runtime: Runtime, count: int) -> None:
    with runtime.db.transaction() as session:
        for n in range(count):
            runtime.outbox.publish(session, "bench.thing_happened", {"n": n, "padding": "x" * 200})


def relay_pipelined(runtime: Runtime, url: str) -> None:
    publisher = ConfirmingPublisher(url).start()
    publisher.wait_ready(30)
    relay = Relay(runtime.outbox, publisher, batch_size=500)
    try:
        while relay.relay_once():
            pass
    finally:
        publisher.close()


def relay_one_round_trip_each(runtime: Runtime, url: str) -> None:
    """Baseline: the same claim and mark, but each publish waits for its own confirm."""
    connection = pika.BlockingConnection(connection_parameters(url))
    channel = connection.channel()
    channel.confirm_delivery()
    table = runtime.outbox.table
    try:
        while True:
            with runtime.db.transaction() as session:
                rows = claim(
                    session, runtime.db, table, table.c.sent_at.is_(None), order_by=table.c.position, limit=500
                )
                if not rows:
                    return
                for row in rows:
                    channel.basic_publish(
                        EXCHANGE,
                        row.event_type,
                        row.body.encode(),
                        properties=persistent(row.event_id, row.event_type, connection_user(url)),
                        mandatory=True,
                    )
                session.execute(
                    update(table).where(table.c.position.in_([r.position for r in rows])).values(sent_at=utcnow())
                )
    finally:
        connection.close()


def bench_relay(count: int, rounds: int) -> None:
    url = rabbitmq_url()
    sink = f"bench.sink.{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(connection_parameters(url))
    channel = connection.channel()
    declare_exchange(channel, create=True)  # as an administrator: the broker may be fresh
    channel.queue_declare(sink, auto_delete=False, arguments={"x-max-length": 1})  # routable, keeps nothing
    channel.queue_bind(sink, EXCHANGE, routing_key="bench.#")
    results: dict[str, list[float]] = {"pipelined (ours)": [], "one round trip each (baseline)": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for round_no in range(rounds):
                for label, relay in (
                    ("one round trip each (baseline)", relay_one_round_trip_each),
                    ("pipelined (ours)", relay_pipelined),
                ):
                    runtime = sqlite_runtime(Path(tmp), f"{round_no}-{label[:3]}")
                    _fill(runtime, count)
                    started = time.perf_counter()
                    relay(runtime, url)
                    elapsed = time.perf_counter() - started
                    assert runtime.outbox.pending_count() == 0
                    results[label].append(count / elapsed)
                    runtime.db.dispose()
    finally:
        channel.queue_delete(sink)
        connection.close()
    print(f"relay: {count} events from a SQLite outbox to RabbitMQ, best of {rounds} rounds")
    best = {label: max(rates) for label, rates in results.items()}
    for label, rate in best.items():
        print(f"  {label:32s} {rate:10.0f} events/s")
    print(f"  speed-up: {best['pipelined (ours)'] / best['one round trip each (baseline)']:.1f}x")


# --- the portal ---------------------------------------------------------------------------------------
PORTAL_P95_TARGET_MS = 150


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def _practitioner_with_requests(http, gateway: str, mail, count: int) -> tuple[str, str, str]:
    """An active practitioner with `count` sent requests, billing's invoices issued: (email, password, token)."""
    email, password = f"bench.{uuid.uuid4().hex[:8]}@example.sa", "a long bench passphrase 3"
    person = {
        "full_name": "Bench Practitioner",
        "email": email,
        "password": password,
        "national_id": "1012345678",
        "mobile": "0551234567",
        "language": "ar",
    }
    assert http.post(f"{gateway}/api/accounts/v1/accounts", json=person).status_code == 201
    message = mail.wait_for(lambda m: email in m["to"] and re.search(r"\b\d{6}\b", m.get("text") or ""), timeout=60)
    code = re.search(r"\b(\d{6})\b", message["text"]).group(1)
    assert http.post(f"{gateway}/api/accounts/v1/accounts/verify", json={"email": email, "code": code}).ok
    token = http.post(f"{gateway}/api/accounts/v1/sessions", json={"email": email, "password": password}).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    body = {
        "category": "consultant",
        "specialty": "Cardiology",
        "dataflow_reference": "DF-BENCH-1",
        "qualification": {"degree": "MBBS", "institution": "King Saud University", "country": "SA", "year": 2012},
    }
    for _ in range(count):
        number = http.post(f"{gateway}/api/applications/v1/applications", json=body, headers=bearer).json()["number"]
        assert http.post(f"{gateway}/api/applications/v1/applications/{number}/submit", headers=bearer).ok
    deadline = time.monotonic() + 120
    while len(http.get(f"{gateway}/api/billing/v1/fee-accounts", headers=bearer).json()) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("billing did not issue the invoices in time")
        time.sleep(0.2)
    return email, password, token["access_token"]


def _timed(call, rounds: int) -> list[float]:
    for _ in range(5):  # warm up connections and caches
        call()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return samples


def bench_portal(count: int, rounds: int) -> None:
    import requests

    from ops.launcher import SERVICES, Platform

    vhost = f"bench-{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True)
    base = rabbitmq_url().rsplit("/", 1)[0]
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            Platform(
                env={"RABBITMQ_URL": f"{base}/{quote(vhost, safe='')}"},
                var_dir=tmp,
                gateway_port=0,
                ports={service: 0 for service in SERVICES},
                mailcatcher=True,
                mailcatcher_smtp_port=0,
                mailcatcher_http_port=0,
            ) as platform,
            requests.Session() as http,
        ):
            gateway = platform.gateway_url
            email, password, token = _practitioner_with_requests(http, gateway, platform.mailcatcher_instance, count)
            page = http.get(f"{gateway}/login").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            logged = http.post(f"{gateway}/login", data={"csrf_token": csrf, "email": email, "password": password})
            assert logged.url.endswith("/requests") and logged.text.count("/requests/MR-") == count
            api = _timed(
                lambda: http.get(
                    f"{gateway}/api/applications/v1/applications", headers={"Authorization": f"Bearer {token}"}
                ),
                rounds,
            )
            portal = _timed(lambda: http.get(f"{gateway}/requests"), rounds)
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], check=False)
    print(f"portal: the list of requests with {count} requests, {rounds} requests each, through the gateway")
    for label, samples in (("GET /requests (portal page)", portal), ("GET /v1/applications (the API it wraps)", api)):
        print(f"  {label:42s} p50 {statistics.median(samples):6.1f} ms   p95 {_p95(samples):6.1f} ms")
    verdict = "met" if _p95(portal) < PORTAL_P95_TARGET_MS else "MISSED"
    print(f"  target p95 < {PORTAL_P95_TARGET_MS} ms: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--page-requests", type=int, default=200, help="timed page loads (portal)")
    parser.add_argument("only", nargs="*", choices=["relay", "portal"], help="default: all")
    args = parser.parse_args(argv)
    if not args.only or "relay" in args.only:
        bench_relay(args.events, args.rounds)
    if not args.only or "portal" in args.only:
        bench_portal(20, args.page_requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
