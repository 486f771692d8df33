"""RabbitMQ plumbing: the broker's nodes and how to reach one, the topology every service shares,
and a publisher that sends a whole batch and then awaits the broker's confirms together
(pipelined), so the relay pays one round trip per batch rather than one per message."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pika
from pika import BasicProperties
from pika.channel import Channel
from pika.connection import Connection as AmqpConnection
from pika.exceptions import AMQPConnectionError
from pika.spec import Basic

from .events import EXCHANGE, isoformat, utcnow

log = logging.getLogger(__name__)


def connection_parameters(url: str, name: str | None = None, socket_timeout: float = 5) -> pika.URLParameters:
    """One node's parameters. `name` labels the connection in `rabbitmqctl list_connections` and
    the management UI (client property `connection_name`)."""
    params = pika.URLParameters(url)
    params.heartbeat = 30
    params.blocked_connection_timeout = 60
    params.connection_attempts = 1
    params.socket_timeout = socket_timeout
    if name:
        params.client_properties = {"connection_name": name}
    return params


def node_urls(urls: str) -> list[str]:
    """RABBITMQ_URL's URLs: one, or the nodes of one cluster separated by commas."""
    listed = [url.strip() for url in urls.split(",") if url.strip()]
    if not listed:
        raise ValueError("no broker URL given (RABBITMQ_URL)")
    return listed


class BrokerNodes:
    """The nodes a process may connect to: `urls` is RABBITMQ_URL, one URL or several separated by
    commas (the nodes of one cluster, each with its credentials and virtual host).

    Nodes are tried in the order listed, each once per round, and a new round starts after the
    node used last: a process connects to the first node that answers and, when that connection
    drops, moves on to the next one instead of waiting for its node to return. The order
    is the preference: list the nodes in another order for another service to spread the
    connections. The callers' back-off applies between rounds, once every node failed."""

    def __init__(self, urls: str, name: str | None = None, socket_timeout: float = 5):
        self.parameters = [connection_parameters(url, name, socket_timeout) for url in node_urls(urls)]
        self._next = 0

    def __len__(self) -> int:
        return len(self.parameters)

    def next(self) -> pika.URLParameters:
        """The node to try now; the one after it next time."""
        params = self.parameters[self._next]
        self._next = (self._next + 1) % len(self.parameters)
        return params

    @property
    def current(self) -> pika.URLParameters:
        """The node tried last: after `connect`, the one connected to."""
        return self.parameters[self._next - 1]

    def connect(self) -> pika.BlockingConnection:
        """A blocking connection to the first node of this round that answers; the last node's
        error when none does."""
        error: AMQPConnectionError | None = None
        for _ in self.parameters:
            params = self.next()
            try:
                return pika.BlockingConnection(params)
            except AMQPConnectionError as exc:
                log.info("broker node %s:%s does not answer: %r", params.host, params.port, exc)
                error = exc
        assert error is not None
        raise error


def declare_exchange(channel: Channel, create: bool = False) -> None:
    """Check that the shared exchange exists. Services may not create it (broker_access: they
    configure only their own names); the broker's provisioning does, and `create` (an
    administrator's connection: test fixtures)."""
    channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True, passive=not create)


def connection_user(url: str) -> str:
    """The user a URL (every node's: one cluster has one set of users) connects as: what RabbitMQ
    checks every message's `user_id` against."""
    return str(connection_parameters(node_urls(url)[0]).credentials.username)


# When the event carries a secret (a code), the moment it expires: the message is not kept, nor
# copied (retries, parking), past it. RabbitMQ discards it by its `expiration` from every queue.
EXPIRES_HEADER = "x-mumaris-expires-at"


