"""RabbitMQ for tests. The shared broker (the one `make test` started, or a container) is never
stopped: tests get fresh virtual hosts on it. A test that plays a broker outage takes a private
broker instead, a node of its own (`ops/infra.sh rabbitmq-node`, or a container of its own) that
nobody else uses, so its outage hurts no other test, worker or engineer."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pika

from mumaris_shared.broker import BrokerNodes, connection_user, persistent
from mumaris_shared.broker_access import SERVICES, definitions, service_url
from mumaris_shared.events import EXCHANGE, Event
from ops.net import free_ports

LOCAL_RABBITMQ = "amqp://guest:guest@127.0.0.1:5672"

Ctl = Callable[..., None]  # runs `rabbitmqctl <args>` against the broker
Import = Callable[[dict], None]  # `rabbitmqctl import_definitions` of these definitions

# The services' users as development names them: shared by every test session, so they stay.
_DEVELOPMENT_USERS = {f"mumaris-{service}" for service in SERVICES}


@dataclass
class Broker:
    """`url` is a fresh virtual host; `new_url()` makes another (a second platform must not share
    queues with the first).

    Each virtual host is provisioned as `ops/infra.sh` provisions the broker (broker_access): the
    services' own users with their permissions, and the exchange; `url`'s user (an administrator)
    may do anything there. Services under test connect as their own users
    (`broker_access.service_url(service, url)`), so tests exercise the real boundary."""

    url: str
    new_url: Callable[[], str]


@dataclass
class PrivateBroker(Broker):
    """A broker no other test uses: `stop()` and `start()` play an outage."""

    stop: Callable[[], None]
    start: Callable[[], None]


def wait_for_broker(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            BrokerNodes(url).connect().close()
            return
        except pika.exceptions.AMQPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class VirtualHosts:
    """Fresh, provisioned virtual hosts on one broker; `remove_all()` deletes them. The services'
    users are those the environment names now (`broker_access`): by default the development ones,
    which stay; users of other names (a test's own, with passwords of its own) are deleted with
    the virtual hosts."""

    def __init__(self, ctl: Ctl, import_definitions: Import, base_url: str):
        self.ctl, self.import_definitions, self.base_url = ctl, import_definitions, base_url
        self.made: list[str] = []
        self.own_users: set[str] = set()

    def add(self) -> str:
        vhost = f"test-{uuid.uuid4().hex[:12]}"
        url = f"{self.base_url}/{quote(vhost, safe='')}"
        provisioned = definitions(vhost, full_access=[connection_user(url)])
        self.import_definitions(provisioned)
        self.made.append(vhost)
        self.own_users.update(u["name"] for u in provisioned["users"] if u["name"] not in _DEVELOPMENT_USERS)
        return url

    def remove_all(self) -> None:
        for vhost in self.made:
            self.ctl("delete_vhost", vhost)
        for name in self.own_users:
            self.ctl("delete_user", name)


def publish_as(url: str, event: Event, body: bytes | None = None) -> None:
    """Publish `event` (or `body` in its stead) on the exchange of `url`'s virtual host as `url`'s
    user, `user_id` stamped, confirmed and mandatory."""
    connection = BrokerNodes(url).connect()
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        properties = persistent(event.id, event.type, connection_user(url))
        channel.basic_publish(EXCHANGE, event.type, body or event.to_json().encode(), properties, mandatory=True)
    finally:
        connection.close()


def publish_as_producer(url: str, event: Event, body: bytes | None = None) -> None:
    """`publish_as` the service `event`'s type names: as that service's own broker user."""
    publish_as(service_url(event.type.partition(".")[0], url), event, body)


def _run(*command: str, given: str | None = None) -> None:
    done = subprocess.run(command, input=given, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")


@contextmanager
def _container() -> Iterator[tuple[object, VirtualHosts]]:
    from testcontainers.rabbitmq import RabbitMqContainer

    with RabbitMqContainer("rabbitmq:3.13-management") as container:
        params = container.get_connection_params()

        def import_definitions(provisioned: dict) -> None:
            path = "/tmp/mumaris-definitions.json"
            written = f"printf %s {shlex.quote(json.dumps(provisioned))} > {path}"
            container.exec(["sh", "-c", f"{written} && rabbitmqctl -q import_definitions {path}"])

        yield (
            container,
            VirtualHosts(
                lambda *args: container.exec(["rabbitmqctl", "-q", *args]),
                import_definitions,
                f"amqp://guest:guest@{params.host}:{params.port}",
            ),
        )


def _private(vhosts: VirtualHosts, stop: Callable[[], None], start: Callable[[], None]) -> PrivateBroker:
    url = vhosts.add()

    def start_and_wait() -> None:
        start()
        wait_for_broker(url)

    return PrivateBroker(url, vhosts.add, stop=stop, start=start_and_wait)


@contextmanager
def shared_broker(use_docker: bool) -> Iterator[Broker]:
    if use_docker:
        with _container() as (_, vhosts):
            yield Broker(vhosts.add(), vhosts.add)
        return
    vhosts = VirtualHosts(
        lambda *args: _run("rabbitmqctl", "-q", *args),
        lambda provisioned: _run("rabbitmqctl", "-q", "import_definitions", given=json.dumps(provisioned)),
        LOCAL_RABBITMQ,
    )
    try:
        yield Broker(vhosts.add(), vhosts.add)
    finally:
        vhosts.remove_all()


@contextmanager
def private_node(infra: Path, directory: Path) -> Iterator[PrivateBroker]:
    """A RabbitMQ node of this process's own, on free ports, with its data in `directory`."""
    name = f"mumaris-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    amqp_port, dist_port = free_ports(2)

    def node(*args: str) -> None:
        _run(str(infra), "rabbitmq-node", *args)

    def ctl(*args: str) -> None:
        node("ctl", name, str(directory), *args)

    def import_definitions(provisioned: dict) -> None:
        node_ctl = (str(infra), "rabbitmq-node", "ctl", name, str(directory))
        _run(*node_ctl, "import_definitions", given=json.dumps(provisioned))

    node("up", name, str(amqp_port), str(dist_port), str(directory))
    try:
        vhosts = VirtualHosts(ctl, import_definitions, f"amqp://guest:guest@127.0.0.1:{amqp_port}")
        yield _private(vhosts, stop=lambda: ctl("stop_app"), start=lambda: ctl("start_app"))
    finally:
        node("down", name, str(directory))


@contextmanager
def private_container() -> Iterator[PrivateBroker]:
    with _container() as (container, vhosts):
        wrapped = container.get_wrapped_container()
        yield _private(vhosts, stop=wrapped.stop, start=wrapped.start)
