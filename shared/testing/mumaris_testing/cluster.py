"""A RabbitMQ cluster of the tests' own: nodes on free ports of this machine, clustered by
`ops/infra.sh rabbitmq-cluster`, that a test may kill, stop and start. Nobody else connects to
them, and they are stopped when the run ends. The shared broker is never part of it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from mumaris_shared.broker import connection_user
from mumaris_shared.broker_access import definitions

from .broker import free_ports, wait_for_broker


@dataclass(frozen=True)
class Node:
    name: str
    amqp_port: int
    dist_port: int

    def url(self, vhost: str = "/") -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/{quote(vhost, safe='')}"


class PrivateCluster:
    """`size` nodes clustered (`start()`), each known by name; `url(vhost)` lists every node's URL
    for a virtual host, as RABBITMQ_URL takes it."""

    def __init__(self, infra: Path, directory: Path, size: int):
        self.infra, self.directory = infra, directory
        prefix = f"mumaris-cluster-{os.getpid()}-{uuid.uuid4().hex[:4]}"
        ports = free_ports(2 * size)
        self.nodes = [Node(f"{prefix}-{n + 1}", ports[2 * n], ports[2 * n + 1]) for n in range(size)]
        self.down: set[Node] = set()

    def _infra(self, *args: str, env: dict[str, str] | None = None, given: str | None = None) -> str:
        done = subprocess.run(
            [str(self.infra), *args],
            input=given,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, **(env or {})},
        )
        if done.returncode != 0:
            raise RuntimeError(f"infra.sh {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        return done.stdout

    def start(self) -> PrivateCluster:
        self._infra(
            "rabbitmq-cluster",
            "up",
            str(self.directory),
            *(f"{n.name}:{n.amqp_port}:{n.dist_port}" for n in self.nodes),
        )
        return self

    def close(self) -> None:
        self._infra("rabbitmq-cluster", "down", str(self.directory))

    # --- virtual hosts ---------------------------------------------------------------------------
    def url(self, vhost: str = "/") -> str:
        return ",".join(node.url(vhost) for node in self.nodes)

    def new_vhost(self) -> str:
        """A fresh virtual host, provisioned as the shared broker's are (broker.VirtualHosts): the
        services' users with their permissions, the exchange, and guest may do anything."""
        vhost = f"test-{uuid.uuid4().hex[:12]}"
        provisioned = definitions(vhost, full_access=[connection_user(self.url(vhost))])
        self.ctl("import_definitions", given=json.dumps(provisioned))
        return vhost

    def new_url(self) -> str:
        """RABBITMQ_URL for a fresh virtual host: every node's URL."""
        return self.url(self.new_vhost())

    # --- faults ----------------------------------------------------------------------------------
    def pid(self, node: Node) -> int:
        return int((self.directory / node.name / "pid").read_text())

    def kill(self, node: Node) -> None:
        """SIGKILL: the node's process ends at once, its connections drop without a word."""
        pid = self.pid(node)
        os.kill(pid, signal.SIGKILL)
        self.down.add(node)
        deadline = time.monotonic() + 10
        while _alive(pid):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{node.name} (pid {pid}) outlived SIGKILL")
            time.sleep(0.05)

    def stop(self, node: Node) -> None:
        """A clean shutdown of the node (`rabbitmqctl shutdown`)."""
        self.down.add(node)
        self._infra("rabbitmq-node", "down", node.name, str(self.directory / node.name))

    def restart(self, node: Node) -> None:
        """Start a node that was killed or stopped again, on its ports, with its data: it rejoins."""
        cookie = (self.directory / "cookie").read_text()
        self._infra(
            "rabbitmq-node",
            "up",
            node.name,
            str(node.amqp_port),
            str(node.dist_port),
            str(self.directory / node.name),
            env={"INFRA_NODE_COOKIE": cookie},
        )
        self.down.discard(node)
        wait_for_broker(node.url())

    # --- what the cluster says -------------------------------------------------------------------
    def ctl(self, *args: str, given: str | None = None) -> str:
        """`rabbitmqctl args` on a node that runs (`given`: its standard input)."""
        node = next(n for n in self.nodes if n not in self.down)
        return self._infra("rabbitmq-node", "ctl", node.name, str(self.directory / node.name), *args, given=given)

    def node_named(self, erlang_name: str) -> Node:
        return next(n for n in self.nodes if f"{n.name}@localhost" == erlang_name)

    def queues(self, vhost: str) -> dict[str, dict]:
        """Each queue of `vhost`: its type, leader, members and online members (rabbitmqctl's)."""
        listed = json.loads(
            self.ctl("list_queues", "-p", vhost, "name", "type", "leader", "members", "online", "--formatter", "json")
        )
        return {queue.pop("name"): queue for queue in listed}

    def replicated(self, vhost: str) -> bool:
        """Every queue of `vhost` is a quorum queue with a member on each node, all of them online."""
        every = {f"{node.name}@localhost" for node in self.nodes}
        queues = self.queues(vhost)
        return bool(queues) and all(
            q["type"] == "quorum" and set(q["members"]) == set(q["online"]) == every for q in queues.values()
        )

    def connections(self) -> dict[str, Node]:
        """The node each named connection (`connection_name`: e.g. notifications-consumer) is on."""
        listed = json.loads(self.ctl("list_connections", "name", "client_properties", "--formatter", "json"))
        found = {}
        for connection in listed:
            name = dict((key, value) for key, _type, value in connection["client_properties"]).get("connection_name")
            port = int(connection["name"].rsplit(":", 1)[1])
            if name:
                found[name] = next(n for n in self.nodes if n.amqp_port == port)
        return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
