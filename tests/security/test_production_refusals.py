"""In production every process refuses to start, with one line naming the setting, while a secret
is missing or still has its development value; with its secrets it runs (docs/security.md)."""

import subprocess
import sys

import pytest

from mumaris_shared.broker_access import SERVICES
from ops.processes import MIGRATION, PROCESSES, ROOT, command

pytestmark = pytest.mark.integration

REFUSAL = "refusing to start in production: "
# Every process of the platform, by its own command: the process table and each migration.
COMMANDS = [(proc.name, proc.service, proc.argv) for proc in PROCESSES] + [
    (f"{service}-migrate", service, MIGRATION) for service in (*SERVICES, "portal")
]
# What each service's processes are refused for first: a service on the bus, its broker password.
FIRST_REFUSAL = {service: f"{service.upper()}_RABBITMQ_PASSWORD" for service in SERVICES} | {
    "portal": "PORTAL_SESSION_SECRET"
}
# Their broker passwords given, the services that hold other secrets are refused for those.
NEXT_REFUSAL = {
    "accounts": "ACCOUNTS_CODE_SECRET",
    "applications": "APPLICATIONS_DOCUMENT_LINK_SECRET",
    "billing": "BILLING_PAYMENT_PROVIDER=sandbox",
}


def _run(argv, service, tmp_path, **settings):
    argv = command(argv, sys.executable, port=0, service=service)
    env = {
        "PATH": "/usr/bin:/bin",
        "MUMARIS_ENV": "production",
        "MUMARIS_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        **settings,
    }
    # In an empty directory: no .env is read.
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    return done.returncode, [line for line in (done.stdout + done.stderr).splitlines() if REFUSAL in line]


@pytest.mark.parametrize("name, service, argv", COMMANDS, ids=[name for name, _s, _a in COMMANDS])
def test_a_process_without_its_secrets_refuses_to_start_naming_the_first(name, service, argv, tmp_path):
    code, refusals = _run(argv, service, tmp_path)
    assert code != 0
    assert refusals == [f"{REFUSAL}{FIRST_REFUSAL[service]} is not set; give it a secret of your own"]


@pytest.mark.parametrize("service, setting", NEXT_REFUSAL.items())
def test_a_service_given_its_broker_password_is_refused_for_its_other_secrets(service, setting, tmp_path):
    code, refusals = _run(MIGRATION, service, tmp_path, **{f"{service.upper()}_RABBITMQ_PASSWORD": "our own"})
    assert code != 0 and len(refusals) == 1 and refusals[0].startswith(REFUSAL + setting), refusals


def test_billing_on_moyasar_is_refused_without_moyasar_s_secrets(tmp_path):
    settings = {"BILLING_RABBITMQ_PASSWORD": "our own", "BILLING_PAYMENT_PROVIDER": "moyasar"}
    code, refusals = _run(MIGRATION, "billing", tmp_path, **settings)
    assert code != 0 and refusals == [f"{REFUSAL}BILLING_MOYASAR_SECRET_KEY is not set; give it a secret of your own"]


def test_the_launcher_refuses_before_starting_anything(tmp_path):
    code, refusals = _run(("{python}", "-m", "ops.launcher", "--no-infra"), "accounts", tmp_path, SMTP_HOST="mail")
    assert code == 1 and len(refusals) == 1 and "_RABBITMQ_PASSWORD is not set" in refusals[0], refusals
    assert not (tmp_path / "log").exists()  # nothing was started


def test_the_launcher_does_not_start_the_mail_catcher_in_production(tmp_path):
    code, refusals = _run(("{python}", "-m", "ops.launcher", "--no-infra"), "accounts", tmp_path)
    assert code == 1 and refusals == [f"ERROR: {REFUSAL}SMTP_HOST is not set (a real SMTP server)"]
