"""Ports and health probes on this machine, for the launcher, the mail catcher and the tests."""

from __future__ import annotations

import os
import random
import socket
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"

# The kernel gives every outgoing connection (to the broker, to the database, to a service) a
# local port from its ephemeral range. A port picked in that range and left free for the moment a
# server takes to bind it can meanwhile become the local end of such a connection, and the server
# then fails with "Address already in use". So free ports are picked outside that range.
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
# Below 20,000 live the well-known fixed ports (5432, 5672, 8080, 15672 …). Above 30,000 the
# RabbitMQ CLI tools take ports of their own (a node's distribution port + 10,000 … + 10,010), so a
# node on a port picked here never has its tools collide with another pick.
LOWEST, HIGHEST = 20000, 30000
# RabbitMQ's: epmd, the node's distribution port (AMQP + 20000), its CLI tools' (AMQP + 30000 …).
RABBITMQ_PORTS = frozenset({4369, 25672, *range(35672, 35683)})
# A port handed to one process (a pytest worker, a bench beside a test run, `make run`) is not
# handed to another for this long, by which time its server has bound it.
RESERVATIONS = Path(tempfile.gettempdir()) / "mumaris-ports"
RESERVED_FOR = 120.0
# A web process run here also serves on a Unix socket named after its port, which no other live
# process has; the gateway on the same machine connects there (ops/gateway.py: local_gateway). A
# sync worker closes the connection after each answer, so the gateway connects once a request, and
# a Unix socket's connection costs less than a TCP one. Under the temporary directory (a socket's
# path may not be longer than 107 bytes), in a directory of this user's that no one else may enter:
# a socket there cannot be another user's, listening for the requests the gateway passes on.
WEB_SOCKETS = Path(tempfile.gettempdir()) / f"mumaris-web-{os.getuid()}"


def port_free(port: int, host: str = HOST, reuse: bool = True) -> bool:
    """Whether a server could bind `port` now. `reuse` (SO_REUSEADDR, as the platform's servers
    bind): a port left in TIME_WAIT by an earlier server counts as free; without it, as used."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        if reuse:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    """A port nothing uses now, outside the ephemeral range, reserved for RESERVED_FOR seconds."""
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = HOST) -> list[int]:
    pool = _pool()
    chosen: list[int] = []
    for _ in range(50 * count + 200):
        if len(chosen) == count:
            break
        port = random.choice(pool)
        # Without SO_REUSEADDR: a port still in TIME_WAIT is not picked.
        if port not in chosen and port not in RABBITMQ_PORTS and port_free(port, host, reuse=False) and _reserve(port):
            chosen.append(port)
    if len(chosen) < count:
        raise OSError(f"no free port found among {len(pool)} candidates on {host}")
    return chosen


def _pool() -> range:
    try:
        low, high = (int(part) for part in EPHEMERAL_RANGE.read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    if min(low, HIGHEST) - LOWEST >= 2000:
        return range(LOWEST, min(low, HIGHEST))
    if 65535 - high >= 2000:
        return range(high + 1, 65536)
    return range(LOWEST, 65536)  # the whole range is ephemeral here: the reservation still helps


def _reserve(port: int) -> bool:
    """True when no process took `port` in the last RESERVED_FOR seconds; it is ours now."""
    path = RESERVATIONS / str(port)
    try:
        RESERVATIONS.mkdir(mode=0o1777, exist_ok=True)
        if time.time() - path.stat().st_mtime < RESERVED_FOR:
            return False
        path.unlink()  # an old reservation: its server has bound the port or never will
    except FileNotFoundError:
        pass
    except OSError:
        return True  # no shared directory to reserve in: the bind test alone must do
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        return False  # another process reserved it just now
    except OSError:
        return True
    return True


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


def web_socket(port: int) -> Path:
    """The Unix socket the web process serving on `port` here also serves on."""
    return WEB_SOCKETS / f"{port}.sock"


def make_web_sockets_directory() -> None:
    """WEB_SOCKETS, made when missing; refused unless it is this user's alone."""
    WEB_SOCKETS.mkdir(mode=0o700, exist_ok=True)
    found = WEB_SOCKETS.lstat()
    if not WEB_SOCKETS.is_dir() or WEB_SOCKETS.is_symlink() or found.st_uid != os.getuid() or found.st_mode & 0o077:
        raise PermissionError(f"{WEB_SOCKETS} must be a directory of this user's that no one else may enter")
