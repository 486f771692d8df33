"""The outbox and relay against a real RabbitMQ, on SQLite and PostgreSQL (every test: they branch
on the backend throughout, for claiming, committing and waking)."""

import json
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from mumaris_shared.broker import EXPIRES_HEADER, ConfirmingPublisher, PublishFailed
from mumaris_shared.events import EXCHANGE, isoformat, utcnow
from mumaris_shared.outbox import Relay

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def _publish(runtime, count, event_type="test.thing_happened"):
    with runtime.db.transaction() as session:
        return [runtime.outbox.publish(session, event_type, {"n": n}) for n in range(count)]


def _unsent(runtime):
    table = runtime.outbox.table
    with runtime.db.transaction() as session:
        return session.execute(select(table).where(table.c.sent_at.is_(None))).all()


def test_committed_events_reach_the_exchange_and_are_marked_sent(runtime, publisher, event_waiter, running):
    events = _publish(runtime, 3)
    assert runtime.outbox.pending_count() == 3
    with running(Relay(runtime.outbox, publisher).run):
        received = event_waiter.wait_for("test.thing_happened", count=3)
    assert [e.id for e in received] == [e.id for e in events]  # in commit order
    assert received[0].producer == runtime.service
    assert runtime.outbox.pending_count() == 0


def test_events_recorded_together_keep_their_order_and_every_field(runtime, publisher, event_waiter):
    """`add_many` records each event whole, in order, in one statement."""
    events = [runtime.outbox.event("test.thing_happened", {"n": n, "word": "كلمة"}) for n in range(5)]
    soon = utcnow() + timedelta(minutes=5)
    with runtime.db.transaction() as session:
        runtime.outbox.add_many(session, events, expires_at=soon)
    table = runtime.outbox.table
    with runtime.db.transaction() as session:
        rows = session.execute(select(table).order_by(table.c.position)).all()
    assert [row.event_id for row in rows] == [event.id for event in events]
    assert [json.loads(row.body) for row in rows] == [json.loads(event.to_json()) for event in events]
    assert {(row.event_type, row.attempts, row.sent_at, row.expires_at) for row in rows} == {
        ("test.thing_happened", 0, None, soon)
    }
    assert Relay(runtime.outbox, publisher).relay_once() == 5
    received = event_waiter.wait_for("test.thing_happened", count=5)
    assert [e.id for e in received] == [e.id for e in events]


def test_a_rolled_back_transaction_publishes_nothing(runtime):
    with pytest.raises(RuntimeError), runtime.db.transaction() as session:
        runtime.outbox.publish(session, "test.thing_happened", {})
        raise RuntimeError("the state change failed")
    assert runtime.outbox.pending_count() == 0


def test_a_batch_is_confirmed_together_not_one_round_trip_each(runtime, publisher, event_waiter):
    _publish(runtime, 1200)
    relay = Relay(runtime.outbox, publisher, batch_size=500)
    assert [relay.relay_once() for _ in range(4)] == [500, 500, 200, 0]
    assert len(event_waiter.wait_for("test.thing_happened", count=1200)) == 1200


def test_when_the_broker_cannot_be_reached_nothing_is_marked_sent(runtime):
    _publish(runtime, 2)
    unreachable = ConfirmingPublisher("amqp://guest:guest@127.0.0.1:1/%2F").start()
    try:
        with pytest.raises(PublishFailed):
            Relay(runtime.outbox, unreachable).relay_once()
    finally:
        unreachable.close()
    assert len(_unsent(runtime)) == 2


def test_an_event_no_queue_is_bound_for_stays_in_the_outbox(runtime, publisher, amqp_channel):
    # mandatory publishing: the broker returns what no queue would receive; it is kept and retried
    [event] = _publish(runtime, 1, event_type="test.nobody_listens")
    assert Relay(runtime.outbox, publisher).relay_once() == 0
    [row] = _unsent(runtime)
    assert row.event_id == event.id and row.attempts == 1 and "unroutable" in row.last_error

    queue = amqp_channel.queue_declare("", exclusive=True).method.queue
    amqp_channel.queue_bind(queue, EXCHANGE, routing_key="test.nobody_listens")
    with runtime.db.transaction() as session:  # its retry time has come
        session.execute(runtime.outbox.table.update().values(next_attempt_at=None))
    assert Relay(runtime.outbox, publisher).relay_once() == 1
    assert amqp_channel.basic_get(queue, auto_ack=True)[2] is not None