def persistent(
    message_id: str,
    event_type: str,
    user_id: str | None,
    headers: dict[str, Any] | None = None,
    expires_at: datetime | None = None,
) -> pika.BasicProperties:
    """A message's properties. `user_id` must be the connection's user (RabbitMQ refuses
    anything else), so a consumer knows who published it (broker_access.vouched_user).
    `expires_at`: the broker discards the message then (EXPIRES_HEADER)."""
    headers = dict(headers or {})
    expiration = None
    if expires_at is not None:
        headers[EXPIRES_HEADER] = isoformat(expires_at)
        expiration = str(max(1, int((expires_at - utcnow()).total_seconds() * 1000)))
    return pika.BasicProperties(
        delivery_mode=pika.DeliveryMode.Persistent,
        content_type="application/json",
        message_id=message_id,
        type=event_type,
        user_id=user_id,
        headers=headers,
        expiration=expiration,
    )


def expires_at_of(properties: BasicProperties) -> datetime | None:
    """When a message's secret expires (EXPIRES_HEADER), if it carries one."""
    value = (properties.headers or {}).get(EXPIRES_HEADER)
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class PublishFailed(Exception):
    """The broker did not confirm the batch (down, nack, timeout): nothing in it counts as sent."""


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    routing_key: str
    body: str
    expires_at: datetime | None = None


@dataclass(eq=False)
class _Batch:
    messages: list[Outgoing]
    tags: dict[int, str] = field(default_factory=dict)
    outstanding: set[int] = field(default_factory=set)
    returned: set[str] = field(default_factory=set)
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def fail(self, reason: str) -> None:
        self.error = self.error or reason
        self.done.set()


