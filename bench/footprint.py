"""What each process of the platform costs in memory and CPU, idle and under load: the figures
behind the Kubernetes requests and limits (deploy/kubernetes/) and docs/operations.md.

    python -m bench.footprint [--applicants 40] [--requests-each 3] [--threads 8]

Starts the whole platform (ops.launcher) on free ports, a fresh RabbitMQ virtual host and fresh
PostgreSQL databases (as in production; the local servers of `ops/infra.sh` must be up), lets it
settle, then drives applicants through the gateway as people would: register, read the code
e-mail, activate, log in, create and send requests, pay both fees with the sandbox, look the
request up. Every second it reads each process's resident memory (the process and its children:
gunicorn's master and worker) and CPU time from /proc. Prints one row per process and removes
what it made.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from ops.launcher import SERVICES, Platform

from . import platform_on_free_ports
from .table import Figure

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
CODE = re.compile(r"\b(\d{6})\b")
WORKER_RSS_GOAL_MIB = 120


# ---------------------------------------------------------------- reading /proc
def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _rss_and_cpu(pid: int) -> tuple[int, float]:
    """Resident bytes and CPU seconds (user + system) of one process; (0, 0) once it is gone."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            rss = int(f.read().split()[1]) * PAGE
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return rss, (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return 0, 0.0


@dataclass
class Usage:
    """One process tree's samples: RSS in bytes; CPU as cores used over each interval."""

    idle_rss: int = 0
    peak_rss: int = 0
    peak_process_rss: int = 0  # the largest one process of the tree (a web process's: a gunicorn worker)
    cpu: list[float] = field(default_factory=list)
    _last_cpu: float | None = None
    _last_at: float = 0.0

    def sample(self, pid: int, loaded: bool) -> None:
        rss, cpu = 0, 0.0
        for member in _descendants(pid):
            member_rss, member_cpu = _rss_and_cpu(member)
            rss, cpu = rss + member_rss, cpu + member_cpu
            if loaded:
                self.peak_process_rss = max(self.peak_process_rss, member_rss)
        now = time.monotonic()
        if not loaded:
            self.idle_rss = max(self.idle_rss, rss)
        else:
            self.peak_rss = max(self.peak_rss, rss)
            if self._last_cpu is not None:
                self.cpu.append(max(0.0, cpu - self._last_cpu) / (now - self._last_at))
        self._last_cpu, self._last_at = cpu, now


def watch(platform: Platform, loaded: threading.Event, stop: threading.Event) -> dict[str, Usage]:
    usage = {name: Usage() for name in platform.processes}

    def run() -> None:
        while not stop.wait(1.0):
            is_loaded = loaded.is_set()
            for name, child in platform.processes.items():
                if child.pid is not None:
                    usage[name].sample(child.pid, is_loaded)

    threading.Thread(target=run, name="footprint", daemon=True).start()
    return usage


# ---------------------------------------------------------------- the load
class Applicant:
    """A person with curl: only the gateway's URL and their mailbox."""

    def __init__(self, platform: Platform):
        self.base = platform.gateway_url
        self.mail = platform.mailcatcher_instance
        self.http = requests.Session()
        self.email = f"footprint.{uuid.uuid4().hex[:12]}@example.sa"

    def call(self, method: str, path: str, expect: tuple[int, ...], **kwargs) -> dict | list:
        response = self.http.request(method, self.base + path, timeout=60, **kwargs)
        if response.status_code not in expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else {}

    def sign_up(self) -> None:
        password = "correct horse battery 42"
        person = {
            "full_name": "Sara Al-Harbi",
            "email": self.email,
            "password": password,
            "national_id": "1" + str(uuid.uuid4().int)[:9],
            "mobile": "0551234567",
            "language": "ar",
        }
        self.call("POST", "/api/accounts/v1/accounts", (201,), json=person)
        mail = self.mail.wait_for(lambda m: self.email in m["to"] and CODE.search(m.get("text") or ""), timeout=120)
        code = CODE.search(mail["text"]).group(1)
        self.call("POST", "/api/accounts/v1/accounts/verify", (200,), json={"email": self.email, "code": code})
        token = self.call("POST", "/api/accounts/v1/sessions", (200,), json={"email": self.email, "password": password})
        self.http.headers["Authorization"] = f"Bearer {token['access_token']}"

    def request_and_pay(self) -> None:
        body = {
            "category": "consultant",
            "specialty": "Cardiology",
            "qualification": {"degree": "MBBS", "institution": "King Saud University", "country": "SA", "year": 2015},
            "dataflow_reference": f"DF-{uuid.uuid4().hex[:10].upper()}",
        }
        number = self.call("POST", "/api/applications/v1/applications", (201,), json=body)["number"]
        for kind in ("degree", "identity", "specialty_certificate"):  # what a consultant's request needs
            files = {"file": ("scan.pdf", b"%PDF-1.4\n")}
            self.call(
                "POST",
                f"/api/applications/v1/applications/{number}/documents",
                (201,),
                data={"kind": kind},
                files=files,
            )
        self.call("POST", f"/api/applications/v1/applications/{number}/submit", (200,))
        invoices = self._invoices(number)
        for invoice in invoices:
            payment = self.call(
                "POST",
                f"/api/billing/v1/invoices/{invoice['id']}/payments",
                (201,),
                json={"method": "mada"},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            completion = f"/api/billing/v1/sandbox/payments/{payment['id']}/complete"
            self.call("POST", completion, (200, 202), json={"outcome": "captured"})
        self.call("GET", f"/api/applications/v1/status/{number}", (200,))

    def _invoices(self, number: str) -> list:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            # 404 until billing has heard of the request
            invoices = self.call("GET", f"/api/billing/v1/invoices?application={number}", (200, 404))
            if isinstance(invoices, list) and len(invoices) == 2:
                return invoices
            time.sleep(0.2)  # billing learns of the request by event: no call to wait on
        raise RuntimeError(f"no invoices for {number}")


def drive(platform: Platform, applicants: int, requests_each: int, threads: int) -> float:
    def one(_n: int) -> None:
        person = Applicant(platform)
        person.sign_up()
        for _ in range(requests_each):
            person.request_and_pay()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, range(applicants)))
    return time.monotonic() - started


