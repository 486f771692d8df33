"""Several broker nodes in RABBITMQ_URL: each process connects to the first that answers and moves
on to the next when its node goes; and queues an earlier release declared otherwise (classic, or
other delays) are rebuilt as the consumer declares them, their messages kept. Killing nodes of a
real cluster is tests/e2e/test_e2e_cluster.py."""

import uuid
from datetime import timedelta

import pika
import pytest

from mumaris_shared.broker import BrokerNodes, ConfirmingPublisher, Outgoing, connection_user, persistent
from mumaris_shared.consumer import queue_arguments, queue_names
from mumaris_shared.events import Event
from mumaris_shared.queues import upgrade
from mumaris_testing.broker import free_ports

DELAYS = [timedelta(minutes=1), timedelta(minutes=2)]  # nothing expires while a test looks


def _nowhere() -> str:
    """A node that does not answer: a port nothing listens on."""
    return f"amqp://guest:guest@127.0.0.1:{free_ports(1)[0]}/%2F"


@pytest.mark.unit
def test_a_list_of_urls_names_each_node_in_the_order_given():
    nodes = BrokerNodes("amqp://a:1@h1:5672/%2F, amqp://b:2@h2:5673/v,amqp://c:3@h3:5674/%2F", name="billing-relay")
    assert [(p.host, p.port, p.virtual_host) for p in nodes.parameters] == [
        ("h1", 5672, "/"),
        ("h2", 5673, "v"),
        ("h3", 5674, "/"),
    ]
    assert {p.client_properties["connection_name"] for p in nodes.parameters} == {"billing-relay"}


@pytest.mark.unit
def test_nodes_are_tried_in_turn_starting_after_the_one_used_last():
    nodes = BrokerNodes("amqp://h1/%2F,amqp://h2/%2F,amqp://h3/%2F")
    assert [nodes.next().host for _ in range(4)] == ["h1", "h2", "h3", "h1"]
    assert nodes.current.host == "h1"


@pytest.mark.unit
def test_no_url_is_refused():
    with pytest.raises(ValueError, match="RABBITMQ_URL"):
        BrokerNodes(" , ")


@pytest.mark.integration
def test_a_connection_goes_to_the_first_node_that_answers(rabbitmq_url):
    nodes = BrokerNodes(f"{_nowhere()},{rabbitmq_url}")
    connection = nodes.connect()
    try:
        assert connection.is_open and nodes.current is nodes.parameters[1]
    finally:
        connection.close()


@pytest.mark.integration
def test_no_node_answering_raises_the_connection_error():
    with pytest.raises(pika.exceptions.AMQPConnectionError):
        BrokerNodes(f"{_nowhere()},{_nowhere()}").connect()


@pytest.mark.integration
def test_the_publisher_has_its_batch_confirmed_through_a_node_that_answers(rabbitmq_url, event_waiter):
    publisher = ConfirmingPublisher(f"{_nowhere()},{rabbitmq_url}", reconnect_delay=0.05).start()
    try:
        assert publisher.wait_ready(30)
        event = Event(type="test.thing_happened", data={}, producer="test")
        publisher.publish_batch([Outgoing(event.id, event.type, event.to_json())])
    finally:
        publisher.close()
    assert event_waiter.wait_for("test.thing_happened", where=lambda e: e.id == event.id)


@pytest.fixture
def channel(rabbitmq_url):
    connection = BrokerNodes(rabbitmq_url).connect()
    yield connection.channel()
    connection.close()


def _declare_as_before(channel, service):
    """The queues as releases before quorum retry and parking queues declared them: classic."""
    queue, retries, dead = queue_names(service, len(DELAYS))
    channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
    for name, delay in zip(retries, DELAYS, strict=True):
        arguments = {
            "x-message-ttl": int(delay.total_seconds() * 1000),
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": queue,
        }
        channel.queue_declare(name, durable=True, arguments=arguments)
    channel.queue_declare(dead, durable=True)
    return retries, dead


def _count(channel, queue):
    return channel.queue_declare(queue, passive=True).method.message_count


@pytest.mark.integration
def test_classic_queues_of_an_earlier_release_become_quorum_queues_keeping_their_messages(rabbitmq_url, channel):
    service = f"svc{uuid.uuid4().hex[:8]}"
    retries, dead = _declare_as_before(channel, service)
    channel.confirm_delivery()
    user = connection_user(rabbitmq_url)
    parked = persistent("parked-1", "test.thing_happened", user, {"x-mumaris-error": "boom", "x-mumaris-attempt": 3})
    channel.basic_publish("", dead, b'{"parked": 1}', properties=parked)
    retrying = persistent("retry-1", "test.thing_happened", user)
    channel.basic_publish("", retries[0], b'{"retrying": 1}', properties=retrying)

    with pytest.raises(pika.exceptions.ChannelClosedByBroker, match="PRECONDITION_FAILED"):
        channel.queue_declare(dead, durable=True, arguments=queue_arguments(service, DELAYS)[dead])
    rebuilt = upgrade(rabbitmq_url, service, DELAYS)

    assert rebuilt == {retries[0]: 1, retries[1]: 0, dead: 1}
    check = BrokerNodes(rabbitmq_url).connect().channel()
    for queue, arguments in queue_arguments(service, DELAYS).items():
        check.queue_declare(queue, durable=True, arguments=arguments)  # as the consumer declares them now
    assert (_count(check, retries[0]), _count(check, dead)) == (1, 1)
    _method, properties, body = check.basic_get(dead, auto_ack=True)
    assert (properties.message_id, properties.headers["x-mumaris-error"]) == ("parked-1", "boom")
    assert body == b'{"parked": 1}'
    assert upgrade(rabbitmq_url, service, DELAYS) == {}  # once upgraded, nothing more to do
    for queue in queue_arguments(service, DELAYS):
        check.queue_delete(queue)
    check.connection.close()


@pytest.mark.integration
def test_a_retry_queue_of_another_delay_is_rebuilt_with_the_new_one(rabbitmq_url, channel):
    service = f"svc{uuid.uuid4().hex[:8]}"
    upgrade(rabbitmq_url, service, DELAYS)
    longer = [DELAYS[0], timedelta(minutes=5)]
    assert upgrade(rabbitmq_url, service, longer) == {queue_names(service, 2)[1][1]: 0}
    for queue, arguments in queue_arguments(service, longer).items():
        channel.queue_declare(queue, durable=True, arguments=arguments)
        channel.queue_delete(queue)
