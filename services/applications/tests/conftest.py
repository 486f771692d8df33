"""Fixtures for the applications integration tests: a migrated database (SQLite; PostgreSQL too
for tests marked `postgres`), the app on it with a clock the test moves and test-signed tokens, the
consumer's handlers called directly, and helpers to read what was stored and published."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, replace
from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from applications.adapters.orm import metadata, outbox_table
from applications.app import create_app
from applications.bootstrap import SERVICE
from applications.bootstrap import runtime as make_runtime
from applications.handlers import HANDLERS
from applications.service import ApplicationService
from applications.settings import Settings
from mumaris_shared.events import Event, isoformat, utcnow
from mumaris_shared.migrations import upgrade
from mumaris_shared.runtime import Runtime
from mumaris_testing import Clock, TestTokens, assert_error, stored_rows

TOKENS = TestTokens()
APPLICANT, OTHER_APPLICANT, REVIEWER, OTHER_REVIEWER, SECRETARY, APPLICANT_AT_WORK = (
    "acct-sara",
    "acct-omar",
    "acct-reviewer-1",
    "acct-reviewer-2",
    "acct-secretary",
    "acct-sara-reviewer",  # Sara is also a reviewer, with a staff account of its own
)
ROLES = {
    APPLICANT: "applicant",
    OTHER_APPLICANT: "applicant",
    REVIEWER: "reviewer",
    OTHER_REVIEWER: "reviewer",
    SECRETARY: "secretary_general",
    APPLICANT_AT_WORK: "reviewer",
}
NATIONAL_IDS = {
    APPLICANT: "1000000001",
    OTHER_APPLICANT: "1000000002",
    REVIEWER: "1000000003",
    OTHER_REVIEWER: "1000000004",
    SECRETARY: "1000000005",
    APPLICANT_AT_WORK: "1000000001",
}
REQUEST = {
    "category": "consultant",
    "specialty": "Cardiology",
    "qualification": {"degree": "MD", "institution": "King Saud University", "country": "SA", "year": 2015},
    "dataflow_reference": "DF-2026-000123",
}
PDF = b"%PDF-1.4\n% a degree certificate\n"


def bearer(account_id: str, *roles: str) -> dict:
    """A bearer header for `account_id` (with the person's national ID), with its usual role unless
    `roles` are named."""
    return TOKENS.bearer(account_id, *(roles or (ROLES[account_id],)), national_id=NATIONAL_IDS.get(account_id))


@dataclass
class Service:
    client: FlaskClient
    runtime: Runtime
    clock: Clock
    service: ApplicationService

    people = SimpleNamespace(
        applicant=APPLICANT,
        other_applicant=OTHER_APPLICANT,
        reviewer=REVIEWER,
        other_reviewer=OTHER_REVIEWER,
        applicant_at_work=APPLICANT_AT_WORK,
        secretary=SECRETARY,
    )
    request_body = REQUEST
    bearer = staticmethod(bearer)

    # --- the API, as each person ------------------------------------------------------------------
    def create(self, owner: str = APPLICANT, **overrides):
        return self.client.post("/v1/applications", json={**REQUEST, **overrides}, headers=bearer(owner))

    def post(self, number: str, action: str, as_: str, body: dict | None = None):
        return self.client.post(f"/v1/applications/{number}/{action}", json=body, headers=bearer(as_))

    def get(self, path: str, as_: str | None = None):
        return self.client.get(path, headers=bearer(as_) if as_ else {})

    # --- a request brought to a given status --------------------------------------------------------
    def draft(self, owner: str = APPLICANT) -> str:
        response = self.create(owner)
        assert response.status_code == 201, response.json
        return response.json["number"]

    def upload(self, number: str, kind: str, content: bytes = PDF, as_: str = APPLICANT, name: str = "scan.pdf"):
        return self.client.post(
            f"/v1/applications/{number}/documents",
            data={"kind": kind, "file": (io.BytesIO(content), name)},
            headers=bearer(as_),
            content_type="multipart/form-data",
        )

    def with_documents(
        self, number: str, owner: str = APPLICANT, kinds=("degree", "identity", "specialty_certificate")
    ) -> str:
        for kind in kinds:
            assert self.upload(number, kind, as_=owner).status_code == 201
        return number

    def awaiting_payment(self, owner: str = APPLICANT) -> str:
        number = self.with_documents(self.draft(owner), owner)
        assert self.post(number, "submit", owner).status_code == 200
        return number

    def under_review(self, owner: str = APPLICANT) -> str:
        number = self.awaiting_payment(owner)
        assert self.billing("billing.fees_settled", number, owner)
        return number

    def taken(self, owner: str = APPLICANT, reviewer: str = REVIEWER) -> str:
        number = self.under_review(owner)
        assert self.post(number, "review", reviewer).status_code == 200
        return number

    def verified(self, owner: str = APPLICANT) -> str:
        """Taken, its qualification verified (what an approval needs)."""
        number = self.taken(owner)
        assert self.post(number, "dataflow", REVIEWER, {"outcome": "verified", "note": None}).status_code == 200
        return number

    def decided(self, decision: str, owner: str = APPLICANT) -> str:
        number = self.verified(owner)
        response = self.post(number, "decision", REVIEWER, {"decision": decision, "reason": "checked"})
        assert response.status_code == 200, response.json
        return number

    def membership(self, owner: str = APPLICANT) -> tuple[str, str]:
        """An approved request of `owner`: (request number, membership number)."""
        number = self.decided("approve", owner)
        membership_number = self.get(f"/v1/applications/{number}", owner).json["membership_number"]
        return number, membership_number

    # --- data updates -----------------------------------------------------------------------------------
    def submit_update(self, membership_number: str, changes, as_: str = APPLICANT):
        return self.client.post(
            f"/v1/memberships/{membership_number}/updates", json={"changes": changes}, headers=bearer(as_)
        )

    def on_update(self, update_id: str, action: str, as_: str = REVIEWER, body: dict | None = None):
        return self.client.post(f"/v1/updates/{update_id}/{action}", json=body, headers=bearer(as_))

    def open_update(self, membership_number: str, changes: dict, taken: bool = True) -> str:
        response = self.submit_update(membership_number, changes)
        assert response.status_code == 201, response.json
        if taken:
            assert self.on_update(response.json["id"], "review").status_code == 200
        return response.json["id"]

    # --- billing's events, handled as the consumer would ------------------------------------------
    def billing(self, event_type: str, number: str, owner: str = APPLICANT) -> bool:
        now = isoformat(utcnow())
        data = {"application_number": number, "account_id": owner}
        data.update({"settled_at": now} if event_type == "billing.fees_settled" else {"due_at": now, "expired_at": now})
        return self.runtime.consumer(HANDLERS).handle(Event(type=event_type, producer="billing", data=data))

    # --- what was stored and published ----------------------------------------------------------------
    def events(self, event_type: str) -> list[dict]:
        """The events of `event_type` in the outbox, oldest first."""
        with self.runtime.db.transaction() as session:
            bodies = session.execute(
                select(outbox_table.c.body)
                .where(outbox_table.c.event_type == event_type)
                .order_by(outbox_table.c.position)
            ).scalars()
            return [json.loads(body) for body in bodies]

    def refused(self, status: int, code: str, call) -> dict:
        """`call()` is refused with `status`/`code` and nothing stored changes."""
        before = self.snapshot()
        error = assert_error(call(), status, code)
        assert self.snapshot() == before
        return error

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every stored row, to show that a refused request changed nothing."""
        return stored_rows(self.runtime.db, metadata)


@pytest.fixture
def service(database_url, tmp_path, monkeypatch) -> Service:
    # Every answer the API keeps is made again and compared (mumaris_shared.kept_answers): a change
    # that did not move the request's revision fails the test that reads the request after it.
    monkeypatch.setenv("ANSWERS_CHECK", "1")
    upgrade(SERVICE, database_url)
    runtime = make_runtime(database_url)
    clock = Clock(utcnow())
    settings = replace(Settings.from_env(), document_dir=tmp_path / "documents")
    app = create_app(runtime, verifier=TOKENS.verifier, service=ApplicationService(runtime, clock, settings))
    yield Service(app.test_client(), runtime, clock, app.extensions["applications.service"])
    runtime.db.dispose()


@pytest.fixture(scope="session")
def s3_server():
    """An S3-compatible server for the object-storage tests: `MUMARIS_TEST_S3_URL` (e.g. a MinIO,
    with MUMARIS_TEST_S3_ACCESS_KEY / _SECRET_KEY), else moto's server, which `make install` puts in
    .venv (no MinIO server is packaged for pip or apt), on a free port of this machine."""
    from mumaris_shared.config import env

    if env("MUMARIS_TEST_S3_URL"):
        yield env("MUMARIS_TEST_S3_URL"), env("MUMARIS_TEST_S3_ACCESS_KEY"), env("MUMARIS_TEST_S3_SECRET_KEY")
        return
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"{host}:{port}", "test-access-key", "test-secret-key"
    finally:
        server.stop()
