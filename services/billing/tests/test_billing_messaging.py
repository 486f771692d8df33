"""Through a real RabbitMQ: the consumer assesses fees for a submitted request, the relay publishes them."""

import pytest

from mumaris_shared.broker import ConfirmingPublisher
from mumaris_shared.broker_access import service_url
from mumaris_shared.events import Event
from mumaris_shared.outbox import Relay
from mumaris_testing import wait_until

pytestmark = pytest.mark.integration


def test_a_submitted_event_on_the_bus_becomes_fees_assessed_on_the_bus(billing, rabbitmq_url, on_the_bus, event_waiter):
    with on_the_bus(billing) as publish:
        event = Event(
            type="applications.application_submitted",
            producer="applications",
            data={
                "application_number": "REQ-BUS",
                "account_id": "acct-sara",
                "category": "consultant",
                "specialty": "surgery",
                "submitted_at": "2026-11-25T10:00:00Z",
            },
        )
        publish(event)
        wait_until(lambda: billing.rows("fee_accounts"))
        publisher = ConfirmingPublisher(service_url("billing", rabbitmq_url)).start()
        try:
            assert publisher.wait_ready(30)
            Relay(billing.runtime.outbox, publisher).relay_once()
        finally:
            publisher.close()
        [assessed] = event_waiter.wait_for(
            "billing.fees_assessed", where=lambda e: e.data["application_number"] == "REQ-BUS"
        )
        assert assessed.correlation_id == event.correlation_id and assessed.causation_id == event.id
        assert sorted(i["amount_halalas"] for i in assessed.data["invoices"]) == [20000, 160000]
