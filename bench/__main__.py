"""Benchmarks, each beside its baseline in the same process: `make bench` (RabbitMQ must be up;
`make bench` starts it through ops/infra.sh).

relay     the outbox relay (claim, publish the batch, await its confirms together, mark sent)
          against the same work with one broker round trip per message, the way a relay on a
          blocking channel in confirm mode publishes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pika
from sqlalchemy import MetaData, update

from mumaris_shared.broker import (
    ConfirmingPublisher,
    connection_parameters,
    connection_user,
    declare_exchange,
    persistent,
)
from mumaris_shared.config import rabbitmq_url
from mumaris_shared.db import claim, messaging_tables
from mumaris_shared.events import EXCHANGE, utcnow
from mumaris_shared.outbox import Relay
from mumaris_shared.runtime import Runtime


def _runtime(directory: Path, name: str) -> Runtime:
    metadata = MetaData()
    outbox, inbox = messaging_tables(metadata)
    runtime = Runtime.create("bench", outbox, inbox, url=f"sqlite:///{directory / name}.db")
    metadata.create_all(runtime.db.engine)
    return runtime


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
                    runtime = _runtime(Path(tmp), f"{round_no}-{label[:3]}")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    bench_relay(args.events, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
