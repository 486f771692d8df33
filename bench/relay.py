"""The outbox relay: claim a batch, publish it, await its confirms together, mark it sent.

    python -m bench.relay [--events 5000] [--rounds 3]

From a SQLite outbox to RabbitMQ, best of `--rounds`, beside two baselines in the same run: the same
claim and mark with one broker round trip per message (the way a relay on a blocking channel in
confirm mode publishes), and raw pika publishing the same messages with no confirms and no
database at all (what the broker and client take anyway). Goal: ≥ 0.7 × raw pika."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

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
from .table import Figure, print_table

RAW_RATIO_GOAL = 0.7
PADDING = "x" * 200


def _fill(runtime: Runtime, count: int) -> None:
    with runtime.db.transaction() as session:
        for n in range(count):
            runtime.outbox.publish(session, "bench.thing_happened", {"n": n, "padding": PADDING})


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


def raw_unconfirmed(count: int, url: str) -> float:
    """Baseline: `count` messages of the same size published by pika with no confirms and no
    outbox (events a second)."""
    connection = pika.BlockingConnection(connection_parameters(url))
    channel = connection.channel()
    body = json.dumps({"n": 0, "padding": PADDING}).encode()
    properties = persistent(str(uuid.uuid4()), "bench.thing_happened", connection_user(url))
    try:
        started = time.perf_counter()
        for _ in range(count):
            channel.basic_publish(EXCHANGE, "bench.thing_happened", body, properties=properties)
        connection.process_data_events(0)
        return count / (time.perf_counter() - started)
    finally:
        connection.close()


def _timed(relay: Callable[[Runtime, str], None], directory: Path, name: str, count: int, url: str) -> float:
    runtime = sqlite_runtime(directory, name)
    try:
        _fill(runtime, count)
        started = time.perf_counter()
        relay(runtime, url)
        elapsed = time.perf_counter() - started
        assert runtime.outbox.pending_count() == 0
        return count / elapsed
    finally:
        runtime.db.dispose()


def figures(count: int = 5000, rounds: int = 3) -> list[Figure]:
    url = rabbitmq_url()
    sink = f"bench.sink.{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(connection_parameters(url))
    channel = connection.channel()
    declare_exchange(channel, create=True)  # as an administrator: the broker may be fresh
    channel.queue_declare(sink, auto_delete=False, arguments={"x-max-length": 1})  # routable, keeps nothing
    channel.queue_bind(sink, EXCHANGE, routing_key="bench.#")
    ours, round_trips, raw = [], [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in range(rounds):
                round_trips.append(_timed(relay_one_round_trip_each, Path(tmp), f"{n}-each", count, url))
                ours.append(_timed(relay_pipelined, Path(tmp), f"{n}-ours", count, url))
                raw.append(raw_unconfirmed(count, url))
    finally:
        channel.queue_delete(sink)
        connection.close()
    best, raw_best = max(ours), max(raw)
    return [
        Figure(
            "outbox relay, every message confirmed, vs raw unconfirmed pika",
            best,
            "events/s",
            raw_best,
            f"≥ {RAW_RATIO_GOAL} × raw pika",
            best >= RAW_RATIO_GOAL * raw_best,
        ),
        Figure("outbox relay vs one broker round trip per message", best, "events/s", max(round_trips), "", None),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.relay", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print_table(figures(args.events, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
