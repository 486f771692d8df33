"""List and replay a service's parked messages (`<service>.dead`).

    python -m mumaris_shared.parking list   <service>
    python -m mumaris_shared.parking replay <service> [--id EVENT_ID ...] [--all]

A replayed message goes back to `<service>.events` with its attempts reset; it leaves the parking
queue only after the broker confirmed the copy. The command connects as the service's own broker
user (broker_access): a service's parked messages are its own, and so is the copy, which keeps who
published the original, so the consumer judges it as it judged the original."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from pika import BasicProperties
from pika.adapters.blocking_connection import BlockingChannel
from pika.spec import Basic

from .broker import BrokerNodes, connection_user, expires_at_of, persistent
from .broker_access import PUBLISHER_HEADER, own_exchange, service_url, vouched_user
from .consumer import ATTEMPT_HEADER, ERROR_HEADER, QUORUM, queue_names


def _drain(channel: BlockingChannel, queue: str) -> Iterator[tuple[Basic.GetOk, BasicProperties, bytes]]:
    """Every message now in `queue`, unacknowledged (the caller acks or returns each)."""
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=False)
        if method is None:
            return
        yield method, properties, body


def _describe(properties: BasicProperties, body: bytes, own_user: str) -> dict[str, Any]:
    headers = properties.headers or {}
    try:
        event = json.loads(body)
    except ValueError:
        event = {"raw": body.decode(errors="replace")}
    return {
        "message_id": properties.message_id,
        "type": properties.type,
        "error": headers.get(ERROR_HEADER),
        "attempts": headers.get(ATTEMPT_HEADER),
        "parked_at": headers.get("x-mumaris-parked-at"),
        "publisher": vouched_user(properties, own_user),
        "event": event,
    }


def list_parked(url: str, service: str) -> list[dict[str, Any]]:
    queue, _retries, dead = queue_names(service, 0)
    connection = BrokerNodes(url).connect()
    try:
        channel = connection.channel()
        channel.queue_declare(dead, durable=True, arguments=QUORUM)
        found = [_describe(p, b, connection_user(url)) for _m, p, b in _drain(channel, dead)]
        channel.basic_recover(requeue=True)
        return found
    finally:
        connection.close()


def replay(url: str, service: str, ids: set[str] | None) -> int:
    """Send parked messages (all, or those whose id is in `ids`) back to the service's queue."""
    queue, _retries, dead = queue_names(service, 0)
    own_user = connection_user(url)
    connection = BrokerNodes(url).connect()
    replayed = 0
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.queue_declare(dead, durable=True, arguments=QUORUM)
        for method, properties, body in list(_drain(channel, dead)):
            if ids is not None and properties.message_id not in ids:
                continue
            headers = {k: v for k, v in (properties.headers or {}).items() if not k.startswith("x-mumaris-")}
            headers[PUBLISHER_HEADER] = vouched_user(properties, own_user) or ""
            channel.basic_publish(
                own_exchange(service),
                queue,
                body,
                properties=persistent(
                    properties.message_id, properties.type, own_user, headers, expires_at_of(properties)
                ),
                mandatory=True,
            )
            channel.basic_ack(method.delivery_tag)
            replayed += 1
        channel.basic_recover(requeue=True)
        return replayed
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mumaris_shared.parking",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("service")
    parser.add_argument("--id", action="append", dest="ids", help="replay only this message id (repeatable)")
    parser.add_argument("--all", action="store_true", help="replay every parked message")
    args = parser.parse_args(argv)
    if args.command == "list":
        for item in list_parked(service_url(args.service), args.service):
            print(json.dumps(item, ensure_ascii=False))
        return 0
    if not args.ids and not args.all:
        parser.error("replay needs --id or --all")
    print(f"replayed {replay(service_url(args.service), args.service, None if args.all else set(args.ids))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
