"""The consumer against a real RabbitMQ, on SQLite (and on PostgreSQL where the inbox and the outbox
are at work): repeats are skipped, failures climb the retry ladder and are parked, parked messages
can be listed and replayed."""

from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from mumaris_shared import parking
from mumaris_shared.broker import connection_user, persistent
from mumaris_shared.events import EXCHANGE, Event, utcnow
from mumaris_testing import wait_until as _wait_until

pytestmark = pytest.mark.integration

FAST_RETRIES = [timedelta(milliseconds=50), timedelta(milliseconds=100)]


@pytest.fixture
def consume(runtime, rabbitmq_url, running, amqp_channel):
    """Starts the runtime's consumer with `handlers`; deletes its queues afterwards."""
    started = []

    def start(handlers, queued=()):
        """`queued`: events waiting on the queue before the consumer starts (so they arrive together)."""
        # The tests publish `test.*` events as the fixture's administrator: trusted as service "test".
        trusted = {connection_user(rabbitmq_url): "test"}
        consumer = runtime.consumer(handlers, url=rabbitmq_url, retry_delays=FAST_RETRIES, trusted=trusted)
        if queued:
            consumer.declare(amqp_channel)
            for event in queued:
                _send(amqp_channel, event)
        context = running(consumer.run).__enter__()
        assert consumer.ready.wait(30)
        started.append((consumer, context))
        return consumer

    yield start
    for consumer, context in started:
        context.__exit__(None, None, None)
        for queue in [consumer.queue, consumer.dead_queue, *consumer.retry_queues]:
            amqp_channel.queue_delete(queue)


def _send(channel, event: Event, body: bytes | None = None, user_id: str | None = "guest"):
    properties = persistent(event.id, event.type, user_id)
    channel.basic_publish(EXCHANGE, event.type, body or event.to_json().encode(), properties=properties)


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


def test_an_event_of_another_service_than_its_publisher_is_parked_unhandled(
    runtime, consume, amqp_channel, rabbitmq_url
):
    handled = []
    consume({"billing.fees_settled": lambda ctx: handled.append(ctx.event.id), "test.fine": lambda ctx: None})
    forged = Event(type="billing.fees_settled", data={}, producer="billing")
    _send(amqp_channel, forged)  # the broker vouches for the publisher, which is not billing
    _wait_until(lambda: len(parking.list_parked(rabbitmq_url, runtime.service)) == 1)
    [parked] = parking.list_parked(rabbitmq_url, runtime.service)
    assert parked["error"].startswith("refused: billing.fees_settled") and parked["attempts"] == 0
    assert handled == []


def test_a_message_that_names_no_publisher_is_parked_unhandled(runtime, consume, amqp_channel, rabbitmq_url):
    handled = []
    consume({"test.thing_happened": lambda ctx: handled.append(ctx.event.id)})
    unnamed = Event(type="test.thing_happened", data={}, producer="test")
    _send(amqp_channel, unnamed, user_id=None)
    _wait_until(lambda: len(parking.list_parked(rabbitmq_url, runtime.service)) == 1)
    assert parking.replay(rabbitmq_url, runtime.service, {unnamed.id}) == 1  # the copy is judged as the original
    _wait_until(lambda: len(parking.list_parked(rabbitmq_url, runtime.service)) == 1)
    [parked] = parking.list_parked(rabbitmq_url, runtime.service)
    assert parked["publisher"] is None and parked["error"].startswith("refused")
    assert handled == []


def test_a_parked_event_carrying_a_secret_is_not_kept_past_its_expiry(runtime, consume, amqp_channel, rabbitmq_url):
    def always_fails(ctx):
        raise ValueError("cannot send the code")

    consume({"test.code_issued": always_fails})
    event = Event(type="test.code_issued", data={"code": "482913"}, producer="test")
    expires_at = utcnow() + timedelta(seconds=2)
    properties = persistent(event.id, event.type, "guest", expires_at=expires_at)
    amqp_channel.basic_publish(EXCHANGE, event.type, event.to_json().encode(), properties=properties)
    _wait_until(lambda: len(parking.list_parked(rabbitmq_url, runtime.service)) == 1)
    [parked] = parking.list_parked(rabbitmq_url, runtime.service)
    assert parked["event"]["data"]["code"] == "482913"  # within its life it can still be replayed
    _wait_until(lambda: parking.list_parked(rabbitmq_url, runtime.service) == [], timeout=10)
    assert utcnow() >= expires_at