def run(applicants: int, requests_each: int, threads: int, settle: float) -> tuple[dict[str, Usage], float]:
    """Each process's usage, and how long the load took."""
    loaded, stop = threading.Event(), threading.Event()
    with platform_on_free_ports("footprint", SERVICES, postgres=True) as platform:
        usage = watch(platform, loaded, stop)
        time.sleep(settle)  # idle: what each process holds once started
        loaded.set()
        elapsed = drive(platform, applicants, requests_each, threads)
        time.sleep(3)  # the consumers and mailer finish the last events
        stop.set()
    return usage, elapsed


def figures(applicants: int = 40, requests_each: int = 3, threads: int = 8, settle: float = 10.0) -> list[Figure]:
    usage, _elapsed = run(applicants, requests_each, threads, settle)
    web = {name: use.peak_process_rss / 2**20 for name, use in usage.items() if "-web" in name}
    # accounts-web's workers hold 64 MiB per password hash in progress (docs/operations.md): apart
    hashing = {name: rss for name, rss in web.items() if name.startswith("accounts-")}
    others = {name: rss for name, rss in web.items() if name not in hashing}
    heaviest = max(others, key=others.__getitem__)
    return [
        Figure(
            f"web worker RSS under load, largest ({heaviest})",
            others[heaviest],
            "MiB",
            None,
            f"< {WORKER_RSS_GOAL_MIB} MiB",
            others[heaviest] < WORKER_RSS_GOAL_MIB,
        ),
        Figure(
            "accounts-web worker RSS under load (64 MiB a password hash)", max(hashing.values()), "MiB", None, "", None
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.footprint", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--applicants", type=int, default=40)
    parser.add_argument("--requests-each", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds of idle sampling first")
    args = parser.parse_args(argv)
    usage, elapsed = run(args.applicants, args.requests_each, args.threads, args.settle)
    total = args.applicants * args.requests_each
    print(
        f"footprint: {args.applicants} applicants, {total} requests sent and paid in {elapsed:.0f}s "
        f"({args.threads} client threads, {os.cpu_count()} cores)"
    )
    print(f"  {'process':24s} {'idle RSS':>9s} {'peak RSS':>9s} {'mean CPU':>9s} {'peak CPU':>9s}")
    for name, use in usage.items():
        mean = sum(use.cpu) / len(use.cpu) if use.cpu else 0.0
        peak = max(use.cpu, default=0.0)
        print(
            f"  {name:24s} {use.idle_rss / 2**20:7.0f}Mi {use.peak_rss / 2**20:7.0f}Mi "
            f"{mean * 1000:7.0f}m {peak * 1000:8.0f}m"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
