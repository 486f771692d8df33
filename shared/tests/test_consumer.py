"""The consumer against a real RabbitMQ, on SQLite (and on PostgreSQL where the inbox and the outbox
are at work): repeats are skipped, failures climb the retry ladder and are parked, parked messages
can be listed and replayed."""

from datetime import timedelta

import pytest

from mumaris_shared import parking
from mumaris_shared.broker import persistent
from mumaris_shared.events import EXCHANGE, Event
from mumaris_testing import wait_until as _wait_until

pytestmark = pytest.mark.integration

FAST_RETRIES = [timedelta(milliseconds=50), timedelta(milliseconds=100)]


@pytest.fixture
def consume(runtime, rabbitmq_url, running, amqp_channel):
    """Starts the runtime's consumer with `handlers`; deletes its queues afterwards."""
    started = []

    def start(handlers):
        consumer = runtime.consumer(handlers, url=rabbitmq_url, retry_delays=FAST_RETRIES)
        context = running(consumer.run).__enter__()
        assert consumer.ready.wait(30)
        started.append((consumer, context))
        return consumer

    yield start
    for consumer, context in started:
        context.__exit__(None, None, None)
        for queue in [consumer.queue, consumer.dead_queue, *consumer.retry_queues]:
            amqp_channel.queue_delete(queue)


def _send(channel, event: Event, body: bytes | None = None):
    channel.basic_publish(
        EXCHANGE, event.type, body or event.to_json().encode(), properties=persistent(event.id, event.type)
    )


@pytest.mark.postgres
def test_an_event_delivered_twice_is_handled_once(
    runtime, consume, amqp_channel, event_waiter, write_note, notes_written
):
    handled = []
    consume({"test.thing_happened": lambda ctx: (write_note(ctx), handled.append(ctx.event.id))})
    event = Event(type="test.thing_happened", data={"n": 1}, producer="test")
    marker = Event(type="test.thing_happened", data={"n": 2}, producer="test")
    for copy in (event, event, marker):
        _send(amqp_channel, copy)
    event_waiter.wait_for("test.thing_happened", count=3)
    _wait_until(lambda: marker.id in handled)
    assert notes_written(runtime, event.id) == 1
    assert handled.count(event.id) == 1


@pytest.mark.postgres
def test_a_failing_handler_is_retried_then_parked_while_others_are_served(
    runtime, consume, amqp_channel, rabbitmq_url, write_note, notes_written
):
    attempts = []

    def always_fails(ctx):
        write_note(ctx)  # rolled back with the failure
        attempts.append(ctx.event.id)
        raise ValueError("cannot handle this one")

    served = []
    consumer = consume({"test.poison": always_fails, "test.fine": lambda ctx: served.append(ctx.event.id)})
    poison = Event(type="test.poison", data={}, producer="test")
    _send(amqp_channel, poison)
    _wait_until(lambda: len(parking.list_parked(rabbitmq_url, runtime.service)) == 1)
    fine = Event(type="test.fine", data={}, producer="test")
    _send(amqp_channel, fine)
    _wait_until(lambda: fine.id in served)

    assert attempts == [poison.id] * (1 + len(consumer.retry_queues))
    assert notes_written(runtime, poison.id) == 0
    [parked] = parking.list_parked(rabbitmq_url, runtime.service)
    assert parked["message_id"] == poison.id and "cannot handle this one" in parked["error"]
    assert parked["attempts"] == 3 and parked["event"]["type"] == "test.poison"


def test_a_parked_message_replayed_after_a_fix_is_handled(runtime, consume, amqp_channel, rabbitmq_url):
    broken = {"yes": True}
    handled = []

    def sometimes_fails(ctx):
        if broken["yes"]:
            raise RuntimeError("bug")
        handled.append(ctx.event.id)

    consume({"test.flaky": sometimes_fails})
    event = Event(type="test.flaky", data={}, producer="test")
    _send(amqp_channel, event)
    _wait_until(lambda: len(parking.list_parked(rabbitmq_url, runtime.service)) == 1)
    broken["yes"] = False  # the fix is deployed

    assert parking.replay(rabbitmq_url, runtime.service, {"some-other-id"}) == 0
    assert parking.replay(rabbitmq_url, runtime.service, {event.id}) == 1
    _wait_until(lambda: handled == [event.id])
    assert parking.list_parked(rabbitmq_url, runtime.service) == []


def test_a_message_that_is_not_an_event_is_parked_at_once(runtime, consume, amqp_channel, rabbitmq_url):
    consume({"test.thing_happened": lambda ctx: None})
    event = Event(type="test.thing_happened", data={}, producer="test")
    _send(amqp_channel, event, body=b"{not json")
    _wait_until(lambda: len(parking.list_parked(rabbitmq_url, runtime.service)) == 1)
    [parked] = parking.list_parked(rabbitmq_url, runtime.service)
    assert parked["error"].startswith("malformed") and parked["attempts"] == 0


@pytest.mark.postgres
def test_follow_up_events_are_published_through_the_outbox_with_causation(runtime, consume, amqp_channel):
    consume({"test.thing_happened": lambda ctx: ctx.publish("test.reaction", {"to": ctx.event.id})})
    event = Event(type="test.thing_happened", data={}, producer="test")
    _send(amqp_channel, event)
    _wait_until(lambda: runtime.outbox.pending_count() == 1)
    with runtime.db.transaction() as session:
        reaction = Event.from_json(session.execute(runtime.outbox.table.select()).one().body)
    assert (reaction.type, reaction.causation_id, reaction.correlation_id) == ("test.reaction", event.id, event.id)
