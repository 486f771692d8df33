"""The gateway's nginx configuration, rendered from ``gateway/nginx.conf.template``: for the
launcher (services on local ports) and for docker compose (``gateway/nginx.compose.conf``, and
``gateway/nginx.compose.prod.conf`` for ``docker-compose.prod.yml``).

Settings (docs/security.md): GATEWAY_TLS_CERT and GATEWAY_TLS_KEY (PEM files: TLS on the
gateway's port, with HSTS); GATEWAY_AUTH_RATE (10r/m) and GATEWAY_AUTH_BURST (10), the rate of
sign-in, registration, code and password-reset requests per client address; MUMARIS_ENV
(production keeps /metrics, /readyz, /openapi.json and the sandbox off the public gateway)."""

from __future__ import annotations

import math
import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from .net import HOST
from .processes import DEFAULT_PORTS, ROOT, SERVICES, PlatformError

GATEWAY_DIR = ROOT / "gateway"
COMPOSE_CONFIG = GATEWAY_DIR / "nginx.compose.conf"
COMPOSE_PRODUCTION_CONFIG = GATEWAY_DIR / "nginx.compose.prod.conf"
# Where docker-compose.prod.yml mounts the certificate and its key in the gateway's container.
COMPOSE_TLS = ("/etc/nginx/tls/tls.crt", "/etc/nginx/tls/tls.key")

# In production the public gateway does not route the services' operational endpoints (they stay
# on the services' own ports) nor the sandbox provider, which production refuses anyway.
PRIVATE_ROUTES = r"""        # Production: operators' endpoints stay on the services' own ports; no sandbox routes.
        location ~ ^/api/[a-z_]+/(metrics|readyz|openapi\.json)$ { return 404; }
        location ^~ /api/billing/v1/sandbox/ { return 404; }
"""
_RATE = re.compile(r"^(\d+)r/([sm])$")


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


def security_values(listen: str, settings: Mapping[str, str]) -> dict[str, str]:
    """The placeholders that depend on `settings`: where and how the gateway listens (TLS, with
    HSTS, when a certificate is given), the rate limit of the sign-in endpoints, and the routes
    production keeps private."""
    cert, key = settings.get("GATEWAY_TLS_CERT") or "", settings.get("GATEWAY_TLS_KEY") or ""
    if bool(cert) != bool(key):
        raise PlatformError("TLS needs both GATEWAY_TLS_CERT and GATEWAY_TLS_KEY")
    rate = settings.get("GATEWAY_AUTH_RATE") or "10r/m"
    found = _RATE.match(rate)
    if not found or int(found.group(1)) < 1:
        raise PlatformError(f"GATEWAY_AUTH_RATE is {rate!r}; it is requests per second or minute, e.g. 10r/m")
    per = 60 if found.group(2) == "m" else 1
    tls = ""
    if cert:
        tls = (
            f"        ssl_certificate     {cert};\n"
            f"        ssl_certificate_key {key};\n"
            "        ssl_protocols       TLSv1.2 TLSv1.3;\n"
            '        add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;\n'
        )
    return {
        "LISTEN": f"{listen} ssl" if cert else listen,
        "TLS": tls,
        "AUTH_RATE": rate,
        "AUTH_BURST": str(int(settings.get("GATEWAY_AUTH_BURST") or 10)),
        # the wait for the next request the rate lets through, in whole seconds
        "AUTH_RETRY_AFTER": str(math.ceil(per / int(found.group(1)))),
        "PRIVATE_ROUTES": PRIVATE_ROUTES if settings.get("MUMARIS_ENV") == "production" else "",
    }


def compose_gateway_values(production: bool = False) -> dict[str, str]:
    """Values for the docker compose variants: gateway/nginx.compose.conf, and with `production`
    (TLS on 443, the private routes kept off) gateway/nginx.compose.prod.conf."""
    settings = {"MUMARIS_ENV": "production", "GATEWAY_TLS_CERT": COMPOSE_TLS[0], "GATEWAY_TLS_KEY": COMPOSE_TLS[1]}
    values = {
        "USER_DIRECTIVE": "user nginx;",
        "PID_PATH": "/tmp/nginx.pid",
        "ERROR_LOG": "/dev/stderr",
        "ACCESS_LOG": "/dev/stdout",
        "TEMP_DIR": "/tmp",
        "STATIC_ROOT": "/usr/share/nginx/html",
        **(security_values("443", settings) if production else security_values("80", {})),
    }
    for service in SERVICES:
        values[f"{service.upper()}_UPSTREAM"] = f"server {service}:8000;"
    return values


def write_compose_config() -> list[Path]:
    header = "# GENERATED from gateway/nginx.conf.template by `python -m ops.launcher render-compose-gateway`.\n"
    for path, production in ((COMPOSE_CONFIG, False), (COMPOSE_PRODUCTION_CONFIG, True)):
        path.write_text(header + render_gateway_config(compose_gateway_values(production)))
    return [COMPOSE_CONFIG, COMPOSE_PRODUCTION_CONFIG]


def local_gateway(
    prefix: Path, log_dir: Path, port: int, web_ports: Mapping[str, list[int]], settings: Mapping[str, str]
) -> list[str]:
    """Write the configuration of a gateway on ``port`` in front of the services' ``web_ports``
    under ``prefix`` (TLS, rate limit and production from ``settings``), check it with ``nginx -t``,
    and return the command that runs nginx on it."""
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
        "STATIC_ROOT": str(GATEWAY_DIR),
        **security_values(f"{HOST}:{port}", settings),
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
