"""The portal's app on a fresh SQLite database, with the services' APIs played by a fake that
answers like them (the browser tests use the real ones)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from mumaris_shared.db import Database
from mumaris_shared.events import isoformat, utcnow
from mumaris_shared.migrations import upgrade
from portal.adapters.services import ApiError
from portal.app import create_app
from portal.settings import Settings

SARA = {
    "id": "acct-sara",
    "full_name": "Sara Al-Harbi",
    "email": "sara@example.sa",
    "roles": ["applicant"],
    "language": "en",
    "status": "active",
    "mobile": "+966551234567",
    "national_id": "1012345678",
}
PASSWORD = "correct horse battery 42"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.test-token"


class FakeAccounts:
    def __init__(self):
        self.language_set = []
        self.renewals = 0
        self.expires_in = 900

    def login(self, email, password):
        if (email, password) != (SARA["email"], PASSWORD):
            raise ApiError(401, "invalid_credentials", "wrong")
        return {"access_token": TOKEN, "token_type": "Bearer", "expires_in": self.expires_in}

    def me(self, token):
        return dict(SARA)

    def renew(self, token):
        self.renewals += 1
        return {"access_token": TOKEN + "-renewed", "token_type": "Bearer", "expires_in": 900}

    def set_language(self, token, language):
        self.language_set.append(language)
        return {**SARA, "language": language}

    def verify(self, email, code):
        raise ApiError(422, "wrong_code", "the code is wrong", {"attempts_left": 3})


class FakeApplications:
    def mine(self, token):
        return [
            {
                "number": "MR-AAAA-BBBB-CCCC",
                "status": "awaiting_payment",
                "category": "consultant",
                "specialty": "Cardiology",
                "membership_number": None,
            }
        ]

    def read(self, token, number):
        raise ApiError(404, "not_found", "no request with this number")

    def public_status(self, number):
        if number != "MR-AAAA-BBBB-CCCC":
            raise ApiError(404, "not_found", "no request with this number")
        return {"number": number, "status": "under_review", "updated_at": "2026-11-25T10:00:00Z"}


class FakeBilling:
    def fee_accounts(self, token):
        due = isoformat(utcnow() + timedelta(days=12, hours=3))
        return [{"application": "MR-AAAA-BBBB-CCCC", "status": "open", "due_at": due, "unpaid_halalas": 180000}]


class FakeServices:
    def __init__(self):
        self.accounts, self.applications, self.billing = FakeAccounts(), FakeApplications(), FakeBilling()


@pytest.fixture
def services():
    return FakeServices()


@pytest.fixture
def app(tmp_path, services):
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    upgrade("portal", url)
    db = Database(url)
    app = create_app(db, services, Settings(secret_key="a test secret"))
    app.config["TESTING"] = True
    yield app
    db.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_of(client, path="/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def log_in(client, password=PASSWORD, **extra):
    return client.post(
        "/login", data={"csrf_token": csrf_of(client), "email": SARA["email"], "password": password, **extra}
    )
