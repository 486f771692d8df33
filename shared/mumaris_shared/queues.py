"""Bring a service's queues to the arguments its consumer declares them with, keeping their messages.

    python -m mumaris_shared.queues upgrade <service> [<service> ...]

RabbitMQ refuses to declare an existing queue with other arguments (PRECONDITION_FAILED), and the
consumer then waits, saying so. That happens once to a deployment made before every queue became a
quorum queue (the retry and parking queues were classic), and whenever CONSUMER_RETRY_DELAYS
changes a retry queue's delay. This command moves each such queue's messages to a holding queue,
declares the queue anew and moves them back, each move confirmed before the original is
acknowledged (a message may be copied twice if the command is interrupted, never lost; the
consumer's inbox drops the repeat). A queue already right is left alone, and a missing one is
created (an events queue rebuilt gets its bindings back when its consumer starts). Run it with
the service's consumers stopped: they would otherwise take or add messages while their queue is
rebuilt. `make run` (the launcher) runs it before it starts anything."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import timedelta
from typing import Any

from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection
from pika.exceptions import ChannelClosedByBroker

from .broker import BrokerNodes
from .config import rabbitmq_url
from .consumer import PRECONDITION_FAILED, QUORUM, queue_arguments, retry_delays_setting

log = logging.getLogger(__name__)

NOT_FOUND = 404


class UpgradeStopped(RuntimeError):
    """Something else used a queue while it was rebuilt; what was moved so far is kept."""


def upgrade(url: str, service: str, retry_delays: list[timedelta]) -> dict[str, int]:
    """Declare every queue of `service`'s consumer, rebuilding those declared otherwise before;
    returns, for each queue rebuilt, how many messages it held."""
    connection = BrokerNodes(url, name=f"{service}-queues-upgrade").connect()
    rebuilt = {}
    try:
        for queue, arguments in queue_arguments(service, retry_delays).items():
            try:
                connection.channel().queue_declare(queue, durable=True, arguments=arguments)
            except ChannelClosedByBroker as exc:
                if exc.reply_code != PRECONDITION_FAILED:
                    raise
                rebuilt[queue] = _rebuild(connection, queue, arguments)
                log.info("%s: rebuilt with %d message(s)", queue, rebuilt[queue])
            else:
                _empty_holding(connection, queue)
    finally:
        connection.close()
    return rebuilt


def _holding(queue: str) -> str:
    return f"{queue}.upgrading"


def _rebuild(connection: BlockingConnection, queue: str, arguments: dict[str, Any]) -> int:
    channel = connection.channel()
    channel.confirm_delivery()
    channel.queue_declare(_holding(queue), durable=True, arguments=QUORUM)
    moved = _move(channel, queue, _holding(queue))
    _delete_empty(channel, queue)
    # A channel that published to the old queue would still route to it by its old type (RabbitMQ
    # 3.10 closes the connection then): the new queue is filled on another channel.
    channel.close()
    channel = connection.channel()
    channel.confirm_delivery()
    channel.queue_declare(queue, durable=True, arguments=arguments)
    _move(channel, _holding(queue), queue)
    _delete_empty(channel, _holding(queue))
    return moved


def _empty_holding(connection: BlockingConnection, queue: str) -> None:
    """An earlier run stopped between deleting `queue` and moving its messages back: finish it."""
    channel = connection.channel()
    try:
        channel.queue_declare(_holding(queue), passive=True)
    except ChannelClosedByBroker as exc:
        if exc.reply_code != NOT_FOUND:
            raise
        return
    channel.confirm_delivery()
    log.info("%s: %d message(s) back from an interrupted upgrade", queue, _move(channel, _holding(queue), queue))
    _delete_empty(channel, _holding(queue))


def _delete_empty(channel: BlockingChannel, queue: str) -> None:
    """Delete `queue`, just emptied; a message that arrived meanwhile (a consumer still running)
    stops the upgrade instead. (Quorum queues do not take `queue.delete`'s if-empty flag.)"""
    waiting = channel.queue_declare(queue, passive=True).method.message_count
    if waiting:
        raise UpgradeStopped(f"{queue} received {waiting} message(s) while it was rebuilt: stop its consumers first")
    channel.queue_delete(queue)


def _move(channel: BlockingChannel, source: str, target: str) -> int:
    """Every message of `source` into `target`, as it was (properties, headers): each published
    with a confirm before its original is acknowledged."""
    moved = 0
    while True:
        method, properties, body = channel.basic_get(source, auto_ack=False)
        if method is None:
            return moved
        channel.basic_publish("", target, body, properties=properties, mandatory=True)
        channel.basic_ack(method.delivery_tag)
        moved += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mumaris_shared.queues",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["upgrade"])
    parser.add_argument("services", nargs="+")
    args = parser.parse_args(argv)
    for service in args.services:
        rebuilt = upgrade(rabbitmq_url(), service, retry_delays_setting())
        for queue, count in rebuilt.items():
            print(f"{queue}: rebuilt as the consumer declares it, {count} message(s) kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
