"""docker-compose.prod.yml over docker-compose.yml, as Docker Compose reads it (`docker compose
config`, which needs no engine): only the gateway is published, the management UI on loopback, no
mail catcher, every process in production with its own secrets from the env file."""

import json
import subprocess
from pathlib import Path

import compose
import pytest

from mumaris_shared.broker_access import SERVICES
from ops.processes import PROCESSES

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DOCKER_COMPOSE = Path(compose.__file__).parent / "docker-compose"  # Compose v2 itself (requirements-dev.txt)
PRODUCTION = ["-f", "docker-compose.yml", "-f", "docker-compose.prod.yml"]


def _config(*args):
    return subprocess.run(
        [str(DOCKER_COMPOSE), "--project-directory", str(ROOT), *args, "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def production():
    done = _config("--env-file", ".env.production.example", *PRODUCTION)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["services"]


def test_only_the_gateway_is_published_and_the_management_ui_on_loopback_only(production):
    published = {name: service["ports"] for name, service in production.items() if service.get("ports")}
    assert set(published) == {"gateway", "rabbitmq"}
    assert [(p["target"], p.get("host_ip")) for p in published["gateway"]] == [(443, None)]
    assert [(p["target"], p["host_ip"]) for p in published["rabbitmq"]] == [(15672, "127.0.0.1")]
    assert "mailpit" not in production  # no mail catcher
    mounted = {v["target"]: v["source"] for v in production["gateway"]["volumes"]}
    assert mounted["/etc/nginx/nginx.conf"].endswith("gateway/nginx.compose.prod.conf")
    assert {"/etc/nginx/tls/tls.crt", "/etc/nginx/tls/tls.key"} <= set(mounted)
    config = (ROOT / "gateway" / "nginx.compose.prod.conf").read_text()
    assert "listen 443 ssl;" in config and "location ^~ /api/billing/v1/sandbox/ { return 404; }" in config


def test_every_process_runs_in_production_with_its_own_secrets_only(production):
    commands = [proc.name for proc in PROCESSES] + [f"{service}-migrate" for service in (*SERVICES, "portal")]
    for name in commands:
        service, environment = name.split("-")[0], production[name]["environment"]
        assert environment["MUMARIS_ENV"] == "production", name
        if service in SERVICES:  # the portal is not on the bus
            assert environment[f"{service.upper()}_RABBITMQ_PASSWORD"] == "<secret>", name
        others = [s for s in SERVICES if s != service]
        assert not any(environment.get(f"{other.upper()}_RABBITMQ_PASSWORD") for other in others), name
        assert ("ACCOUNTS_KEY_ENCRYPTION_KEY" in environment) == (service == "accounts"), name
        assert ("PORTAL_SESSION_SECRET" in environment) == (service == "portal"), name
    assert production["postgres"]["environment"]["POSTGRES_PASSWORD"] == "<secret>"
    assert production["rabbitmq-definitions"]["environment"]["MUMARIS_ENV"] == "production"


def test_compose_refuses_to_start_production_without_its_env_file():
    done = _config(*PRODUCTION)
    assert done.returncode != 0 and "in .env.production" in done.stderr


def test_the_real_env_file_is_never_committed():
    ignored = subprocess.run(["git", "check-ignore", ".env.production"], cwd=ROOT, capture_output=True, text=True)
    assert ignored.returncode == 0
