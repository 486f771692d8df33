"""The read path beside bare Flask: the public status look-up and an owner's request through the
gateway, against a Flask JSON endpoint with nothing of ours, served by gunicorn with the same
settings (WEB_WORKERS, WEB_THREADS), measured in the same run, on SQLite and on PostgreSQL.

    python -m bench.read [--seconds 10] [--connections 32] [--backends sqlite,postgresql]

Per backend it starts the platform (accounts, applications, notifications and the gateway) on
free ports, a fresh RabbitMQ virtual host and, for PostgreSQL, fresh databases on the local server
(ops/infra.sh); signs an applicant up and makes one request through the API; then runs wrk
(installed with apt-get when missing) with `--connections` connections for `--seconds` against:

  bare Flask          GET /status of bench/bare_flask.py, straight to its gunicorn
  status look-up      GET /api/applications/v1/status/<number> through the gateway (anyone)
  owner's request     GET /api/applications/v1/applications/<number> through the gateway (bearer token)

each after a short warm-up. Goals: each look-up at ≥ 0.5 × bare Flask's requests a second, and
its 99th percentile under 25 ms. Any answer but 200 fails the bench."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import requests

from ops.children import Child
from ops.launcher import Platform
from ops.net import HOST, free_port
from ops.processes import ROOT, gunicorn

from . import fresh_infrastructure, new_request, sign_up
from .table import Figure, print_table

SERVICES = ("accounts", "applications", "notifications")
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


def load(url: str, seconds: int, connections: int, headers: dict[str, str] | None = None) -> Load:
    """wrk against `url` (after a warm-up); every answer must be a 200."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(REPORT)
        script.flush()
        header_args = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
        for duration in (WARM_UP_SECONDS, seconds):
            out = subprocess.run(
                [wrk(), "-t", "2", "-c", str(connections), "-d", f"{duration}s", "-s", script.name, *header_args, url],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
    line = next(line for line in out.splitlines() if line.startswith("mumaris-wrk "))
    count, micros, bad_status, socket_errors, p99 = (int(n) for n in line.split()[1:])
    if bad_status:
        raise RuntimeError(f"{url}: {bad_status} answers were not 200\n{out}")
    return Load(rate=count / (micros / 1e6), p99_ms=p99 / 1000, failed=socket_errors)


def bare_flask(platform: Platform) -> Child:
    """bench/bare_flask.py under gunicorn as the services' web processes run, with their settings."""
    port = free_port()
    argv = [a.format(python=sys.executable, port=port) for a in gunicorn("bench.bare_flask:app")]
    child = Child("bare-flask", argv, Path(platform.log_dir) / "bare-flask.log", port=port)
    child.start(cwd=ROOT, env=platform.child_env)
    child.wait_healthy("/status", timeout=30)
    return child


def measure(backend: str, seconds: int, connections: int) -> list[Figure]:
    with (
        fresh_infrastructure("benchread", SERVICES, postgres=backend == "PostgreSQL") as settings,
        tempfile.TemporaryDirectory() as var_dir,
        Platform(
            env={**settings, "LOG_LEVEL": "WARNING"},
            var_dir=var_dir,
            services=SERVICES,
            gateway_port=0,
            ports={service: 0 for service in SERVICES},
            mailcatcher=True,
            mailcatcher_smtp_port=0,
            mailcatcher_http_port=0,
        ) as platform,
        requests.Session() as http,
    ):
        gateway = platform.gateway_url
        _, _, token = sign_up(http, gateway, platform.mailcatcher_instance)
        number = new_request(http, gateway, token)
        baseline = bare_flask(platform)
        try:
            bare = load(f"http://{HOST}:{baseline.port}/status", seconds, connections)
        finally:
            baseline.signal_group(signal.SIGTERM)
            baseline.popen.wait(30)
        status = load(f"{gateway}/api/applications/v1/status/{number}", seconds, connections)
        owner = load(
            f"{gateway}/api/applications/v1/applications/{number}",
            seconds,
            connections,
            {"Authorization": f"Bearer {token}"},
        )
    figures = [Figure(f"bare Flask JSON, gunicorn ({backend} run)", bare.rate, "req/s", None, "", None)]
    for label, measured in (("status look-up", status), ("owner's request", owner)):
        failed = f" ({measured.failed} timed out)" if measured.failed else ""
        figures += [
            Figure(
                f"{label}, gateway, {backend}{failed}",
                measured.rate,
                "req/s",
                bare.rate,
                f"≥ {RATIO_GOAL} × bare Flask",
                measured.rate >= RATIO_GOAL * bare.rate and not measured.failed,
            ),
            Figure(
                f"{label}, gateway, {backend}: p99",
                measured.p99_ms,
                "ms",
                bare.p99_ms,
                f"< {P99_GOAL_MS:g} ms",
                measured.p99_ms < P99_GOAL_MS,
            ),
        ]
    return figures


BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def figures(seconds: int = 10, connections: int = 32, backends: tuple[str, ...] = tuple(BACKENDS)) -> list[Figure]:
    wrk()
    found: list[Figure] = []
    for backend in backends:
        found += measure(BACKENDS[backend], seconds, connections)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.read", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args(argv)
    print_table(figures(args.seconds, args.connections, tuple(args.backends.split(","))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
