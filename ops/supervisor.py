"""The platform: every process of every service as a child of this one, behind nginx.

End-to-end tests use it directly (through ``ops.launcher``)::

    from ops.launcher import Platform
    platform = Platform(env={"RABBITMQ_URL": ...}, var_dir=tmp_path, gateway_port=0)  # 0 = free port
    platform.start()
    requests.post(platform.gateway_url + "/api/accounts/v1/accounts", json=...)
    mail = platform.mailcatcher_instance.wait_for(lambda m: "alice@example.com" in m["to"], timeout=20)
    platform.kill("notifications-consumer")        # SIGKILL, to test recovery
    platform.restart("notifications-consumer")
    platform.run_module("accounts.cli", "create-staff", "--email", ..., check=True)
    platform.stop()
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .children import Child, tail
from .gateway import local_gateway
from .net import HOST, free_port, make_web_sockets_directory, port_free
from .processes import (
    DEFAULT_GATEWAY_PORT,
    DEFAULT_MAILCATCHER_HTTP_PORT,
    DEFAULT_MAILCATCHER_SMTP_PORT,
    DEFAULT_PORTS,
    DEFAULT_RABBITMQ_URL,
    MIGRATION,
    PROCESSES,
    QUEUE_UPGRADE,
    ROOT,
    SERVICES,
    PlatformError,
    Proc,
    command,
    module_exists,
)


@dataclass
class Platform:
    """All processes of the platform as children of this one.

    env: settings for the children, over ``os.environ`` (``base_env`` replaces os.environ).
    var_dir: databases (SQLite), logs (<var_dir>/log/<name>.log), nginx files.
    gateway_port / ports[service] / mailcatcher ports: None = from env or the default; 0 = a free port.
    services: the services to run (default all four); mailcatcher: None = start it unless SMTP_HOST
    points elsewhere, True/False to force.
    """

    env: Mapping[str, str] = field(default_factory=dict)
    var_dir: Path | str | None = None
    gateway_port: int | None = None
    ports: Mapping[str, int] | None = None
    services: tuple[str, ...] = SERVICES
    mailcatcher: bool | None = None
    mailcatcher_smtp_port: int | None = None
    mailcatcher_http_port: int | None = None
    gateway: bool = True
    migrate: bool = True
    replicas: Mapping[str, int] | None = None  # per service; None = <SERVICE>_REPLICAS or 1
    base_env: Mapping[str, str] | None = None
    python: str = sys.executable
    startup_timeout: float = 60.0
    stop_grace: float = 10.0

    def __post_init__(self) -> None:
        merged = dict(os.environ if self.base_env is None else self.base_env)
        merged.update({k: str(v) for k, v in self.env.items()})
        self._env_in = merged
        self.var_dir = Path(self.var_dir or merged.get("MUMARIS_VAR_DIR") or ROOT / "var")
        if not self.var_dir.is_absolute():
            self.var_dir = (ROOT / self.var_dir).resolve()
        self.log_dir = self.var_dir / "log"
        unknown = set(self.services) - set(SERVICES)
        if unknown:
            raise PlatformError(f"unknown services: {sorted(unknown)}")
        self.processes: dict[str, Child] = {}
        self.mailcatcher_instance = None  # ops.mailcatcher.MailCatcher when we run it
        self._lock = threading.RLock()
        self._started = False

    # -------- configuration
    def _port(self, explicit: int | None, env_name: str, default: int) -> int:
        value = explicit if explicit is not None else int(self._env_in.get(env_name) or default)
        return free_port() if value == 0 else value

    def _resolve(self) -> None:
        e = self._env_in
        self.service_ports = {}
        for service in self.services:
            explicit = (self.ports or {}).get(service)
            self.service_ports[service] = self._port(explicit, f"{service.upper()}_PORT", DEFAULT_PORTS[service])
        self.gateway_port = self._port(self.gateway_port, "GATEWAY_PORT", DEFAULT_GATEWAY_PORT)
        self.replica_count = {
            s: int((self.replicas or {}).get(s) or e.get(f"{s.upper()}_REPLICAS") or 1) for s in self.services
        }
        for service, count in self.replica_count.items():
            url = e.get(f"{service.upper()}_DATABASE_URL") or e.get("DATABASE_URL") or ""
            if count > 1 and not url.startswith("postgresql"):
                raise PlatformError(
                    f"{service}: {count} replicas need PostgreSQL ({service.upper()}_DATABASE_URL); "
                    "on SQLite one process of each kind claims work"
                )
        # replica 1 serves on the service's port, the others on free ports
        self.web_ports = {
            s: [self.service_ports[s]] + [free_port() for _ in range(n - 1)] for s, n in self.replica_count.items()
        }
        smtp_host = (e.get("SMTP_HOST") or "").strip()
        self.production = e.get("MUMARIS_ENV") == "production"
        if self.production:
            # The mail catcher keeps every e-mail, codes included, for anyone to read: development only.
            if self.mailcatcher:
                raise PlatformError("refusing to start in production: the mail catcher is for development only")
            if not smtp_host:
                raise PlatformError("refusing to start in production: SMTP_HOST is not set (a real SMTP server)")
            self.mailcatcher = False
        mc_smtp = self._port(self.mailcatcher_smtp_port, "MAILCATCHER_SMTP_PORT", DEFAULT_MAILCATCHER_SMTP_PORT)
        if self.mailcatcher is None:
            smtp_port = (e.get("SMTP_PORT") or "").strip()
            self.mailcatcher = not smtp_host or (
                smtp_host in ("127.0.0.1", "localhost") and smtp_port in ("", str(mc_smtp))
            )
        self.mc_smtp_port = mc_smtp if self.mailcatcher else None
        self.mc_http_port = (
            self._port(self.mailcatcher_http_port, "MAILCATCHER_HTTP_PORT", DEFAULT_MAILCATCHER_HTTP_PORT)
            if self.mailcatcher
            else None
        )

        child = dict(e)
        child.update(
            {
                "MUMARIS_VAR_DIR": str(self.var_dir),
                "RABBITMQ_URL": e.get("RABBITMQ_URL") or DEFAULT_RABBITMQ_URL,
                "GATEWAY_PORT": str(self.gateway_port),
                "PYTHONUNBUFFERED": "1",
            }
        )
        for service, port in self.service_ports.items():
            child[f"{service.upper()}_PORT"] = str(port)
            child[f"{service.upper()}_URL"] = f"http://{HOST}:{port}"
        if "accounts" in self.service_ports and not e.get("ACCOUNTS_JWKS_URL"):
            child["ACCOUNTS_JWKS_URL"] = f"http://{HOST}:{self.service_ports['accounts']}/.well-known/jwks.json"
        if self.mailcatcher:
            child["SMTP_HOST"] = HOST
            child["SMTP_PORT"] = str(self.mc_smtp_port)
            child["MAILCATCHER_SMTP_PORT"] = str(self.mc_smtp_port)
            child["MAILCATCHER_HTTP_PORT"] = str(self.mc_http_port)
        child.setdefault("MUMARIS_PUBLIC_URL", f"http://localhost:{self.gateway_port}")
        self.child_env = child

    @property
    def gateway_url(self) -> str:
        return f"http://{HOST}:{self.gateway_port}"

    @property
    def mailcatcher_url(self) -> str | None:
        return f"http://{HOST}:{self.mc_http_port}" if self.mailcatcher and self.mc_http_port else None

    def service_url(self, service: str) -> str:
        return f"http://{HOST}:{self.service_ports[service]}"

    def _table(self) -> list[tuple[str, Proc, int | None]]:
        """(name, process, web port) of every process to run, replicas included: billing-web,
        billing-web-2, ..."""
        out = []
        for proc in PROCESSES:
            if proc.service not in self.services:
                continue
            for index in range(self.replica_count[proc.service]):
                name = proc.name if index == 0 else f"{proc.name}-{index + 1}"
                out.append((name, proc, self.web_ports[proc.service][index] if proc.web else None))
        return out

    def _check_installed(self) -> None:
        missing = []
        for service in self.services:
            needed = [f"{service}.migrate"] if self.migrate else []
            needed += [p.module for p in PROCESSES if p.service == service]
            absent = [m for m in needed if not module_exists(m)]
            if absent:
                hint = (
                    f"not installed (services/{service} has no pyproject.toml yet? run `make install`)"
                    if not module_exists(service)
                    else "missing module(s): " + ", ".join(absent)
                )
                missing.append(f"  {service}: {hint}")
        if missing:
            raise PlatformError(
                "cannot start the platform, services incomplete:\n"
                + "\n".join(missing)
                + f"\n(python used: {self.python})"
            )

    def _check_ports(self) -> None:
        wanted = [(f"{s}-web ({s.upper()}_PORT)", p) for s, p in self.service_ports.items()]
        if self.gateway:
            wanted.append(("gateway (GATEWAY_PORT)", self.gateway_port))
        if self.mailcatcher:
            wanted.append(("mail catcher SMTP (MAILCATCHER_SMTP_PORT)", self.mc_smtp_port))
            wanted.append(("mail catcher web (MAILCATCHER_HTTP_PORT)", self.mc_http_port))
        seen: dict[int, str] = {}
        busy = []
        for what, port in wanted:
            if port in seen:
                busy.append(f"  port {port}: wanted by both {seen[port]} and {what}")
            seen[port] = what
            if not port_free(port):
                busy.append(f"  port {HOST}:{port} for {what} is already in use")
        if busy:
            raise PlatformError(
                "cannot start the platform:\n" + "\n".join(busy) + "\n(another `make run`? choose other ports in .env)"
            )

    # -------- lifecycle
    def check(self) -> None:
        """Refuse now what would stop the platform later: settings production refuses (every
        service's, as its processes would: `mumaris_shared.runtime check-settings`), services
        not installed, ports taken."""
        self._resolve()
        self._check_installed()
        if self.production:
            checked = subprocess.run(
                [self.python, "-m", "mumaris_shared.runtime", "check-settings", *self.services],
                cwd=ROOT,
                env=self.child_env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            if checked.returncode != 0:
                raise PlatformError((checked.stderr.strip().splitlines() or ["settings refused"])[-1])
        self._check_ports()

    def start(self) -> Platform:
        with self._lock:
            if self._started:
                return self
            self.check()
            self.log_dir.mkdir(parents=True, exist_ok=True)
            make_web_sockets_directory()
            self._started = True
            try:
                if self.mailcatcher:
                    from .mailcatcher import MailCatcher

                    self.mailcatcher_instance = MailCatcher(
                        smtp_port=self.mc_smtp_port, http_port=self.mc_http_port, host=HOST
                    )
                    self.mailcatcher_instance.start()
                if self.migrate:
                    for service in self.services:
                        self._migrate(service)
                    self._upgrade_queues()
                table = self._table()
                for name, proc, port in table:
                    self._spawn(name, proc, port)
                for name, proc, _port in table:
                    if proc.web:
                        self.processes[name].wait_healthy("/healthz", self.startup_timeout)
                if self.gateway:
                    self._start_gateway()
                    self.processes["gateway"].wait_healthy("/gateway/healthz", self.startup_timeout)
                time.sleep(0.5)  # workers that die at once (bad settings, no broker) show up here
                dead = [c for c in self.processes.values() if not c.alive()]
                if dead:
                    c = dead[0]
                    raise PlatformError(
                        f"{c.name} exited at startup (code {c.returncode}); log {c.log_path}:\n{tail(c.log_path)}"
                    )
            except BaseException:
                self.stop()
                raise
            return self

    def _argv(self, template: tuple[str, ...], service: str, port: int | None) -> list[str]:
        return command(template, self.python, port, service)

    def _migrate(self, service: str) -> None:
        self._run_once(f"{service}-migrate", self._argv(MIGRATION, service, None), f"migrations of {service}")

    def _upgrade_queues(self) -> None:
        """Queues an earlier release declared otherwise, rebuilt before any consumer runs."""
        consumers = {proc.service for proc in PROCESSES if proc.name.endswith("-consumer")}
        consuming = [service for service in self.services if service in consumers]
        if consuming:
            argv = [*self._argv(QUEUE_UPGRADE, "", None), *consuming]
            self._run_once("queues-upgrade", argv, "the queues' upgrade")

    def _run_once(self, name: str, argv: list[str], what: str) -> None:
        log_path = self.log_dir / f"{name}.log"
        with open(log_path, "ab") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
            log.flush()
            result = subprocess.run(
                argv, cwd=ROOT, env=self.child_env, stdout=log, stderr=subprocess.STDOUT, timeout=300
            )
        if result.returncode != 0:
            raise PlatformError(f"{what} failed (code {result.returncode}); log {log_path}:\n{tail(log_path)}")

    def _spawn(self, name: str, proc: Proc, port: int | None) -> Child:
        child = self.processes.get(name) or Child(
            name, self._argv(proc.argv, proc.service, port), self.log_dir / f"{name}.log", port=port
        )
        child.start(ROOT, self.child_env)
        self.processes[name] = child
        return child

    def _start_gateway(self) -> None:
        argv = local_gateway(self.var_dir / "nginx", self.log_dir, self.gateway_port, self.web_ports, self.child_env)
        child = Child("gateway", argv, self.log_dir / "gateway.log", port=self.gateway_port)
        child.start(ROOT, self.child_env)
        self.processes["gateway"] = child

    def stop(self) -> None:
        """SIGTERM every child (reverse start order), SIGKILL what is left after the grace period."""
        with self._lock:
            children = [c for c in reversed(list(self.processes.values())) if c.alive()]
            for child in children:
                child.signal(signal.SIGTERM)
            deadline = time.monotonic() + self.stop_grace
            for child in children:
                try:
                    child.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            for child in children:
                child.signal_group(signal.SIGKILL)  # stragglers and any grandchildren
                if child.popen.poll() is None:
                    child.popen.wait(timeout=5)
            if self.mailcatcher_instance is not None:
                self.mailcatcher_instance.stop()
                self.mailcatcher_instance = None
            self._started = False

    def __enter__(self) -> Platform:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -------- one process at a time (reliability tests)
    def kill(self, name: str, sig: int = signal.SIGKILL, wait: float = 10.0) -> None:
        """Send ``sig`` (default SIGKILL) to a process and wait for it to exit."""
        child = self.processes[name]
        if sig == signal.SIGKILL:
            child.signal_group(sig)
        else:
            child.signal(sig)
        if child.popen is not None:
            child.popen.wait(timeout=wait)

    def restart(self, name: str) -> Child:
        """Start ``name`` again (stopping it first if it still runs); waits for /healthz on web ones."""
        with self._lock:
            child = self.processes[name]
            if child.alive():
                child.signal(signal.SIGTERM)
                try:
                    child.popen.wait(timeout=self.stop_grace)
                except subprocess.TimeoutExpired:
                    child.signal_group(signal.SIGKILL)
                    child.popen.wait(timeout=5)
            child.start(ROOT, self.child_env)
            child.restarts += 1
            if name == "gateway":
                child.wait_healthy("/gateway/healthz", self.startup_timeout)
            elif child.port is not None:
                child.wait_healthy("/healthz", self.startup_timeout)
            return child

    def run_module(
        self, module: str, *args: str, check: bool = False, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        """Run ``python -m module args`` with the platform's environment (e.g. accounts.cli)."""
        env = self.child_env if hasattr(self, "child_env") else self._env_in
        return subprocess.run(
            [self.python, "-m", module, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

    def status(self) -> dict[str, dict]:
        return {
            name: {"pid": c.pid, "alive": c.alive(), "port": c.port, "log": str(c.log_path), "restarts": c.restarts}
            for name, c in self.processes.items()
        }
