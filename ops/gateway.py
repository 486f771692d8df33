"""The gateway's nginx configuration, rendered from ``gateway/nginx.conf.template``: for the
launcher (services on local ports), for docker compose (``gateway/nginx.compose.conf``) and for
Kubernetes (``deploy/kubernetes/base/gateway/``)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from .net import HOST
from .processes import DEFAULT_PORTS, ROOT, SERVICES, PlatformError

GATEWAY_DIR = ROOT / "gateway"
PORTAL_STATIC = ROOT / "services" / "portal" / "portal" / "static"
# In a container the gateway has no copy of the portal's files: the portal serves them, the
# gateway adds the cache headers (its own replace the portal's).
PORTAL_STATIC_PROXIED = "proxy_pass http://portal; proxy_hide_header Cache-Control;"
COMPOSE_CONFIG = GATEWAY_DIR / "nginx.compose.conf"
KUBERNETES_GATEWAY_DIR = ROOT / "deploy" / "kubernetes" / "base" / "gateway"


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


def _in_a_container(upstream: str, **values: str) -> dict[str, str]:
    """Values of a gateway on nginx's official image: logs to the container's output, temporary
    files and pid under /tmp (the only writable place on Kubernetes), each service's upstream
    from ``upstream`` with {service} filled in."""
    values = {"PID_PATH": "/tmp/nginx.pid", "ACCESS_LOG": "/dev/stdout", "TEMP_DIR": "/tmp", **values}
    for service in SERVICES:
        values[f"{service.upper()}_UPSTREAM"] = upstream.format(service=service)
    return values


def compose_gateway_values() -> dict[str, str]:
    """Values for the docker compose variant (gateway/nginx.compose.conf). Each web process is
    found by its compose service name through Docker's DNS, again every 5 seconds, so replicas
    added or removed with `--scale` are followed without restarting the gateway (`resolve` needs
    nginx >= 1.27.3, and a shared-memory zone per upstream)."""
    return _in_a_container(
        "zone {service} 64k; server {service}-web:8000 resolve;",
        USER_DIRECTIVE="user nginx;",
        ERROR_LOG="/dev/stderr",
        LISTEN="80",
        PORTAL_STATIC_SOURCE=PORTAL_STATIC_PROXIED,
        RESOLVER="resolver 127.0.0.11 valid=5s ipv6=off;",
    )


def kubernetes_gateway_values() -> dict[str, str]:
    """Values for the Kubernetes variant (deploy/kubernetes/base/gateway/nginx.conf): nginx as an
    unprivileged user on port 8080, each web process by its Service's name (a stable cluster IP,
    resolved once); the configuration is mounted from a ConfigMap."""
    return _in_a_container(
        "server {service}-web:8000;",
        USER_DIRECTIVE="",
        ERROR_LOG="stderr",
        LISTEN="8080",
        PORTAL_STATIC_SOURCE=PORTAL_STATIC_PROXIED,
        RESOLVER="# Services' names: resolved at start (a Service's cluster IP does not change)",
    )


# `python -m ops.launcher <command>` -> (the configuration it writes, its values)
RENDERED_GATEWAYS = {
    "render-compose-gateway": (COMPOSE_CONFIG, compose_gateway_values),
    "render-kubernetes-gateway": (KUBERNETES_GATEWAY_DIR / "nginx.conf", kubernetes_gateway_values),
}


def rendered_gateway(command: str) -> dict[Path, str]:
    """The files `python -m ops.launcher <command>` writes, by path, with their text."""
    config, values = RENDERED_GATEWAYS[command]
    header = f"# GENERATED from gateway/nginx.conf.template by `python -m ops.launcher {command}`.\n"
    return {config: header + render_gateway_config(values())}


def write_rendered_gateway(command: str) -> list[Path]:
    files = rendered_gateway(command)
    for path, text in files.items():
        path.write_text(text)
    return list(files)


def local_gateway(prefix: Path, log_dir: Path, port: int, web_ports: Mapping[str, list[int]]) -> list[str]:
    """Write the configuration of a gateway on ``port`` in front of the services' ``web_ports``
    under ``prefix``, check it with ``nginx -t``, and return the command that runs nginx on it."""
    nginx = find_nginx()
    temp = prefix / "temp"
    for d in (prefix, temp, prefix / "logs"):
        d.mkdir(parents=True, exist_ok=True)
    values = {
        "USER_DIRECTIVE": "user root;" if os.geteuid() == 0 else "",
        "PID_PATH": str(prefix / "nginx.pid"),
        "ERROR_LOG": str(log_dir / "gateway-error.log"),
        "ACCESS_LOG": str(log_dir / "gateway-access.log"),
        "TEMP_DIR": str(temp),
        "LISTEN": f"{HOST}:{port}",
        "PORTAL_STATIC_SOURCE": f"alias {PORTAL_STATIC}/;",
        "RESOLVER": "# addresses: nothing to resolve",
    }
    for service in SERVICES:
        # a service not run here still needs an upstream: it answers 502 in the JSON shape
        ports = web_ports.get(service) or [DEFAULT_PORTS[service]]
        values[f"{service.upper()}_UPSTREAM"] = " ".join(f"server {HOST}:{p};" for p in ports)
    conf = prefix / "nginx.conf"
    conf.write_text(render_gateway_config(values))
    argv = [nginx, "-p", str(prefix), "-e", str(log_dir / "gateway-error.log"), "-c", str(conf), "-g", "daemon off;"]
    test = subprocess.run(argv[:-2] + ["-t"], capture_output=True, text=True)
    if test.returncode != 0:
        raise PlatformError(f"nginx rejected {conf}:\n{test.stderr}")
    return argv