# --- batches: what has arrived is handled in one transaction, each message settled as if alone ---------
@pytest.mark.postgres
def test_messages_that_arrive_together_are_handled_in_one_transaction_each_once(
    runtime, consume, amqp_channel, write_note, notes_written
):
    sessions, handled = [], []

    def note(ctx):
        write_note(ctx)
        sessions.append(ctx.session)  # kept alive, so that no two share an id()
        handled.append(ctx.event.id)

    events = [Event(type="test.thing_happened", data={"n": n}, producer="test") for n in range(60)]
    consume({"test.thing_happened": note}, queued=[*events, events[0], events[1]])  # two repeats among them
    _wait_until(lambda: notes_written(runtime) == len(events))
    assert sorted(handled) == sorted(event.id for event in events)
    assert len({id(session) for session in sessions}) < len(events)  # batches, not one transaction per message


@pytest.mark.postgres
def test_a_failing_message_in_a_batch_neither_holds_back_nor_doubles_the_others(
    runtime, consume, amqp_channel, rabbitmq_url, write_note, notes_written
):
    poison = Event(type="test.thing_happened", data={"poison": True}, producer="test")
    fine = [Event(type="test.thing_happened", data={"n": n}, producer="test") for n in range(20)]

    def note(ctx):
        write_note(ctx)  # the poison's note is rolled back with its failure, and the batch's with it
        if ctx.event.data.get("poison"):
            raise ValueError("cannot handle this one")

    consumer = consume({"test.thing_happened": note}, queued=[*fine[:10], poison, *fine[10:]])
    _wait_until(lambda: len(parking.list_parked(rabbitmq_url, runtime.service)) == 1)
    assert [notes_written(runtime, event.id) for event in fine] == [1] * len(fine)
    assert notes_written(runtime, poison.id) == 0
    [parked] = parking.list_parked(rabbitmq_url, runtime.service)
    assert parked["message_id"] == poison.id  # its retries were its own: the ladder, then parked
    assert parked["attempts"] == 1 + len(consumer.retry_queues)


@pytest.mark.postgres
def test_a_batch_that_fails_together_is_handled_again_one_by_one(
    runtime, consume, amqp_channel, rabbitmq_url, write_note, notes_written
):
    events = [Event(type="test.thing_happened", data={"n": n}, producer="test") for n in range(20)]
    failed_once = []

    def note(ctx):
        write_note(ctx)
        if not failed_once:  # the whole transaction fails, as when a deadlock ends it
            failed_once.append(ctx.event.id)
            raise OperationalError("SELECT 1", {}, Exception("deadlock detected"))

    consume({"test.thing_happened": note}, queued=events)
    _wait_until(lambda: notes_written(runtime) == len(events))
    assert [notes_written(runtime, event.id) for event in events] == [1] * len(events)
    assert parking.list_parked(rabbitmq_url, runtime.service) == []


@pytest.mark.postgres
def test_a_batch_handles_each_new_event_once_and_commits_nothing_when_a_handler_fails(
    runtime, write_note, notes_written
):
    consumer = runtime.consumer({"test.thing_happened": write_note}, url="amqp://never-connected")
    first, second, third = (Event(type="test.thing_happened", data={"n": n}, producer="test") for n in range(3))
    assert consumer.handle(first) is True

    def fails_on_second(ctx):
        if ctx.event.id == second.id:
            raise ValueError("no")
        write_note(ctx)

    consumer.handlers["test.thing_happened"] = fails_on_second
    with pytest.raises(ValueError):
        consumer.handle_batch([third, second])
    assert [notes_written(runtime, event.id) for event in (first, second, third)] == [1, 0, 0]
    assert consumer.handle_batch([first, third, third]) == {third.id}  # a repeat in the inbox, one in the batch
    consumer.handlers["test.thing_happened"] = write_note  # fixed: the failed one is new still
    assert consumer.handle_batch([second]) == {second.id}
    assert [notes_written(runtime, event.id) for event in (first, second, third)] == [1, 1, 1]
