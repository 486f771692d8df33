"""Fixtures for the accounts integration tests: a migrated database (SQLite; PostgreSQL too for
tests marked `postgres`), the app on it with a clock the test moves, and helpers to read what was
stored and published."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from accounts.adapters.orm import metadata, outbox_table
from accounts.app import create_app
from accounts.bootstrap import runtime as make_runtime
from mumaris_shared.events import utcnow
from mumaris_shared.migrations import upgrade
from mumaris_shared.runtime import Runtime
from mumaris_testing import Clock, stored_rows

PASSWORD = "correct horse battery"
MADE_AT_FIRST_NEED = {"signing_keys", "server_secrets"}


@dataclass
class Service:
    client: FlaskClient
    runtime: Runtime
    clock: Clock

    def register(self, **overrides):
        body = {
            "full_name": "Sara Ali",
            "email": "sara@example.com",
            "password": PASSWORD,
            "national_id": "1234567890",
            "mobile": "0551234567",
            "language": "ar",
            **overrides,
        }
        return self.client.post("/v1/accounts", json=body)

    def events(self, event_type: str) -> list[dict]:
        """The data of the events of `event_type` in the outbox, oldest first."""
        with self.runtime.db.transaction() as session:
            bodies = session.execute(
                select(outbox_table.c.body)
                .where(outbox_table.c.event_type == event_type)
                .order_by(outbox_table.c.position)
            ).scalars()
            return [json.loads(body)["data"] for body in bodies]

    def last_code(self) -> str:
        return self.events("accounts.verification_code_issued")[-1]["code"]

    def register_active(self, email: str = "sara@example.com") -> str:
        account_id = self.register(email=email).json["id"]
        response = self.client.post("/v1/accounts/verify", json={"email": email, "code": self.last_code()})
        assert response.status_code == 200, response.json
        return account_id

    def login(self, email: str = "sara@example.com", password: str = PASSWORD):
        return self.client.post("/v1/sessions", json={"email": email, "password": password})

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every stored row, to show that a refused request changed nothing. The service's own
        keys and secrets are left out: they are made at the first request that needs them,
        whatever its outcome."""
        return stored_rows(self.runtime.db, metadata, leave_out=MADE_AT_FIRST_NEED)


@pytest.fixture
def service(database_url) -> Service:
    upgrade("accounts", database_url)
    runtime = make_runtime(database_url)
    clock = Clock(utcnow())
    yield Service(create_app(runtime, clock=clock).test_client(), runtime, clock)
    runtime.db.dispose()
