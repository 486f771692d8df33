"""The accounts scheduler: pending accounts expire after ACCOUNTS_PENDING_TTL, freeing their address."""

from datetime import timedelta

import pytest

from accounts.scheduler import Scheduler
from mumaris_testing import assert_error

pytestmark = pytest.mark.integration


def test_an_account_never_activated_expires_after_seven_days_and_its_address_is_free_again(service):
    squatted = service.register(email="sara@example.com").json["id"]
    service.register_active(email="huda@example.com")
    service.clock.advance(timedelta(days=6, hours=23))
    fresh = service.register(email="new@example.com").json["id"]
    assert_error(service.register(email="sara@example.com"), 409, "email_taken")

    service.clock.advance(timedelta(hours=1))
    assert Scheduler(service.accounts).tick() == 1

    ids = {row[0].strip("'") for row in service.snapshot()["accounts"]}
    assert squatted not in ids and fresh in ids and len(ids) == 2  # the active account stays
    assert not any(squatted in repr(row) for row in service.snapshot()["verification_codes"])
    again = service.register(email="sara@example.com")  # the owner registers it now
    assert again.status_code == 201 and again.json["id"] != squatted


def test_throttling_records_no_rule_looks_at_are_forgotten(service):
    service.register_active()
    service.client.post("/v1/sessions", json={"email": "sara@example.com", "password": "wrong horse battery"})
    service.client.post("/v1/accounts/resend-code", json={"email": "nobody@example.com"})
    assert service.snapshot()["login_failures"] and service.snapshot()["code_requests"]
    service.clock.advance(timedelta(hours=1))
    Scheduler(service.accounts).tick()
    assert service.snapshot()["login_failures"] == [] and service.snapshot()["code_requests"] == []
