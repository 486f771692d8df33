"""The Mumaris platform launcher: every process of every service on one machine, behind nginx.

``make run`` (= ``python -m ops.launcher``) loads ``.env``, makes RabbitMQ (and PostgreSQL when a
``*_DATABASE_URL`` points at it) available through ``ops/infra.sh``, starts the platform, prints
where everything runs, and stops it all on Ctrl-C / SIGTERM.

End-to-end tests use the class directly::

    from ops.launcher import Platform
    platform = Platform(env={"RABBITMQ_URL": ...}, var_dir=tmp_path, gateway_port=0)  # 0 = free port
    platform.start()
    requests.post(platform.gateway_url + "/api/accounts/v1/accounts", json=...)
    mail = platform.mailcatcher.wait_for(lambda m: "alice@example.com" in m["to"], timeout=20)
    platform.kill("notifications-consumer")        # SIGKILL, to test recovery
    platform.restart("notifications-consumer")
    platform.run_module("accounts.cli", "create-staff", "--email", ..., check=True)
    platform.stop()

The processes are one data table, ``PROCESSES``, below: add a line to add a process.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GATEWAY_DIR = ROOT / "gateway"
KUBERNETES_GATEWAY_DIR = ROOT / "deploy" / "kubernetes" / "base" / "gateway"
INFRA_SH = ROOT / "ops" / "infra.sh"

SERVICES = ("accounts", "applications", "billing", "notifications")
DEFAULT_PORTS = {"accounts": 8101, "applications": 8102, "billing": 8103, "notifications": 8104}
DEFAULT_GATEWAY_PORT = 8080
DEFAULT_MAILCATCHER_SMTP_PORT = 1025
DEFAULT_MAILCATCHER_HTTP_PORT = 8025
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
HOST = "127.0.0.1"


# ---------------------------------------------------------------- the process table
@dataclass(frozen=True)
class Proc:
    """One long-running process. ``argv`` may use {python} and {port} (the service's web port)."""

    name: str
    service: str
    argv: tuple[str, ...]
    module: str  # must be importable, else the service is reported as missing
    web: bool = False  # has an HTTP port and answers /healthz
    optional: bool = False  # started only when ``module`` exists (e.g. not written yet)


def web(service: str) -> Proc:
    return Proc(
        f"{service}-web",
        service,
        (
            "{python}",
            "-m",
            "gunicorn",
            "--bind",
            HOST + ":{port}",
            "--workers",
            "1",
            "--threads",
            "8",
            "--access-logfile",
            "-",
            # gunicorn 27 otherwise shares one control socket (~/.gunicorn/gunicorn.ctl) among all
            "--no-control-socket",
            f"{service}.wsgi:app",
        ),
        module=f"{service}.wsgi",
        web=True,
    )


def worker(service: str, role: str, optional: bool = False) -> Proc:
    module = f"{service}.{role}"
    return Proc(f"{service}-{role}", service, ("{python}", "-m", module), module=module, optional=optional)


# Start order; stop is the reverse. The gateway (nginx) starts after all of these.
PROCESSES: tuple[Proc, ...] = (
    web("accounts"),
    web("applications"),
    web("billing"),
    web("notifications"),
    worker("accounts", "relay"),
    worker("applications", "relay"),
    worker("billing", "relay"),
    worker("accounts", "consumer"),
    worker("applications", "consumer"),
    worker("billing", "consumer"),
    worker("notifications", "consumer"),
    worker("notifications", "mailer"),
    worker("billing", "scheduler", optional=True),  # started once billing.scheduler exists
)

MIGRATION = ("{python}", "-m", "{service}.migrate")


class PlatformError(RuntimeError):
    pass


# ---------------------------------------------------------------- helpers
def port_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def find_nginx() -> str:
    for candidate in ("nginx", "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"):
        if os.path.sep in candidate:
            if os.access(candidate, os.X_OK):
                return candidate
        else:
            found = subprocess.run(["sh", "-c", f"command -v {candidate}"], capture_output=True, text=True)
            if found.returncode == 0 and found.stdout.strip():
                return found.stdout.strip()
    raise PlatformError("nginx not found: run `make install` (ops/install.sh installs it)")


def render_gateway_config(values: Mapping[str, str], template: Path = GATEWAY_DIR / "nginx.conf.template") -> str:
    """Fill the {{NAME}} placeholders of the gateway template; every one must be given."""
    text = template.read_text()

    def sub(match: re.Match) -> str:
        key = match.group(1)
        if key not in values:
            raise PlatformError(f"gateway template: no value for {{{{{key}}}}}")
        return str(values[key])

    return re.sub(r"\{\{([A-Z_]+)\}\}", sub, text)


def compose_gateway_values() -> dict[str, str]:
    """Values for the docker compose variant (gateway/nginx.compose.conf). Each web process is
    found by its compose service name through Docker's DNS, again every 5 seconds, so replicas
    added or removed with `--scale` are followed without restarting the gateway (`resolve` needs
    nginx >= 1.27.3, and a shared-memory zone per upstream)."""
    values = {
        "USER_DIRECTIVE": "user nginx;",
        "PID_PATH": "/tmp/nginx.pid",
        "ERROR_LOG": "/dev/stderr",
        "ACCESS_LOG": "/dev/stdout",
        "TEMP_DIR": "/tmp",
        "LISTEN": "80",
        "STATIC_ROOT": "/usr/share/nginx/html",
        "RESOLVER": "resolver 127.0.0.11 valid=5s ipv6=off;",
    }
    for service in SERVICES:
        values[f"{service.upper()}_UPSTREAM"] = f"zone {service} 64k; server {service}-web:8000 resolve;"
    return values


def kubernetes_gateway_values() -> dict[str, str]:
    """Values for the Kubernetes variant (deploy/kubernetes/base/gateway/nginx.conf): nginx as an
    unprivileged user, each web process by its Service's name (a stable cluster IP, resolved
    once); the configuration and the page are mounted from one ConfigMap."""
    values = {
        "USER_DIRECTIVE": "",
        "PID_PATH": "/tmp/nginx.pid",
        "ERROR_LOG": "stderr",
        "ACCESS_LOG": "/dev/stdout",
        "TEMP_DIR": "/tmp",
        "LISTEN": "8080",
        "STATIC_ROOT": "/etc/mumaris-gateway",
        "RESOLVER": "# Services' names: resolved at start (a Service's cluster IP does not change)",
    }
    for service in SERVICES:
        values[f"{service.upper()}_UPSTREAM"] = f"server {service}-web:8000;"
    return values


# command -> (its configuration file, its values, the directory that also gets the page)
RENDERED_GATEWAYS = {
    "render-compose-gateway": (GATEWAY_DIR / "nginx.compose.conf", compose_gateway_values, None),
    "render-kubernetes-gateway": (
        KUBERNETES_GATEWAY_DIR / "nginx.conf",
        kubernetes_gateway_values,
        KUBERNETES_GATEWAY_DIR,
    ),
}


def rendered_gateway(command: str) -> dict[Path, str]:
    """The files `python -m ops.launcher <command>` writes, by path, with their text."""
    config, values, page_dir = RENDERED_GATEWAYS[command]
    header = f"# GENERATED from gateway/nginx.conf.template by `python -m ops.launcher {command}`.\n"
    files = {config: header + render_gateway_config(values())}
    if page_dir is not None:  # a ConfigMap may only hold files from its own directory
        files[page_dir / "index.html"] = (GATEWAY_DIR / "index.html").read_text()
    return files


def write_rendered_gateway(command: str) -> list[Path]:
    files = rendered_gateway(command)
    for path, text in files.items():
        path.write_text(text)
    return list(files)


def load_dotenv_file(path: Path = ROOT / ".env") -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        from dotenv import dotenv_values
    except ImportError:  # pragma: no cover - python-dotenv is in requirements.txt
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


# ---------------------------------------------------------------- the platform
@dataclass
class Child:
    name: str
    argv: list[str]
    log_path: Path
    popen: subprocess.Popen | None = None
    port: int | None = None
    started_at: float = 0.0
    restarts: int = 0

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.popen is None else self.popen.poll()


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
            if proc.optional and not module_exists(proc.module):
                continue
            for index in range(self.replica_count[proc.service]):
                name = proc.name if index == 0 else f"{proc.name}-{index + 1}"
                out.append((name, proc, self.web_ports[proc.service][index] if proc.web else None))
        return out

    def _check_installed(self) -> None:
        missing = []
        for service in self.services:
            needed = [f"{service}.migrate"] if self.migrate else []
            needed += [p.module for p in PROCESSES if p.service == service and not p.optional]
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
    def start(self) -> Platform:
        with self._lock:
            if self._started:
                return self
            self._resolve()
            self._check_installed()
            self._check_ports()
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self._started = True
            try:
                if self.mailcatcher:
                    from ops.mailcatcher import MailCatcher

                    self.mailcatcher_instance = MailCatcher(
                        smtp_port=self.mc_smtp_port, http_port=self.mc_http_port, host=HOST
                    )
                    self.mailcatcher_instance.start()
                if self.migrate:
                    for service in self.services:
                        self._migrate(service)
                table = self._table()
                for name, proc, port in table:
                    self._spawn(name, proc, port)
                for name, proc, _port in table:
                    if proc.web:
                        self._wait_healthy(self.processes[name], "/healthz")
                if self.gateway:
                    self._start_gateway()
                    self._wait_healthy(self.processes["gateway"], "/gateway/healthz")
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
        return [a.format(python=self.python, port=port, service=service) for a in template]

    def _migrate(self, service: str) -> None:
        log_path = self.log_dir / f"{service}-migrate.log"
        argv = self._argv(MIGRATION, service, None)
        with open(log_path, "ab") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
            log.flush()
            result = subprocess.run(
                argv, cwd=ROOT, env=self.child_env, stdout=log, stderr=subprocess.STDOUT, timeout=300
            )
        if result.returncode != 0:
            raise PlatformError(
                f"migrations of {service} failed (code {result.returncode}); log {log_path}:\n{tail(log_path)}"
            )

    def _spawn(self, name: str, proc: Proc, port: int | None) -> Child:
        child = self.processes.get(name) or Child(
            name, self._argv(proc.argv, proc.service, port), self.log_dir / f"{name}.log", port=port
        )
        self._popen(child)
        self.processes[name] = child
        return child

    def _popen(self, child: Child) -> None:
        with open(child.log_path, "ab") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(child.argv)}\n".encode())
            log.flush()
            # own session: Ctrl-C in the terminal reaches only the launcher, which stops children
            child.popen = subprocess.Popen(
                child.argv,
                cwd=ROOT,
                env=self.child_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        child.started_at = time.monotonic()

    def _start_gateway(self) -> None:
        nginx = find_nginx()
        prefix = self.var_dir / "nginx"
        temp = prefix / "temp"
        for d in (prefix, temp, prefix / "logs"):
            d.mkdir(parents=True, exist_ok=True)
        values = {
            "USER_DIRECTIVE": "user root;" if os.geteuid() == 0 else "",
            "PID_PATH": str(prefix / "nginx.pid"),
            "ERROR_LOG": str(self.log_dir / "gateway-error.log"),
            "ACCESS_LOG": str(self.log_dir / "gateway-access.log"),
            "TEMP_DIR": str(temp),
            "LISTEN": f"{HOST}:{self.gateway_port}",
            "STATIC_ROOT": str(GATEWAY_DIR),
            "RESOLVER": "# addresses: nothing to resolve",
        }
        for service in SERVICES:
            # a service not run here still needs an upstream: it answers 502 in the JSON shape
            ports = self.web_ports.get(service) or [DEFAULT_PORTS[service]]
            values[f"{service.upper()}_UPSTREAM"] = " ".join(f"server {HOST}:{port};" for port in ports)
        conf = prefix / "nginx.conf"
        conf.write_text(render_gateway_config(values))
        argv = [
            nginx,
            "-p",
            str(prefix),
            "-e",
            str(self.log_dir / "gateway-error.log"),
            "-c",
            str(conf),
            "-g",
            "daemon off;",
        ]
        test = subprocess.run(argv[:-2] + ["-t"], capture_output=True, text=True)
        if test.returncode != 0:
            raise PlatformError(f"nginx rejected {conf}:\n{test.stderr}")
        child = Child("gateway", argv, self.log_dir / "gateway.log", port=self.gateway_port)
        self._popen(child)
        self.processes["gateway"] = child

    def _wait_healthy(self, child: Child, path: str) -> None:
        url = f"http://{HOST}:{child.port}{path}"
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if not child.alive():
                raise PlatformError(
                    f"{child.name} exited (code {child.returncode}) before answering "
                    f"{url}; log {child.log_path}:\n{tail(child.log_path)}"
                )
            if http_status(url, timeout=2) == 200:
                return
            time.sleep(0.2)
        raise PlatformError(
            f"{child.name} did not answer {url} within {self.startup_timeout:.0f}s; "
            f"log {child.log_path}:\n{tail(child.log_path)}"
        )

    def stop(self) -> None:
        """SIGTERM every child (reverse start order), SIGKILL what is left after the grace period."""
        with self._lock:
            children = [c for c in reversed(list(self.processes.values())) if c.alive()]
            for child in children:
                self._signal(child, signal.SIGTERM)
            deadline = time.monotonic() + self.stop_grace
            for child in children:
                try:
                    child.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            for child in children:
                self._signal_group(child, signal.SIGKILL)  # stragglers and any grandchildren
                if child.popen.poll() is None:
                    child.popen.wait(timeout=5)
            if self.mailcatcher_instance is not None:
                self.mailcatcher_instance.stop()
                self.mailcatcher_instance = None
            self._started = False

    @staticmethod
    def _signal(child: Child, sig: int) -> None:
        if child.popen is not None and child.popen.poll() is None:
            try:
                os.kill(child.popen.pid, sig)
            except ProcessLookupError:
                pass

    @staticmethod
    def _signal_group(child: Child, sig: int) -> None:
        # each child leads its own process group (start_new_session), so its pid is the group id
        if child.popen is None:
            return
        try:
            os.killpg(child.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self) -> Platform:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -------- one process at a time (reliability tests)
    def kill(self, name: str, sig: int = signal.SIGKILL, wait: float = 10.0) -> None:
        """Send ``sig`` (default SIGKILL) to a process and wait for it to exit."""
        child = self.processes[name]
        if sig == signal.SIGKILL:
            self._signal_group(child, sig)
        else:
            self._signal(child, sig)
        if child.popen is not None:
            child.popen.wait(timeout=wait)

    def restart(self, name: str) -> Child:
        """Start ``name`` again (stopping it first if it still runs); waits for /healthz on web ones."""
        with self._lock:
            child = self.processes[name]
            if child.alive():
                self._signal(child, signal.SIGTERM)
                try:
                    child.popen.wait(timeout=self.stop_grace)
                except subprocess.TimeoutExpired:
                    self._signal_group(child, signal.SIGKILL)
                    child.popen.wait(timeout=5)
            self._popen(child)
            child.restarts += 1
            if name == "gateway":
                self._wait_healthy(child, "/gateway/healthz")
            elif child.port is not None:
                self._wait_healthy(child, "/healthz")
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


# ---------------------------------------------------------------- `make run`
def _infra(action: str, components: list[str], state_dir: Path) -> None:
    env = dict(os.environ, INFRA_STATE_DIR=str(state_dir))
    result = subprocess.run(["bash", str(INFRA_SH), action, *components], env=env)
    if result.returncode != 0 and action == "up":
        raise PlatformError(f"ops/infra.sh up {' '.join(components)} failed (code {result.returncode})")


def _local(url: str) -> bool:
    return bool(re.search(r"@(127\.0\.0\.1|localhost)(:\d+)?(/|$)|^\w+://(127\.0\.0\.1|localhost)", url))


def _print_table(p: Platform) -> None:
    rows = [("gateway", p.gateway_url + "/")]
    if p.mailcatcher_url:
        rows.append(("mail catcher", f"{p.mailcatcher_url}/  (SMTP {HOST}:{p.mc_smtp_port})"))
    else:
        rows.append(("SMTP", f"{p.child_env.get('SMTP_HOST')}:{p.child_env.get('SMTP_PORT', '')}"))
    for service, ports in p.web_ports.items():
        rows.append((service, ", ".join(f"http://{HOST}:{port}" for port in ports) + f"  (gateway: /api/{service}/)"))
    rows.append(("RabbitMQ", p.child_env["RABBITMQ_URL"].split("@")[-1]))
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
    components = []
    if not args.no_infra:
        if _local(env.get("RABBITMQ_URL") or DEFAULT_RABBITMQ_URL):
            components.append("rabbitmq")
        if any(k.endswith("DATABASE_URL") and v.startswith("postgres") and _local(v) for k, v in env.items()):
            components.append("postgres")
    code = 0
    try:
        if components:
            _infra("up", components, infra_state)
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
        if components:
            _infra("down", components, infra_state)
        print("stopped.", flush=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
