"""`make run` (= ``python -m ops.launcher``): the whole Mumaris platform on one machine.

It loads ``.env``, makes RabbitMQ (and PostgreSQL when a ``*_DATABASE_URL`` points at it)
available through ``ops/infra.sh``, starts the platform, prints where everything runs, restarts a
process that dies, and stops it all on Ctrl-C / SIGTERM.

The parts: ``ops.processes`` (the process table), ``ops.supervisor`` (``Platform``, which
end-to-end tests import from here), ``ops.children`` (one child process), ``ops.gateway`` (the
nginx configuration), ``ops.mailcatcher`` (the local SMTP server)."""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from .gateway import RENDERED_GATEWAYS, write_rendered_gateway
from .net import HOST
from .processes import DEFAULT_RABBITMQ_URL, ROOT, SERVICES, PlatformError
from .supervisor import Platform

__all__ = ["SERVICES", "Platform", "PlatformError", "main"]

INFRA_SH = ROOT / "ops" / "infra.sh"
DEFAULT_CLUSTER_PORT = 5681


def load_dotenv_file(path: Path = ROOT / ".env") -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        from dotenv import dotenv_values
    except ImportError:  # pragma: no cover - python-dotenv is in requirements.txt
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def _infra(action: str, components: list[str], state_dir: Path, settings: dict[str, str]) -> None:
    env = dict(settings, INFRA_STATE_DIR=str(state_dir))  # .env's too: the broker users' passwords
    result = subprocess.run(["bash", str(INFRA_SH), action, *components], env=env)
    if result.returncode != 0 and action == "up":
        raise PlatformError(f"ops/infra.sh up {' '.join(components)} failed (code {result.returncode})")


def _start_cluster(env: dict[str, str], directory: Path) -> str:
    """RABBITMQ_CLUSTER_NODES RabbitMQ nodes of this platform's own, clustered by ops/infra.sh:
    AMQP on RABBITMQ_CLUSTER_PORT (5681) and the ports after it, distribution 20000 above each
    (RabbitMQ's own rule), data in `directory`, kept between runs. The node names carry a digest
    of that directory: epmd maps names machine-wide, and another checkout's cluster must not
    collide with this one. Returns RABBITMQ_URL: every node's URL."""
    if env.get("RABBITMQ_URL"):
        raise PlatformError("RABBITMQ_CLUSTER_NODES starts a local cluster: leave RABBITMQ_URL unset")
    size = int(env["RABBITMQ_CLUSTER_NODES"])
    first = int(env.get("RABBITMQ_CLUSTER_PORT") or DEFAULT_CLUSTER_PORT)
    digest = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:6]
    nodes = [f"mumaris-{digest}-{n + 1}:{first + n}:{first + n + 20000}" for n in range(size)]
    print(f"starting a RabbitMQ cluster of {size} nodes ...", flush=True)
    result = subprocess.run(
        ["bash", str(INFRA_SH), "rabbitmq-cluster", "up", str(directory), *nodes], stdout=subprocess.PIPE, text=True
    )
    if result.returncode != 0:
        raise PlatformError(f"ops/infra.sh rabbitmq-cluster up failed (code {result.returncode})")
    return result.stdout.strip()


def _local(url: str) -> bool:
    return bool(re.search(r"@(127\.0\.0\.1|localhost)(:\d+)?(/|$)|^\w+://(127\.0\.0\.1|localhost)", url))


