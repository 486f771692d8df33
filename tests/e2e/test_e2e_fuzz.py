"""Every service's API fuzzed against its own OpenAPI document, on the running platform: schemathesis
with all its checks — server errors, statuses, headers and bodies the document does not promise,
valid data refused, invalid data accepted, missing auth or headers not refused, unsupported
methods, one applicant reading what another made — and stateful runs that follow the links between
operations (a request created, then sent, withdrawn, decided ...). It must find nothing.

Identities (a Web Fuzzing Commons auth file): an applicant, a reviewer and a secretary-general;
each operation is tried as the first of them its roles admit. A second applicant is the first
one's peer: neither may read what the other made.

One exception, a fact of the fixed public contract that no schema can state: a well-formed
verification code is not necessarily the right one, and a wrong code is answered 422. That one
operation runs on its own, with 422 among the answers valid data may get; every check still runs.

The runs are bounded (examples per operation) and seeded, one process per service side by side;
a failure prints schemathesis' report, with the seed and a curl command to replay it."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.fuzz]

SERVICES = ("accounts", "applications", "billing", "notifications")
SEED = os.environ.get("MUMARIS_FUZZ_SEED", "20261126")
MAX_EXAMPLES = os.environ.get("MUMARIS_FUZZ_EXAMPLES", "5")
# schemathesis' own default for valid data, and 422 for the contract's wrong verification code
PINNED = {"accounts": ("/v1/accounts/verify", ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"])}


@pytest.fixture(scope="module")
def identities(start_another_platform, gateway_for, tmp_path_factory):
    """A platform of its own (the fuzzer's data stays there) and the schemathesis config naming its
    identities."""
    with start_another_platform(ACCOUNTS_TOKEN_TTL="PT1H") as platform:
        gateway = gateway_for(platform)
        tokens = {
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
                        for name, token in tokens.items()
                    ]
                }
            )
        )
        yield platform, f'[auth.wfc]\npath = "{auth}"\npeers = ["applicant", "applicant2"]\n', folder


def _run(platform, service: str, config: str, config_file, *selection: str) -> subprocess.Popen:
    config_file.write_text(config)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config_file),
            "--no-color",
            "run",
            f"http://127.0.0.1:{platform.service_ports[service]}/openapi.json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            SEED,
            # one worker: hypothesis' strategy descriptions are not thread-safe on Python 3.11
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--warnings",
            "off",
            *selection,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=config_file.parent,  # where it keeps its cache
    )


def test_every_api_keeps_the_promises_of_its_openapi_document(identities):
    platform, auth, folder = identities
    runs = {}
    for service in SERVICES:
        pinned = PINNED.get(service)
        if pinned is None:
            runs[service] = _run(platform, service, auth, folder / f"{service}.toml")
            continue
        path, statuses = pinned
        runs[service] = _run(platform, service, auth, folder / f"{service}.toml", "--exclude-path", path)
        accepting = f"[checks.positive_data_acceptance]\nexpected-statuses = {json.dumps(statuses)}\n"
        pinned_config = folder / f"{service}-pinned.toml"
        runs[f"{service} {path}"] = _run(platform, service, auth + accepting, pinned_config, "--include-path", path)
    reports = {name: run.communicate(timeout=600)[0] for name, run in runs.items()}
    failed = {name: reports[name] for name, run in runs.items() if run.returncode != 0}
    assert not failed, "\n\n".join(f"=== {name} (seed {SEED}) ===\n{report}" for name, report in failed.items())