class ConfirmingPublisher:
    """Owns one asynchronous connection on a background thread and reconnects when it drops, to
    the next of the broker's nodes (`BrokerNodes`).

    `publish_batch` publishes every message (persistent, `mandatory`), waits until the broker has
    confirmed them all, and returns the ids of messages the broker returned as unroutable (no queue
    bound for them yet). Any nack, timeout or lost connection raises `PublishFailed`."""

    def __init__(
        self, url: str, reconnect_delay: float = 0.5, max_reconnect_delay: float = 10.0, name: str | None = None
    ):
        self._nodes = BrokerNodes(url, name)
        self._user = connection_user(url)
        self._reconnect_delay = reconnect_delay
        self._max_reconnect_delay = max_reconnect_delay
        self._connection: pika.SelectConnection | None = None
        self._channel = None
        self._next_tag = 0
        self._batch: _Batch | None = None
        self._ready = threading.Event()
        self._stopping = False
        self._fresh_channel = False  # the channel is being closed to open another
        self._thread = threading.Thread(target=self._run, name="publisher", daemon=True)

    # --- caller's side -------------------------------------------------------------------------
    def start(self) -> ConfirmingPublisher:
        self._thread.start()
        return self

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    def publish_batch(self, messages: list[Outgoing], timeout: float = 10.0) -> set[str]:
        connection = self._connection
        if not self._ready.is_set() or connection is None:
            raise PublishFailed("not connected to the broker")
        batch = _Batch(list(messages))
        try:
            connection.ioloop.add_callback_threadsafe(lambda: self._send(batch))
        except Exception as exc:  # the connection closed between the check and the call
            raise PublishFailed(f"connection lost: {exc}") from exc
        if not batch.done.wait(timeout):
            raise PublishFailed(f"no confirm within {timeout}s")
        if batch.error:
            raise PublishFailed(batch.error)
        return batch.returned

    def close(self) -> None:
        self._stopping = True
        connection = self._connection
        if connection is not None:
            try:
                connection.ioloop.add_callback_threadsafe(self._close_connection)
            except Exception:
                pass
        self._thread.join(timeout=5)

    # --- I/O loop's side -----------------------------------------------------------------------
    def _run(self) -> None:
        delay = self._reconnect_delay
        tried = 0  # nodes tried since the last connection that held
        while not self._stopping:
            opened_at = time.monotonic()
            self._connection = pika.SelectConnection(
                self._nodes.next(),
                on_open_callback=self._on_open,
                on_open_error_callback=self._on_open_error,
                on_close_callback=self._on_closed,
            )
            self._connection.ioloop.start()
            if self._stopping:
                break
            if time.monotonic() - opened_at > 30:
                delay, tried = self._reconnect_delay, 0
            tried += 1
            if tried % len(self._nodes):
                continue  # another node may answer at once
            time.sleep(delay)
            delay = min(delay * 2, self._max_reconnect_delay)

    def _close_connection(self) -> None:
        if self._connection and self._connection.is_open:
            self._connection.close()
        elif self._connection:
            self._connection.ioloop.stop()

    def _on_open(self, connection: AmqpConnection) -> None:
        log.info("publisher connected to %s:%s", connection.params.host, connection.params.port)
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_open_error(self, connection: AmqpConnection, error: Exception) -> None:
        log.warning("publisher cannot connect to the broker: %s", error)
        connection.ioloop.stop()

    def _on_closed(self, connection: AmqpConnection, reason: Exception) -> None:
        self._ready.clear()
        self._channel = None
        if self._batch is not None:
            self._batch.fail(f"connection closed: {reason}")
            self._batch = None
        if not self._stopping:
            log.warning("publisher lost the broker: %s", reason)
        connection.ioloop.stop()

    def _on_channel_open(self, channel: Channel) -> None:
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        channel.exchange_declare(
            EXCHANGE,
            exchange_type="topic",
            durable=True,
            passive=True,  # provisioned with the broker's users (broker_access); services may not create it
            callback=lambda _frame: channel.confirm_delivery(
                ack_nack_callback=self._on_confirm, callback=lambda _f: self._on_confirming(channel)
            ),
        )

    def _on_confirming(self, channel: Channel) -> None:
        self._channel = channel
        self._next_tag = 0
        self._ready.set()

    def _on_channel_closed(self, channel: Channel, reason: Exception) -> None:
        self._ready.clear()
        self._channel = None
        if self._batch is not None:
            self._batch.fail(f"channel closed: {reason}")
            self._batch = None
        if self._connection is not None and self._connection.is_open:
            if self._fresh_channel:
                self._fresh_channel = False
                self._connection.channel(on_open_callback=self._on_channel_open)
            else:
                self._connection.close()

    def _send(self, batch: _Batch) -> None:
        channel = self._channel
        if channel is None or not channel.is_open:
            batch.fail("not connected to the broker")
            return
        if not batch.messages:
            batch.done.set()
            return
        self._batch = batch
        for message in batch.messages:
            self._next_tag += 1
            batch.tags[self._next_tag] = message.message_id
            batch.outstanding.add(self._next_tag)
            channel.basic_publish(
                EXCHANGE,
                message.routing_key,
                message.body.encode(),
                properties=persistent(
                    message.message_id, message.routing_key, self._user, expires_at=message.expires_at
                ),
                mandatory=True,
            )

    def _on_confirm(self, frame: Any) -> None:
        batch = self._batch
        if batch is None:
            return
        method = frame.method
        settled = (
            {t for t in batch.outstanding if t <= method.delivery_tag} if method.multiple else {method.delivery_tag}
        )
        settled &= batch.outstanding
        batch.outstanding -= settled
        if isinstance(method, Basic.Nack):
            batch.error = f"broker refused {len(settled)} message(s)"
        if not batch.outstanding:
            self._batch = None
            batch.done.set()
            if batch.error and self._channel is not None:
                # Go on with a fresh channel: one opened on a node that has not yet learnt of a
                # lost node may keep sending to the queue leader it knew there, and RabbitMQ 3.10
                # then refuses all it publishes, for as long as it stays open.
                log.warning("publisher: the broker refused messages; opening a fresh channel")
                self._fresh_channel = True
                self._channel.close()

    def _on_return(self, _channel: Channel, _method: Any, properties: BasicProperties, _body: bytes) -> None:
        # The broker sends basic.return before the confirm of the same message.
        if self._batch is not None:
            self._batch.returned.add(properties.message_id)
