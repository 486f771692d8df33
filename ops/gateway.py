"""The gateway's nginx configuration, rendered from ``gateway/nginx.conf.template``: for the
launcher (services on local ports) and for docker compose (``gateway/nginx.compose.conf``)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from .net import HOST
from .processes import DEFAULT_PORTS, ROOT, SERVICES, PlatformError

GATEWAY_DIR = ROOT / "gateway"
COMPOSE_CONFIG = GATEWAY_DIR / "nginx.compose.conf"


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
    """Values for the docker compose variant (gateway/nginx.compose.conf)."""
    values = {
        "USER_DIRECTIVE": "user nginx;",
        "PID_PATH": "/tmp/nginx.pid",
        "ERROR_LOG": "/dev/stderr",
        "ACCESS_LOG": "/dev/stdout",
        "TEMP_DIR": "/tmp",
        "LISTEN": "80",
        "STATIC_ROOT": "/usr/share/nginx/html",
    }
    for service in SERVICES:
        values[f"{service.upper()}_UPSTREAM"] = f"server {service}:8000;"
    return values


def write_compose_config() -> Path:
    header = "# GENERATED from gateway/nginx.conf.template by `python -m ops.launcher render-compose-gateway`.\n"
    COMPOSE_CONFIG.write_text(header + render_gateway_config(compose_gateway_values()))
    return COMPOSE_CONFIG


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
        "STATIC_ROOT": str(GATEWAY_DIR),
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
