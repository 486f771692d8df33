"""Every service's API fuzzed against its own OpenAPI document, on the running platform: schemathesis
with all its checks — server errors, statuses and bodies the document does not promise, valid data
refused, invalid data accepted, missing auth or headers not refused, unsupported methods, one
applicant reading another's objects — and stateful runs following the links between operations.
It must find nothing.

Identities (a Web Fuzzing Commons auth file): an applicant, a reviewer and a secretary-general;
each operation is tried as the first that its roles admit. A second applicant is the first one's
peer: neither may read what the other made. Runs are bounded (examples per operation, a time
budget per service) and seeded, so the suite's time stays within its budget and a failure can be
replayed with the seed printed."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.fuzz]

SERVICES = ("accounts", "applications", "billing", "notifications")
SEED = int(os.environ.get("MUMARIS_FUZZ_SEED", "20261126"))
MAX_EXAMPLES = int(os.environ.get("MUMARIS_FUZZ_EXAMPLES", "8"))
MAX_SECONDS = int(os.environ.get("MUMARIS_FUZZ_SECONDS", "15"))  # per service, stateful phase included


@pytest.fixture(scope="module")
def fuzzed(start_another_platform, gateway_for, tmp_path_factory):
    """A platform of its own (the fuzzer's data and throttling stay there), with its identities."""
    with start_another_platform(ACCOUNTS_TOKEN_TTL="PT1H") as platform:
        gateway = gateway_for(platform)
        identities = {
            "applicant": gateway.active_account()[1],
            "reviewer": gateway.staff("reviewer")[1],
            "secretary_general": gateway.staff("secretary_general")[1],
            "applicant2": gateway.active_account()[1],
        }
        folder = tmp_path_factory.mktemp("fuzz")
        auth = folder / "auth.json"
        auth.write_text(
            json.dumps(
                {
                    "auth": [
                        {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}
                        for name, token in identities.items()
                    ]
                }
            )
        )
        config = folder / "schemathesis.toml"
        config.write_text(f'[auth.wfc]\npath = "{auth}"\npeers = ["applicant", "applicant2"]\n')
        yield platform, config


@pytest.mark.parametrize("service", SERVICES)
def test_the_api_keeps_every_promise_of_its_openapi_document(fuzzed, service, tmp_path):
    platform, config = fuzzed
    base = f"http://127.0.0.1:{platform.service_ports[service]}"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            f"{base}/openapi.json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--max-time",
            str(MAX_SECONDS),
            "--seed",
            str(SEED),
            "--workers",
            "2",
            "--request-timeout",
            "10",
            "--no-color",
            "--warnings",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, f"schemathesis found problems in {service} (seed {SEED}):\n{run.stdout}\n{run.stderr}"
