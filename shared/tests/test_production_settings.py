"""MUMARIS_ENV and secret settings: production refuses to run with a missing or development secret."""

import pytest

from mumaris_shared.broker_access import password, service_url
from mumaris_shared.config import DevelopmentOnly, InsecureSetting, Secret, environment, refuse_insecure
from mumaris_shared.runtime import check_settings

pytestmark = pytest.mark.unit

DEMO = Secret("DEMO_WEBHOOK_SECRET", dev_default="public-development-value")


def test_development_is_the_default_and_uses_the_development_value(monkeypatch):
    monkeypatch.delenv("MUMARIS_ENV", raising=False)
    monkeypatch.delenv(DEMO.name, raising=False)
    assert environment() == "development"
    assert DEMO.value() == "public-development-value"


@pytest.mark.parametrize("value", [None, "public-development-value", "<secret>"])
def test_production_refuses_a_secret_missing_or_left_at_its_development_value(monkeypatch, value):
    monkeypatch.setenv("MUMARIS_ENV", "production")
    if value is None:
        monkeypatch.delenv(DEMO.name, raising=False)
    else:
        monkeypatch.setenv(DEMO.name, value)
    with pytest.raises(InsecureSetting) as refused:
        refuse_insecure([DEMO])
    line = str(refused.value.code)
    assert "\n" not in line and line.startswith("refusing to start in production: DEMO_WEBHOOK_SECRET ")


def test_production_runs_with_secrets_of_its_own(monkeypatch):
    monkeypatch.setenv("MUMARIS_ENV", "production")
    monkeypatch.setenv(DEMO.name, "a secret of our own")
    refuse_insecure([DEMO])
    assert DEMO.value() == "a secret of our own"


def test_an_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("MUMARIS_ENV", "prod")
    with pytest.raises(InsecureSetting, match="MUMARIS_ENV"):
        environment()


def test_a_development_only_value_is_refused_in_production_only(monkeypatch):
    provider = DevelopmentOnly("DEMO_PROVIDER", refused="sandbox", default="sandbox", why="anyone could pay")
    monkeypatch.delenv("DEMO_PROVIDER", raising=False)
    assert provider.value() == "sandbox"
    monkeypatch.setenv("MUMARIS_ENV", "production")
    with pytest.raises(InsecureSetting, match="DEMO_PROVIDER=sandbox is for development only: anyone could pay"):
        provider.value()
    monkeypatch.setenv("DEMO_PROVIDER", "real")
    assert provider.value() == "real"


def test_every_process_of_a_service_checks_its_broker_password_first(monkeypatch):
    monkeypatch.setenv("MUMARIS_ENV", "production")
    monkeypatch.delenv("BILLING_RABBITMQ_PASSWORD", raising=False)
    with pytest.raises(InsecureSetting, match="BILLING_RABBITMQ_PASSWORD is not set"):
        check_settings("billing", [DEMO])
    monkeypatch.setenv("BILLING_RABBITMQ_PASSWORD", password("billing").dev_default)
    with pytest.raises(InsecureSetting, match="BILLING_RABBITMQ_PASSWORD still has its development value"):
        check_settings("billing")


def test_a_service_connects_to_the_broker_of_rabbitmq_url_as_its_own_user(monkeypatch):
    monkeypatch.setenv("RABBITMQ_URL", "amqp://admin:admin@rabbit.example:5672/mumaris")
    monkeypatch.setenv("BILLING_RABBITMQ_PASSWORD", "s3cr/t@")
    monkeypatch.delenv("BILLING_RABBITMQ_USER", raising=False)
    assert service_url("billing") == "amqp://mumaris-billing:s3cr%2Ft%40@rabbit.example:5672/mumaris"
