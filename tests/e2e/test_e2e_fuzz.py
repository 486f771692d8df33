"""Every service's API fuzzed against its own OpenAPI document, on the running platform: schemathesis
with all its checks — server errors, statuses, headers and bodies the document does not promise,
valid data refused, invalid data accepted, missing auth or headers not refused, unsupported
methods, one applicant reading what another made — and stateful runs that follow the links between
operations (a request created, then sent, withdrawn, decided ...). It must find nothing.

Identities (a Web Fuzzing Commons auth file): an applicant, a reviewer and a secretary-general;
each operation is tried as the first of them its roles admit. A second applicant is the first
one's peer: neither may read what the other made.

One exception: a few operations refuse well-formed data for facts no schema can state, with 422 as
the public contract says — a verification or reset code that is well formed but not the right one,
a current password that is not the account's, a file whose content is not a PDF, JPEG or PNG, a
CPD activity dated in the future, a renewal without the CPD hours. Those run on their own, with 422
among the answers valid data may get; every check still runs on them.

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
MAX_EXAMPLES = os.environ.get("MUMARIS_FUZZ_EXAMPLES", "4")
# operations that refuse some well-formed data (422) for facts beyond its form (see above)
BEYOND_FORM = {
    "accounts": ["POST /v1/accounts/verify", "POST /v1/password/reset", "POST /v1/me/password"],
    "applications": [
        "POST /v1/applications/{number}/documents",
        "POST /v1/updates/{update_id}/documents",
        "POST /v1/memberships/{membership_number}/cpd/{activity_id}/documents",
        "POST /v1/memberships/{membership_number}/cpd",
        "POST /v1/memberships/{membership_number}/renewals",
    ],
}
# schemathesis' own default for valid data, and 422
BEYOND_FORM_ACCEPTS = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]


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
    accepting = f"[checks.positive_data_acceptance]\nexpected-statuses = {json.dumps(BEYOND_FORM_ACCEPTS)}\n"
    for service in SERVICES:
        names = BEYOND_FORM.get(service, [])
        excluded = [option for name in names for option in ("--exclude-name", name)]
        runs[service] = _run(platform, service, auth, folder / f"{service}.toml", *excluded)
        if names:
            included = [option for name in names for option in ("--include-name", name)]
            config = folder / f"{service}-beyond-form.toml"
            runs[f"{service}, {len(names)} beyond form"] = _run(platform, service, auth + accepting, config, *included)
    reports = {name: run.communicate(timeout=600)[0] for name, run in runs.items()}
    failed = {name: reports[name] for name, run in runs.items() if run.returncode != 0}
    assert not failed, "\n\n".join(f"=== {name} (seed {SEED}) ===\n{report}" for name, report in failed.items())
