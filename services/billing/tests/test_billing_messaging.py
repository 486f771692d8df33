"""Through a real RabbitMQ: the consumer assesses fees for a submitted request, the relay publishes them."""

import threading
from datetime import timedelta

import pika
import pytest

from billing.handlers import handlers
from mumaris_shared.broker import ConfirmingPublisher, connection_parameters, declare_exchange, persistent
from mumaris_shared.events import EXCHANGE, Event
from mumaris_shared.outbox import Relay
from mumaris_testing import wait_until

pytestmark = pytest.mark.integration


def test_a_submitted_event_on_the_bus_becomes_fees_assessed_on_the_bus(billing, rabbitmq_url, event_waiter):
    consumer = billing.runtime.consumer(
        handlers(billing.service), url=rabbitmq_url, retry_delays=[timedelta(milliseconds=100)]
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    connection = pika.BlockingConnection(connection_parameters(rabbitmq_url))
    try:
        assert consumer.ready.wait(30)
        channel = connection.channel()
        channel.confirm_delivery()
        declare_exchange(channel)
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
        channel.basic_publish(
            EXCHANGE, event.type, event.to_json().encode(), properties=persistent(event.id, event.type), mandatory=True
        )
        wait_until(lambda: billing.rows("fee_accounts"))
        publisher = ConfirmingPublisher(rabbitmq_url).start()
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
    finally:
        stop.set()
        thread.join(15)
        channel = connection.channel()
        for queue in [consumer.queue, *consumer.retry_queues, consumer.dead_queue]:
            channel.queue_delete(queue)
        connection.close()