def _print_table(p: Platform) -> None:
    rows = [("portal", f"http://localhost:{p.gateway_port}/  (open this in a browser)")]
    rows.append(("gateway", p.gateway_url + "/api/<service>/"))
    if p.mailcatcher_url:
        rows.append(("mail catcher", f"{p.mailcatcher_url}/  (SMTP {HOST}:{p.mc_smtp_port})"))
    else:
        rows.append(("SMTP", f"{p.child_env.get('SMTP_HOST')}:{p.child_env.get('SMTP_PORT', '')}"))
    for service, ports in p.web_ports.items():
        behind = "/" if service == "portal" else f"/api/{service}/"
        rows.append((service, ", ".join(f"http://{HOST}:{port}" for port in ports) + f"  (gateway: {behind})"))
    nodes = [url.split("@")[-1] for url in p.child_env["RABBITMQ_URL"].split(",")]
    rows.append(("RabbitMQ", ", ".join(nodes) + (f"  (a cluster of {len(nodes)} nodes)" if len(nodes) > 1 else "")))
    rows.append(("processes", ", ".join(n for n in p.processes)))
    rows.append(("logs", str(p.log_dir)))
    width = max(len(r[0]) for r in rows)
    print("\nMumaris is running:")
    for k, v in rows:
        print(f"  {k.ljust(width)}  {v}")
    print("Ctrl-C stops everything.\n", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.launcher", description="Run the Mumaris platform.")
    parser.add_argument("command", nargs="?", default="run", choices=["run", *RENDERED_GATEWAYS])
    parser.add_argument("--services", default=",".join(SERVICES), help="comma-separated subset")
    parser.add_argument("--no-infra", action="store_true", help="do not call ops/infra.sh")
    args = parser.parse_args(argv)

    if args.command in RENDERED_GATEWAYS:
        for path in write_rendered_gateway(args.command):
            print(f"wrote {path}")
        return 0

    env = dict(os.environ)
    for k, v in load_dotenv_file().items():
        env.setdefault(k, v)  # the real environment wins over .env
    services = tuple(s for s in args.services.split(",") if s)
    platform = Platform(base_env=env, services=services)

    stop_event = threading.Event()
    running = threading.Event()

    def on_signal(signum, frame):
        if not running.is_set():
            raise KeyboardInterrupt  # interrupts start(), which stops what it started
        stop_event.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    infra_state = Path(platform.var_dir) / "infra" / f"launcher-{os.getpid()}"
    cluster = not args.no_infra and int(env.get("RABBITMQ_CLUSTER_NODES") or 1) > 1
    cluster_dir = Path(platform.var_dir) / "rabbitmq-cluster"
    components = []
    if not args.no_infra:
        if not cluster and _local(env.get("RABBITMQ_URL") or DEFAULT_RABBITMQ_URL):
            components.append("rabbitmq")
        if any(k.endswith("DATABASE_URL") and v.startswith("postgres") and _local(v) for k, v in env.items()):
            components.append("postgres")
    code = 0
    try:
        platform.check()  # before anything starts: a refusal is one line, and nothing to stop
        if components:
            _infra("up", components, infra_state, env)
        if cluster:
            env["RABBITMQ_URL"] = _start_cluster(env, cluster_dir)
            platform = Platform(base_env=env, services=services)  # on the cluster's nodes
        print("starting the platform ...", flush=True)
        platform.start()
        running.set()
        _print_table(platform)
        # watch: report and restart a process that died (with a pause, so a crash loop stays visible)
        while not stop_event.wait(1.0):
            for name, child in list(platform.processes.items()):
                if not child.alive():
                    print(
                        f"!! {name} exited (code {child.returncode}); restarting in 2 s — log {child.log_path}",
                        flush=True,
                    )
                    if stop_event.wait(2.0):
                        break
                    try:
                        platform.restart(name)
                    except PlatformError as exc:
                        print(f"!! restart of {name} failed: {exc}", flush=True)
    except PlatformError as exc:
        print(f"\nERROR: {exc}", file=sys.stderr, flush=True)
        code = 1
    except KeyboardInterrupt:
        code = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("stopping ...", flush=True)
        platform.stop()
        if cluster:
            subprocess.run(["bash", str(INFRA_SH), "rabbitmq-cluster", "down", str(cluster_dir)])
        if components:
            _infra("down", components, infra_state, env)
        print("stopped.", flush=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
