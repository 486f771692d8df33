"""What the platform is made of: the services, their default ports, and the process table.

The processes are one data table, ``PROCESSES``: add a line to add a process."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from .net import HOST, web_socket

ROOT = Path(__file__).resolve().parent.parent

SERVICES = ("accounts", "applications", "billing", "notifications", "portal")
DEFAULT_PORTS = {"accounts": 8101, "applications": 8102, "billing": 8103, "notifications": 8104, "portal": 8105}
DEFAULT_GATEWAY_PORT = 8080
DEFAULT_MAILCATCHER_SMTP_PORT = 1025
DEFAULT_MAILCATCHER_HTTP_PORT = 8025
# Where the broker is; each service connects as its own user (mumaris_shared.broker_access).
DEFAULT_RABBITMQ_URL = "amqp://127.0.0.1:5672/%2F"


class PlatformError(RuntimeError):
    pass


@dataclass(frozen=True)
class Proc:
    """One long-running process. ``argv`` may use {python} and {port} (the service's web port)."""

    name: str
    service: str
    argv: tuple[str, ...]
    module: str  # must be importable, else the service is reported as missing
    web: bool = False  # has an HTTP port and answers /healthz


def gunicorn(app: str) -> tuple[str, ...]:
    """gunicorn serving the WSGI `app` ("module:name") on {port} and on the Unix socket {socket}
    (ops.net.web_socket: the gateway's way in), with the settings every web process has
    (mumaris_shared.gunicorn_settings: WEB_WORKERS, WEB_THREADS)."""
    return (
        "{python}",
        "-m",
        "gunicorn",
        "-c",
        "python:mumaris_shared.gunicorn_settings",
        "--bind",
        HOST + ":{port}",
        "--bind",
        "unix:{socket}",
        app,
    )


def command(template: tuple[str, ...], python: str, port: int | None = None, service: str = "") -> list[str]:
    """A process's command line from its template: {python}, {port} (a web process's), {socket}
    (the Unix socket beside that port) and {service} filled in."""
    socket = web_socket(port) if port is not None else None
    return [part.format(python=python, port=port, socket=socket, service=service) for part in template]


def web(service: str) -> Proc:
    return Proc(f"{service}-web", service, gunicorn(f"{service}.wsgi:app"), module=f"{service}.wsgi", web=True)


def worker(service: str, role: str) -> Proc:
    module = f"{service}.{role}"
    return Proc(f"{service}-{role}", service, ("{python}", "-m", module), module=module)


# Start order; stop is the reverse. The gateway (nginx) starts after all of these.
PROCESSES: tuple[Proc, ...] = (
    web("accounts"),
    web("applications"),
    web("billing"),
    web("notifications"),
    web("portal"),  # the web pages: a web process only, no events
    worker("accounts", "relay"),
    worker("applications", "relay"),
    worker("billing", "relay"),
    worker("applications", "consumer"),
    worker("billing", "consumer"),
    worker("notifications", "consumer"),
    worker("notifications", "mailer"),
    worker("billing", "scheduler"),
    worker("applications", "scheduler"),
    worker("accounts", "scheduler"),
)

MIGRATION = ("{python}", "-m", "{service}.migrate")
# the consumers' queues as this release declares them (mumaris_shared.queues), then the services
QUEUE_UPGRADE = ("{python}", "-m", "mumaris_shared.queues", "upgrade")


def module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
