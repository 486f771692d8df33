"""Every service has the same shape: it migrates on SQLite and PostgreSQL, and its app answers
health, readiness, metrics, OpenAPI and errors the same way. The portal, which serves pages and
not an API, answers health, readiness (its database: it uses no broker) and metrics the same way,
and its errors as translated pages."""

import importlib

import pytest

from mumaris_shared.migrations import upgrade

pytestmark = pytest.mark.integration

SERVICES = ["accounts", "applications", "billing", "notifications"]


@pytest.mark.postgres
@pytest.mark.parametrize("service", SERVICES)
def test_a_migrated_service_is_alive_ready_measured_and_documented(service, database_url, rabbitmq_url, monkeypatch):
    monkeypatch.setenv("RABBITMQ_URL", rabbitmq_url)
    upgrade(service, database_url)
    runtime = importlib.import_module(f"{service}.bootstrap").runtime(database_url)
    client = importlib.import_module(f"{service}.app").create_app(runtime).test_client()

    assert client.get("/healthz").json == {"status": "alive"}
    assert client.get("/readyz").json == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}
    assert client.get("/openapi.json").json["info"]["title"] == f"Mumaris {service}"
    assert "mumaris_outbox_pending" in client.get("/metrics").get_data(as_text=True)
    missing = client.get("/v1/no-such-thing")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    runtime.db.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_readiness_reports_an_unreachable_broker(service, tmp_path, monkeypatch):
    monkeypatch.setenv("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:1/%2F")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(service, url)
    runtime = importlib.import_module(f"{service}.bootstrap").runtime(url)
    response = importlib.import_module(f"{service}.app").create_app(runtime).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["error"]["details"]["checks"]["broker"].startswith("unreachable")


def test_the_portal_is_alive_ready_measured_and_answers_errors_as_pages(database_url):
    upgrade("portal", database_url)
    db = importlib.import_module("portal.bootstrap").database(database_url)
    client = importlib.import_module("portal.app").create_app(db).test_client()

    assert client.get("/healthz").json == {"status": "alive"}
    assert client.get("/readyz").json == {"status": "ready", "checks": {"database": "ok"}}
    assert "mumaris_http_requests_total" in client.get("/metrics").get_data(as_text=True)
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert '<html lang="ar" dir="rtl">' in missing.get_data(as_text=True)
    db.dispose()