def test_two_relays_on_postgresql_publish_each_event_exactly_once(
    make_postgres_database, make_runtime, rabbitmq_url, event_waiter, running
):
    # SELECT ... FOR UPDATE SKIP LOCKED: replicas claim disjoint batches
    runtime = make_runtime(make_postgres_database())
    _publish(runtime, 2000)
    publishers = [ConfirmingPublisher(rabbitmq_url).start() for _ in range(2)]
    assert all(p.wait_ready(30) for p in publishers)
    relays = [Relay(runtime.outbox, p, batch_size=50) for p in publishers]
    try:
        with running(relays[0].run), running(relays[1].run):
            received = event_waiter.wait_for("test.thing_happened", count=2000, timeout=60)
    finally:
        for p in publishers:
            p.close()
    copies = Counter(e.id for e in event_waiter.events if e.type == "test.thing_happened")
    assert len(received) == 2000 and max(copies.values()) == 1
    assert runtime.outbox.pending_count() == 0


def test_the_relay_picks_up_a_new_event_without_waiting_for_a_slow_poll(runtime, publisher, event_waiter, running):
    relay = Relay(runtime.outbox, publisher)
    relay.waker.postgres_poll = 30  # only LISTEN/NOTIFY can wake it in time on PostgreSQL
    with running(relay.run):
        threading.Timer(0.3, _publish, args=(runtime, 1)).start()
        event_waiter.wait_for("test.thing_happened", timeout=5)


def test_sent_events_are_deleted_after_the_retention_and_unsent_ones_never(runtime, publisher, event_waiter):
    from datetime import timedelta

    from mumaris_shared.events import utcnow

    _publish(runtime, 3)
    relay = Relay(runtime.outbox, publisher, retention=timedelta(minutes=10))
    assert relay.relay_once() == 3
    _publish(runtime, 1)  # not sent yet
    table = runtime.outbox.table
    with runtime.db.transaction() as session:
        positions = sorted(session.execute(table.select().where(table.c.sent_at.is_not(None))).scalars())
        session.execute(
            table.update().where(table.c.position == positions[0]).values(sent_at=utcnow() - timedelta(minutes=11))
        )
    assert relay.prune() == 1
    with runtime.db.transaction() as session:
        assert len(session.execute(table.select()).all()) == 3
    assert runtime.outbox.pending_count() == 1


def test_an_event_carrying_a_secret_expires_with_it_on_the_broker_and_in_the_outbox(runtime, publisher, amqp_channel):
    queue = amqp_channel.queue_declare("", exclusive=True).method.queue
    amqp_channel.queue_bind(queue, EXCHANGE, routing_key="test.code_issued")
    soon, past = utcnow() + timedelta(seconds=30), utcnow() - timedelta(seconds=1)
    with runtime.db.transaction() as session:
        live = runtime.outbox.publish(session, "test.code_issued", {"code": "482913"}, expires_at=soon)
        runtime.outbox.publish(session, "test.code_issued", {"code": "771204"}, expires_at=past)
    relay = Relay(runtime.outbox, publisher)
    assert relay.relay_once() == 1  # the expired one is never published
    _method, properties, body = amqp_channel.basic_get(queue, auto_ack=True)
    assert json.loads(body)["id"] == live.id
    assert 0 < int(properties.expiration) <= 30_000  # the broker drops it from any queue then
    assert properties.headers[EXPIRES_HEADER] == isoformat(soon)
    assert relay.prune() == 1  # the expired one, unsent: nothing of its code is left
    assert runtime.outbox.pending_count() == 0
