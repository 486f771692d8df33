"""RabbitMQ for tests. The shared broker (the one `make test` started, or a container) is never
stopped: tests get fresh virtual hosts on it. A test that plays a broker outage takes a private
broker instead, a node of its own (`ops/infra.sh rabbitmq-node`, or a container of its own) that
nobody else uses, so its outage hurts no other test, worker or engineer."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pika

from mumaris_shared.broker import BrokerNodes

LOCAL_RABBITMQ = "amqp://guest:guest@127.0.0.1:5672"

Ctl = Callable[..., None]  # runs `rabbitmqctl <args>` against the broker


@dataclass
class Broker:
    """`url` is a fresh virtual host; `new_url()` makes another (a second platform must not share
    queues with the first)."""

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
    """Fresh virtual hosts on one broker, each granted to guest; `remove_all()` deletes them."""

    def __init__(self, ctl: Ctl, base_url: str):
        self.ctl, self.base_url = ctl, base_url
        self.made: list[str] = []

    def add(self) -> str:
        vhost = f"test-{uuid.uuid4().hex[:12]}"
        self.ctl("add_vhost", vhost)
        self.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        self.made.append(vhost)
        return f"{self.base_url}/{quote(vhost, safe='')}"

    def remove_all(self) -> None:
        for vhost in self.made:
            self.ctl("delete_vhost", vhost)


def _run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")


@contextmanager
def _container() -> Iterator[tuple[object, VirtualHosts]]:
    from testcontainers.rabbitmq import RabbitMqContainer

    with RabbitMqContainer("rabbitmq:3.13-management") as container:
        params = container.get_connection_params()
        yield (
            container,
            VirtualHosts(
                lambda *args: container.exec(["rabbitmqctl", "-q", *args]),
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
    vhosts = VirtualHosts(lambda *args: _run("rabbitmqctl", "-q", *args), LOCAL_RABBITMQ)
    try:
        yield Broker(vhosts.add(), vhosts.add)
    finally:
        vhosts.remove_all()


# rabbitmqctl and the other CLI tools take a distribution port of their own in this range while
# they run: a node listening there would now and then find it taken.
CLI_DISTRIBUTION_PORTS = range(35672, 35683)


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (the OS's choice, so they do not collide with fixed ones)."""
    chosen: list[socket.socket] = []
    passed: list[socket.socket] = []  # held open meanwhile, so that the OS does not offer them again
    try:
        while len(chosen) < count:
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            (passed if probe.getsockname()[1] in CLI_DISTRIBUTION_PORTS else chosen).append(probe)
        return [probe.getsockname()[1] for probe in chosen]
    finally:
        for probe in chosen + passed:
            probe.close()


@contextmanager
def private_node(infra: Path, directory: Path) -> Iterator[PrivateBroker]:
    """A RabbitMQ node of this process's own, on free ports, with its data in `directory`."""
    name = f"mumaris-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    amqp_port, dist_port = free_ports(2)

    def node(*args: str) -> None:
        _run(str(infra), "rabbitmq-node", *args)

    def ctl(*args: str) -> None:
        node("ctl", name, str(directory), *args)

    node("up", name, str(amqp_port), str(dist_port), str(directory))
    try:
        vhosts = VirtualHosts(ctl, f"amqp://guest:guest@127.0.0.1:{amqp_port}")
        yield _private(vhosts, stop=lambda: ctl("stop_app"), start=lambda: ctl("start_app"))
    finally:
        node("down", name, str(directory))


@contextmanager
def private_container() -> Iterator[PrivateBroker]:
    with _container() as (container, vhosts):
        wrapped = container.get_wrapped_container()
        yield _private(vhosts, stop=wrapped.stop, start=wrapped.start)
