"""The platform on a RabbitMQ cluster of the tests' own (three nodes on free ports, `private_cluster`)
while its nodes fail: killed with SIGKILL, or stopped and started again. Every queue is a quorum
queue on every node; each process moves to another node when its own goes; nothing is lost or
doubled, and nothing waits for the lost node to come back. Each test leaves the cluster whole."""

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote, urlsplit

import pytest

from mumaris_testing import EventWaiter, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.cluster, pytest.mark.slow, pytest.mark.xdist_group("cluster")]

REGISTRATIONS = 200
REQUESTS = 60


@pytest.fixture(scope="module")
def on_cluster(private_cluster, start_another_platform):
    """The platform on a virtual host of the cluster, every node listed in its RABBITMQ_URL."""
    with start_another_platform(
        private_cluster.new_url(),
        BILLING_PAYMENT_DEADLINE="PT20S",
        BILLING_REMINDERS="PT5S",
        BILLING_SCHEDULER_INTERVAL="PT0.5S",
    ) as running:
        yield running


@pytest.fixture(scope="module")
def gateway(on_cluster, gateway_for):
    return gateway_for(on_cluster)


@pytest.fixture
def cluster(private_cluster, on_cluster):
    """The cluster, whole when the test starts and again when it ends: every node runs and holds
    its replica of each of the platform's queues."""
    vhost = _vhost(on_cluster)
    assert not private_cluster.down
    wait_until(lambda: private_cluster.replicated(vhost), timeout=60, interval=0.5)
    yield private_cluster
    for node in list(private_cluster.down):
        private_cluster.restart(node)
    wait_until(lambda: private_cluster.replicated(vhost), timeout=60, interval=0.5)


def _vhost(platform):
    return unquote(urlsplit(platform.child_env["RABBITMQ_URL"].split(",")[0]).path.lstrip("/"))


def _on_one_node(platform, cluster, *processes):
    """The node these processes are connected to. Each moves on by itself when its node goes, so
    after earlier faults they may sit on different nodes: then they are started again, and connect
    to the first node listed, as every process does at start."""

    def nodes():
        connected = cluster.connections()
        return {connected.get(name) for name in processes}

    if len(nodes()) != 1:
        for name in processes:
            platform.restart(name)
    wait_until(lambda: len(nodes()) == 1 and None not in nodes(), timeout=30, interval=0.5)
    return cluster.connections()[processes[0]]


def test_every_queue_is_a_quorum_queue_and_leaders_move_off_a_killed_node_while_the_platform_serves(
    on_cluster, gateway, cluster
):
    vhost = _vhost(on_cluster)
    queues = cluster.queues(vhost)
    assert {"applications.events", "billing.events", "notifications.events", "notifications.dead"} <= set(queues)
    assert cluster.replicated(vhost), queues
    [(leading, _count)] = Counter(q["leader"] for q in queues.values()).most_common(1)
    node = cluster.node_named(leading)

    cluster.kill(node)

    def led_by_the_others():
        now = cluster.queues(vhost)
        return all(q["leader"] and q["leader"] != leading and leading not in q["online"] for q in now.values())

    wait_until(led_by_the_others, timeout=30, interval=0.5)
    # the platform serves while the node is away: an account registered, activated, used
    _person, token = gateway.active_account()
    assert len(gateway.invoices(token, gateway.new_request(token))) == 2  # applications to billing
    assert node in cluster.down

    cluster.restart(node)
    wait_until(lambda: cluster.replicated(vhost), timeout=60, interval=0.5)


def test_the_node_under_the_notifications_consumer_and_accounts_relay_killed_while_200_register(
    on_cluster, gateway, cluster
):
    node = _on_one_node(on_cluster, cluster, "notifications-consumer", "accounts-relay")
    emails = [f"crowd.{uuid.uuid4().hex[:12]}@example.sa" for _ in range(REGISTRATIONS)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        registering = [pool.submit(gateway.register, email=email) for email in emails]
        gateway.mail.wait_for(lambda m: m["to"][0] in emails, timeout=120)  # the stream flows through the node
        cluster.kill(node)
        assert sum(future.done() for future in registering) < REGISTRATIONS  # killed while they register
        assert {future.result()[1].status_code for future in registering} == {201}

    # nothing waits for the dead node: every e-mail arrives while it is still down
    for email in emails:
        gateway.code_mail(email, timeout=180)
    marker, _response = gateway.register()  # anything still in flight arrives before this
    gateway.code_mail(marker["email"], timeout=60)
    assert Counter(len(gateway.mails_to(email)) for email in emails) == {1: REGISTRATIONS}
    assert node in cluster.down
    moved = cluster.connections()
    assert moved["notifications-consumer"] != node and moved["accounts-relay"] != node


def test_a_node_stopped_and_started_again_during_a_deadline_sweep_cancels_each_request_once(
    on_cluster, gateway, cluster
):
    with EventWaiter(on_cluster.child_env["RABBITMQ_URL"]) as events:  # a quorum queue: it outlives the node
        person, token = gateway.active_account()
        with ThreadPoolExecutor(max_workers=8) as pool:
            numbers = set(pool.map(lambda _n: gateway.new_request(token, category="specialist"), range(REQUESTS)))
        assert len(numbers) == REQUESTS

        # the sweep is under way: deadlines of the first requests have passed
        def expired():
            return {
                e.data["application_number"]
                for e in events.events
                if e.type == "billing.payment_deadline_expired" and e.data["application_number"] in numbers
            }

        wait_until(expired, timeout=120, interval=0.1)
        assert len(expired()) < REQUESTS  # the sweep has begun, not ended
        node = cluster.connections()["billing-relay"]
        cluster.stop(node)
        cluster.restart(node)

        events.wait_for(
            "applications.application_cancelled",
            where=lambda e: e.data["application_number"] in numbers,
            count=REQUESTS,
            timeout=180,
        )

        def cancellation_mails():
            return gateway.mails_about(person["email"], "cancelled: the fees were not paid in time")

        wait_until(lambda: len(cancellation_mails()) >= REQUESTS, timeout=120, interval=0.5)
        marker = gateway.new_request(token, category="specialist")  # what was in flight has arrived by then
        events.wait_for("billing.fees_assessed", where=lambda e: e.data["application_number"] == marker)

    for event_type in ("billing.payment_deadline_expired", "applications.application_cancelled"):
        counts = Counter(
            e.data["application_number"]
            for e in events.events
            if e.type == event_type and e.data["application_number"] in numbers
        )
        assert counts == {number: 1 for number in numbers}, event_type
    mailed = Counter(number for m in cancellation_mails() for number in numbers if number in m["subject"])
    assert mailed == {number: 1 for number in numbers}
    listed = gateway.call("GET", "/api/applications/v1/applications", token=token).json()
    assert Counter(a["status"] for a in listed if a["number"] in numbers) == {"cancelled": REQUESTS}
