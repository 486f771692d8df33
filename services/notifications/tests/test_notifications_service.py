"""The service as deployed: its migrations build exactly its tables, and its HTTP face is alive,
ready, documented, with a delivery log only staff can read."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from notifications.adapters.orm import metadata
from notifications.app import create_app
from notifications.handlers import HANDLERS

pytestmark = pytest.mark.integration


@pytest.fixture
def client(service_runtime, verifier, rabbitmq_url, monkeypatch):
    monkeypatch.setenv("RABBITMQ_URL", rabbitmq_url)
    return create_app(service_runtime, verifier).test_client()


@pytest.fixture
def handled(service_runtime, events):
    """Three e-mails queued: two to sara (Arabic), one to john (English)."""
    handle = service_runtime.consumer(HANDLERS, url="amqp://never-connected").handle
    for event in (
        events.code_issued("sara@example.com"),
        events.activated("sara@example.com"),
        events.code_issued("john@example.com", "en"),
    ):
        handle(event)


@pytest.mark.postgres
def test_migrations_build_exactly_the_declared_tables(service_runtime):
    with service_runtime.db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert [d for d in differences if d[0] != "remove_table" or d[1].name != "alembic_version"] == []


def test_migrated_service_is_alive_ready_and_documented(client):
    assert client.get("/healthz").json == {"status": "alive"}
    assert client.get("/readyz").json["checks"] == {"database": "ok", "broker": "ok"}
    spec = client.get("/openapi.json").json
    assert spec["info"]["title"] == "Mumaris notifications"
    assert {p["name"] for p in spec["paths"]["/v1/deliveries"]["get"]["parameters"]} == {"recipient", "status", "limit"}


def test_staff_read_the_delivery_log_newest_first(client, handled, bearer):
    answer = client.get("/v1/deliveries?recipient=sara@example.com", headers=bearer("reviewer"))

    assert answer.status_code == 200
    assert [(d["template"], d["status"], d["language"]) for d in answer.json] == [
        ("welcome", "pending", "ar"),
        ("verification_code", "pending", "ar"),
    ]
    assert set(answer.json[0]) == {
        "id",
        "event_type",
        "template",
        "recipient",
        "language",
        "subject",
        "status",
        "attempts",
        "created_at",
        "sent_at",
        "last_error",
    }
    assert len(client.get("/v1/deliveries?limit=1", headers=bearer("secretary_general")).json) == 1
    assert len(client.get("/v1/deliveries?status=pending", headers=bearer("reviewer")).json) == 3


def test_the_log_is_for_staff_only(client, handled, bearer):
    assert client.get("/v1/deliveries").status_code == 401
    answer = client.get("/v1/deliveries", headers=bearer("applicant"))
    assert answer.status_code == 403 and answer.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "status=lost", "recipient=not-an-address"])
def test_a_bad_query_is_a_422(client, bearer, query):
    answer = client.get(f"/v1/deliveries?{query}", headers=bearer("reviewer"))
    assert answer.status_code == 422 and answer.json["error"]["code"] == "validation_failed"
