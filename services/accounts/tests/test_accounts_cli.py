"""`python -m accounts.cli create-staff`: staff accounts, active at once."""

import subprocess
import sys

import jwt
import pytest

from accounts import cli

pytestmark = pytest.mark.integration


@pytest.fixture
def staff(service, database_url, monkeypatch):
    monkeypatch.setenv("ACCOUNTS_DATABASE_URL", database_url)
    return service


def test_staff_account_is_created_active_and_announced(staff, capsys):
    code = cli.main(
        [
            "create-staff",
            "--email",
            " Reviewer@Example.com",
            "--password",
            "a long staff password",
            "--role",
            "reviewer",
            "--national-id",
            "1098765432",
            "--full-name",
            "Huda Reviewer",
            "--language",
            "en",
        ]
    )
    assert code == 0
    account_id = capsys.readouterr().out.strip()
    [registered] = staff.events("accounts.account_registered")
    [activated] = staff.events("accounts.account_activated")
    assert registered["account_id"] == activated["account_id"] == account_id
    assert activated["roles"] == ["reviewer"] and activated["language"] == "en"
    assert staff.events("accounts.verification_code_issued") == []

    token = staff.login("reviewer@example.com", "a long staff password").json["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["national_id"] == "1098765432"
    me = staff.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).json
    assert (me["id"], me["roles"], me["full_name"], me["status"]) == (
        account_id,
        ["reviewer"],
        "Huda Reviewer",
        "active",
    )


def test_staff_with_a_taken_email_is_refused_with_a_clear_error(staff, capsys):
    staff.register()
    before = staff.snapshot()
    code = cli.main(
        [
            "create-staff",
            "--email",
            "SARA@example.com",
            "--password",
            "a long staff password",
            "--role",
            "secretary_general",
            "--national-id",
            "1098765432",
        ]
    )
    assert code == 1
    assert "e-mail address exists" in capsys.readouterr().err
    assert staff.snapshot() == before


@pytest.mark.parametrize("email, password", [("sg@example.com", "short"), ("not-an-address", "a long staff password")])
def test_staff_with_a_weak_password_or_bad_email_is_refused(staff, capsys, email, password):
    before = staff.snapshot()
    made = [
        "create-staff",
        "--email",
        email,
        "--password",
        password,
        "--role",
        "reviewer",
        "--national-id",
        "1098765432",
    ]
    assert cli.main(made) == 1
    assert capsys.readouterr().err.startswith("error: ")
    assert staff.snapshot() == before


def test_command_runs_as_a_module(staff, database_url):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "accounts.cli",
            "create-staff",
            "--email",
            "sg@example.com",
            "--password",
            "a long staff password",
            "--role",
            "secretary_general",
            "--national-id",
            "2098765432",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert staff.events("accounts.account_activated")[0]["account_id"] == result.stdout.strip()


def test_a_staff_account_needs_the_persons_national_id(staff, capsys):
    with pytest.raises(SystemExit):
        cli.main(
            ["create-staff", "--email", "sg@example.com", "--password", "a long staff password", "--role", "reviewer"]
        )
    assert "--national-id" in capsys.readouterr().err
    made = ["create-staff", "--email", "sg@example.com", "--password", "a long staff password", "--role", "reviewer"]
    assert cli.main([*made, "--national-id", "12345"]) == 1
    assert "national ID" in capsys.readouterr().err
