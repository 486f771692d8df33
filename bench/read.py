"""The read path beside bare Flask: the public status look-up and an owner's request through the
gateway, against a Flask JSON endpoint with nothing of ours, served by gunicorn with the same
settings (WEB_WORKERS, WEB_THREADS), measured in the same run, on SQLite and on PostgreSQL.

    python -m bench.read [--rounds 3] [--seconds 5] [--connections 32] [--backends sqlite,postgresql]

Per backend it starts the platform (accounts, applications, billing, notifications and the gateway) on
free ports, a fresh RabbitMQ virtual host and, for PostgreSQL, fresh databases on the local server
(ops/infra.sh); signs an applicant up and sends one request through the API (its fees assessed); then runs wrk
(installed with apt-get when missing) with `--connections` connections against:

  bare Flask          GET /status of bench/bare_flask.py, straight to its gunicorn
  status look-up      GET /api/applications/v1/status/<number> through the gateway (anyone)
  owner's request     GET /api/applications/v1/applications/<number> through the gateway (bearer token)
  owner's invoices    GET /api/billing/v1/invoices?application=<number> through the gateway: what one
                      billing-web replica carries (docs/operations.md; no goal of its own)

each warmed up, then `--rounds` rounds in which each runs `--seconds` in turn (so that whatever
else the machine does weighs on all three alike); each figure is the median of its rounds.
Goals: each look-up at ≥ 0.5 × bare Flask's requests a second, and its 99th percentile under
25 ms. Any answer but 200 fails the bench."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import requests

from mumaris_testing import wait_until
from ops.children import Child
from ops.launcher import Platform
from ops.net import HOST, free_port
from ops.processes import ROOT, command, gunicorn

from . import platform_on_free_ports, sent_request, sign_up
from .table import Figure, print_table

SERVICES = ("accounts", "applications", "billing", "notifications")
RATIO_GOAL = 0.5
P99_GOAL_MS = 25.0
WARM_UP_SECONDS = 2
# wrk's summary, on one line the bench reads: requests, microseconds, non-2xx answers, socket errors, p99 in µs
REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("mumaris-wrk %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout, latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class Load:
    rate: float  # requests a second
    p99_ms: float
    failed: int  # connections that failed or timed out (wrk's: after 2 s)


def wrk() -> str:
    """The load generator: wrk from the OS, installed when missing."""
    found = shutil.which("wrk")
    if found is None:
        print("read: installing wrk (apt-get)", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed and apt-get did not install it")
    return found


def load(url: str, seconds: float, connections: int, headers: dict[str, str]) -> Load:
    """wrk against `url` for `seconds`; every answer must be a 200."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(REPORT)
        script.flush()
        header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
        out = subprocess.run(
            [wrk(), "-t", "2", "-c", str(connections), "-d", f"{seconds:g}s", "-s", script.name, *header_args, url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    line = next(line for line in out.splitlines() if line.startswith("mumaris-wrk "))
    count, micros, bad_status, socket_errors, p99 = (int(n) for n in line.split()[1:])
    if bad_status:
        raise RuntimeError(f"{url}: {bad_status} answers were not 200\n{out}")
    return Load(rate=count / (micros / 1e6), p99_ms=p99 / 1000, failed=socket_errors)


def loads(
    targets: dict[str, tuple[str, dict[str, str]]], rounds: int, seconds: float, connections: int
) -> dict[str, Load]:
    """Each target's median over `rounds`, the targets taking turns within each round (so that
    whatever else the machine does weighs on them alike), after a warm-up of each."""
    for url, headers in targets.values():
        load(url, WARM_UP_SECONDS, connections, headers)
    runs: dict[str, list[Load]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, (url, headers) in targets.items():
            runs[name].append(load(url, seconds, connections, headers))
            print(
                f"read: {name:7s} {runs[name][-1].rate:8.0f} req/s, p99 {runs[name][-1].p99_ms:6.1f} ms",
                file=sys.stderr,
            )
    return {
        name: Load(
            rate=statistics.median(run.rate for run in done),
            p99_ms=statistics.median(run.p99_ms for run in done),
            failed=sum(run.failed for run in done),
        )
        for name, done in runs.items()
    }


def bare_flask(platform: Platform) -> Child:
    """bench/bare_flask.py under gunicorn as the services' web processes run, with their settings."""
    port = free_port()
    argv = command(gunicorn("bench.bare_flask:app"), sys.executable, port)
    child = Child("bare-flask", argv, Path(platform.log_dir) / "bare-flask.log", port=port)
    child.start(cwd=ROOT, env=platform.child_env)
    child.wait_healthy("/status", timeout=30)
    return child


def measure(backend: str, rounds: int, seconds: float, connections: int) -> list[Figure]:
    with (
        platform_on_free_ports("benchread", SERVICES, postgres=backend == "PostgreSQL") as platform,
        requests.Session() as http,
    ):
        gateway = platform.gateway_url
        _, _, token = sign_up(http, gateway, platform.mailcatcher_instance)
        number = sent_request(http, gateway, token)
        bearer = {"Authorization": f"Bearer {token}"}
        invoices = f"{gateway}/api/billing/v1/invoices?application={number}"
        wait_until(lambda: len(http.get(invoices, headers=bearer).json()) == 2, timeout=60)  # fees assessed
        baseline = bare_flask(platform)
        try:
            measured = loads(
                {
                    "bare": (f"http://{HOST}:{baseline.port}/status", {}),
                    "status": (f"{gateway}/api/applications/v1/status/{number}", {}),
                    "owner": (f"{gateway}/api/applications/v1/applications/{number}", bearer),
                    "invoices": (invoices, bearer),
                },
                rounds,
                seconds,
                connections,
            )
        finally:
            baseline.signal_group(signal.SIGTERM)
            baseline.popen.wait(30)
    bare = measured["bare"]
    figures = [Figure(f"bare Flask JSON, gunicorn ({backend} run)", bare.rate, "req/s", None, "", None)]
    for label, run in (("status look-up", measured["status"]), ("owner's request", measured["owner"])):
        failed = f" ({run.failed} timed out)" if run.failed else ""
        figures += [
            Figure(
                f"{label}, gateway, {backend}{failed}",
                run.rate,
                "req/s",
                bare.rate,
                f"≥ {RATIO_GOAL} × bare Flask",
                run.rate >= RATIO_GOAL * bare.rate and not run.failed,
            ),
            Figure(
                f"{label}, gateway, {backend}: p99",
                run.p99_ms,
                "ms",
                bare.p99_ms,
                f"< {P99_GOAL_MS:g} ms",
                run.p99_ms < P99_GOAL_MS,
            ),
        ]
    invoices_run = measured["invoices"]
    figures.append(
        Figure(
            f"owner's invoices (billing-web, one replica), gateway, {backend}",
            invoices_run.rate,
            "req/s",
            bare.rate,
            "",
            None,
        )
    )
    return figures


BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def figures(
    rounds: int = 3, seconds: float = 5, connections: int = 32, backends: tuple[str, ...] = tuple(BACKENDS)
) -> list[Figure]:
    wrk()
    found: list[Figure] = []
    for backend in backends:
        found += measure(BACKENDS[backend], rounds, seconds, connections)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.read", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5, help="of each wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args(argv)
    print_table(figures(args.rounds, args.seconds, args.connections, tuple(args.backends.split(","))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
