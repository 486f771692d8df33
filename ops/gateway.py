"""The gateway's nginx configuration, rendered from ``gateway/nginx.conf.template``: for the
launcher (services on local ports), for docker compose (``gateway/nginx.compose.conf``, and
``gateway/nginx.compose.prod.conf`` for ``docker-compose.prod.yml``) and for Kubernetes
(``deploy/kubernetes/base/gateway/``).

Settings (docs/security.md): GATEWAY_TLS_CERT and GATEWAY_TLS_KEY (PEM files: TLS on the
gateway's port, with HSTS); GATEWAY_AUTH_RATE (10r/m) and GATEWAY_AUTH_BURST (10), the rate of
sign-in, registration, code and password-reset requests per client address; MUMARIS_ENV
(production keeps /metrics, /readyz, /openapi.json and the sandbox off the public gateway)."""

from __future__ import annotations

import math
import os
import re
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from .net import HOST, web_socket
from .processes import DEFAULT_PORTS, ROOT, SERVICES, PlatformError

GATEWAY_DIR = ROOT / "gateway"
PORTAL_STATIC = ROOT / "services" / "portal" / "portal" / "static"
# In a container the gateway has no copy of the portal's files: the portal serves them, the
# gateway adds the cache headers (its own replace the portal's).
PORTAL_STATIC_PROXIED = "proxy_pass http://portal; proxy_hide_header Cache-Control;"
COMPOSE_CONFIG = GATEWAY_DIR / "nginx.compose.conf"
COMPOSE_PRODUCTION_CONFIG = GATEWAY_DIR / "nginx.compose.prod.conf"
# Where docker-compose.prod.yml mounts the certificate and its key in the gateway's container.
COMPOSE_TLS = ("/etc/nginx/tls/tls.crt", "/etc/nginx/tls/tls.key")
KUBERNETES_GATEWAY_DIR = ROOT / "deploy" / "kubernetes" / "base" / "gateway"

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


def _in_a_container(upstream: str, listen: str, settings: Mapping[str, str], **values: str) -> dict[str, str]:
    """Values of a gateway on nginx's official image: logs to the container's output, temporary
    files and pid under /tmp (the only writable place on Kubernetes), each service's upstream
    from ``upstream`` with {service} filled in, listening on ``listen`` as ``settings`` say."""
    values = {
        "PID_PATH": "/tmp/nginx.pid",
        "ACCESS_LOG": "/dev/stdout",
        "TEMP_DIR": "/tmp",
        **values,
        **security_values(listen, settings),
    }
    for service in SERVICES:
        values[f"{service.upper()}_UPSTREAM"] = upstream.format(service=service)
    return values


def compose_gateway_values(settings: Mapping[str, str] | None = None, listen: str = "80") -> dict[str, str]:
    """Values for the docker compose variant (gateway/nginx.compose.conf). Each web process is
    found by its compose service name through Docker's DNS, again every 5 seconds, so replicas
    added or removed with `--scale` are followed without restarting the gateway (`resolve` needs
    nginx >= 1.27.3, and a shared-memory zone per upstream)."""
    return _in_a_container(
        "zone {service} 64k; server {service}-web:8000 resolve;",
        listen,
        settings or {},
        USER_DIRECTIVE="user nginx;",
        ERROR_LOG="/dev/stderr",
        PORTAL_STATIC_SOURCE=PORTAL_STATIC_PROXIED,
        RESOLVER="resolver 127.0.0.11 valid=5s ipv6=off;",
    )


def compose_production_gateway_values() -> dict[str, str]:
    """Values for docker-compose.prod.yml (gateway/nginx.compose.prod.conf): TLS on 443 with the
    mounted certificate, the operators' endpoints and the sandbox not routed."""
    production = {"MUMARIS_ENV": "production", "GATEWAY_TLS_CERT": COMPOSE_TLS[0], "GATEWAY_TLS_KEY": COMPOSE_TLS[1]}
    return compose_gateway_values(production, listen="443")


def kubernetes_gateway_values() -> dict[str, str]:
    """Values for the Kubernetes variant (deploy/kubernetes/base/gateway/nginx.conf): nginx as an
    unprivileged user on port 8080, each web process by its Service's name (a stable cluster IP,
    resolved once); the configuration is mounted from a ConfigMap. TLS ends at the cluster's
    ingress; the operators' endpoints are reached on the services' own Services, so this gateway
    never routes them (as in production)."""
    return _in_a_container(
        "server {service}-web:8000;",
        "8080",
        {"MUMARIS_ENV": "production"},
        USER_DIRECTIVE="",
        ERROR_LOG="stderr",
        PORTAL_STATIC_SOURCE=PORTAL_STATIC_PROXIED,
        RESOLVER="# Services' names: resolved at start (a Service's cluster IP does not change)",
    )


# `python -m ops.launcher <command>` -> the configurations it writes, with their values
RENDERED_GATEWAYS: dict[str, dict[Path, Callable[[], dict[str, str]]]] = {
    "render-compose-gateway": {
        COMPOSE_CONFIG: compose_gateway_values,
        COMPOSE_PRODUCTION_CONFIG: compose_production_gateway_values,
    },
    "render-kubernetes-gateway": {KUBERNETES_GATEWAY_DIR / "nginx.conf": kubernetes_gateway_values},
}


def rendered_gateway(command: str) -> dict[Path, str]:
    """The files `python -m ops.launcher <command>` writes, by path, with their text."""
    header = f"# GENERATED from gateway/nginx.conf.template by `python -m ops.launcher {command}`.\n"
    return {config: header + render_gateway_config(values()) for config, values in RENDERED_GATEWAYS[command].items()}


def write_rendered_gateway(command: str) -> list[Path]:
    files = rendered_gateway(command)
    for path, text in files.items():
        path.write_text(text)
    return list(files)


def local_gateway(
    prefix: Path, log_dir: Path, port: int, web_ports: Mapping[str, list[int]], settings: Mapping[str, str]
) -> list[str]:
    """Write the configuration of a gateway on ``port`` in front of the services' ``web_ports``
    (each reached on its Unix socket, ops.net.web_socket) under ``prefix`` (TLS, rate limit and
    production from ``settings``), check it with ``nginx -t``, and return the command that runs
    nginx on it."""
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
        "PORTAL_STATIC_SOURCE": f"alias {PORTAL_STATIC}/;",
        "RESOLVER": "# addresses: nothing to resolve",
        **security_values(f"{HOST}:{port}", settings),
    }
    for service in SERVICES:
        # a service not run here still needs an upstream: it answers 502 in the JSON shape
        ports = web_ports.get(service) or [DEFAULT_PORTS[service]]
        values[f"{service.upper()}_UPSTREAM"] = " ".join(f"server unix:{web_socket(p)};" for p in ports)
    conf = prefix / "nginx.conf"
    conf.write_text(render_gateway_config(values))
    argv = [nginx, "-p", str(prefix), "-e", str(log_dir / "gateway-error.log"), "-c", str(conf), "-g", "daemon off;"]
    test = subprocess.run(argv[:-2] + ["-t"], capture_output=True, text=True)
    if test.returncode != 0:
        raise PlatformError(f"nginx rejected {conf}:\n{test.stderr}")
    return argv
