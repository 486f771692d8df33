import pytest

from applications.app import create_app
from applications.bootstrap import runtime
from mumaris_shared.migrations import upgrade


@pytest.mark.integration
def test_migrated_service_is_alive_ready_and_documented(database_url, rabbitmq_url, monkeypatch):
    monkeypatch.setenv("RABBITMQ_URL", rabbitmq_url)
    upgrade("applications", database_url)
    client = create_app(runtime(database_url)).test_client()

    assert client.get("/healthz").json == {"status": "alive"}
    assert client.get("/readyz").json["checks"] == {"database": "ok", "broker": "ok"}
    assert client.get("/openapi.json").json["info"]["title"] == "Mumaris applications"
    assert "mumaris_outbox_pending" in client.get("/metrics").get_data(as_text=True)
