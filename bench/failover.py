"""How long losing a broker node holds events up: the figures of docs/operations.md.

    python -m bench.failover [--rounds 3] [--rate 50] [--after 10]

Starts a RabbitMQ cluster of three nodes of its own on free ports (`ops/infra.sh rabbitmq-cluster`,
as the cluster tests do) and, on it, the messaging core as a service runs it: a relay (outbox on
SQLite, ConfirmingPublisher) publishing `--rate` events a second, and a consumer (inbox on SQLite)
handling them; both are given every node and connect to the first. Each round kills the node they
are connected to with SIGKILL, keeps producing for `--after` seconds, waits until every event was
handled, and starts the node again. Per round it prints:

  fail-over  from the SIGKILL to the first event made after it being handled (through another node)
  usual      how long 99 % of events took from the outbox to the handler before the kill
  delayed    events that took longer than that (the longest of them: the worst hold-up)
  lost, doubled   events never handled, or handled twice (each must be 0)

Removes what it made, the cluster included."""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from mumaris_shared.broker import ConfirmingPublisher, connection_user
from mumaris_shared.consumer import HandlerContext
from mumaris_testing import PrivateCluster, wait_until

from . import sqlite_runtime
from .table import Figure

ROOT = Path(__file__).resolve().parent.parent
EVENT = "benchpub.tick"


class Flow:
    """Events produced at a steady rate, relayed and handled: when each was made and handled."""

    def __init__(self, url: str, directory: Path, rate: float):
        self.rate = rate
        self.producer = sqlite_runtime(directory, "benchpub", service="benchpub")
        self.consumer_runtime = sqlite_runtime(directory, "benchsub", service="benchsub")
        self.made: dict[int, float] = {}
        self.handled: list[tuple[int, float]] = []
        self.publisher = ConfirmingPublisher(url, name="bench-relay").start()
        # The bench publishes as the cluster's administrator: the consumer takes its word for benchpub.
        trusted = {connection_user(url): "benchpub"}
        self.consumer = self.consumer_runtime.consumer({EVENT: self._handle}, url=url, trusted=trusted)
        self.stop = threading.Event()
        self.producing = threading.Event()
        self.paused = threading.Event()
        self.threads = [
            threading.Thread(target=self.producer.relay(self.publisher).run, args=(self.stop,), daemon=True),
            threading.Thread(target=self.consumer.run, args=(self.stop,), daemon=True),
            threading.Thread(target=self._produce, daemon=True),
        ]

    def _handle(self, ctx: HandlerContext) -> None:
        self.handled.append((ctx.event.data["n"], time.monotonic()))

    def _produce(self) -> None:
        n = 0
        while not self.stop.is_set():
            if not self.producing.wait(0.1):
                self.paused.set()
                continue
            self.paused.clear()
            self.made[n] = time.monotonic()
            with self.producer.db.transaction() as session:
                self.producer.outbox.publish(session, EVENT, {"n": n})
            n += 1
            time.sleep(1 / self.rate)

    def pause(self) -> None:
        self.producing.clear()
        self.paused.wait()

    def start(self) -> Flow:
        for thread in self.threads:
            thread.start()
        assert self.publisher.wait_ready(60) and self.consumer.ready.wait(60)
        return self

    def all_handled(self) -> bool:
        return set(self.made) <= {n for n, _at in self.handled}

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)
        self.publisher.close()


def one_round(cluster: PrivateCluster, vhost: str, flow: Flow, after: float) -> dict[str, float]:
    flow.paused.clear()
    flow.producing.set()
    time.sleep(3)  # a steady flow first: how long events take when nothing fails
    connected = cluster.connections()
    node = connected["benchsub-consumer"]
    assert connected["bench-relay"] == node, connected
    before = list(flow.handled)
    usual = statistics.quantiles([at - flow.made[n] for n, at in before], n=100)[98]  # the 99th percentile
    killed_at = time.monotonic()
    cluster.kill(node)
    time.sleep(after)
    flow.pause()
    wait_until(flow.all_handled, timeout=120, interval=0.1)
    later = flow.handled[len(before) :]
    first_after = min(at for n, at in later if flow.made[n] > killed_at)
    waits = [at - flow.made[n] for n, at in later]
    delayed = [w for w in waits if w > usual]
    counts = Counter(n for n, _at in flow.handled)
    cluster.restart(node)
    wait_until(lambda: cluster.replicated(vhost), timeout=120, interval=0.5)  # whole again for the next
    return {
        "fail-over (s)": first_after - killed_at,
        "usual (s)": usual,
        "delayed": len(delayed),
        "longest (s)": max(delayed, default=0.0),
        "events": len(waits),
        "lost": len(set(flow.made) - set(counts)),
        "doubled": sum(1 for c in counts.values() if c > 1),
    }


def run(rounds: int, rate: float, after: float) -> list[dict[str, float]]:
    """One row per round (see the module's docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        cluster = PrivateCluster(ROOT / "ops" / "infra.sh", Path(tmp) / "cluster", 3)
        started = time.monotonic()
        cluster.start()
        print(f"cluster of 3 nodes started and joined in {time.monotonic() - started:.1f} s", flush=True)
        try:
            vhost = cluster.new_vhost()
            flow = Flow(cluster.url(vhost), Path(tmp), rate).start()
            try:
                rows = []
                for round_no in range(1, rounds + 1):
                    row = one_round(cluster, vhost, flow, after)
                    rows.append(row)
                    print(f"round {round_no}: " + ", ".join(f"{k} {v:.2f}" for k, v in row.items()), flush=True)
            finally:
                flow.close()
        finally:
            cluster.close()
    return rows


def figures(rounds: int = 3, rate: float = 50, after: float = 10) -> list[Figure]:
    rows = run(rounds, rate, after)
    lost, doubled = sum(row["lost"] for row in rows), sum(row["doubled"] for row in rows)
    return [
        Figure(
            f"fail-over: a broker node killed, median of {rounds} (baseline: the usual p99 wait)",
            statistics.median(row["fail-over (s)"] for row in rows),
            "s",
            statistics.median(row["usual (s)"] for row in rows),
            "",
            None,
        ),
        Figure("fail-over: events lost or doubled", lost + doubled, "events", None, "0", lost + doubled == 0),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.failover", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=50, help="events a second")
    parser.add_argument("--after", type=float, default=10, help="seconds of events after each kill")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("pika").setLevel(logging.WARNING)
    rows = run(args.rounds, args.rate, args.after)
    print(f"\n{args.rounds} kills of the node the relay and the consumer were connected to, {args.rate:g} events/s:")
    for key in rows[0]:
        values = [row[key] for row in rows]
        print(f"  {key:14s} median {statistics.median(values):7.2f}   worst {max(values):7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
