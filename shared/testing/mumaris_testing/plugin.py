"""The pytest plugin (entry point `mumaris`, loaded in every test run once mumaris-testing is
installed): the fixtures for real servers, and the rules of the suite's tiers.

Real servers always: testcontainers when a Docker engine answers, otherwise the RabbitMQ and
PostgreSQL that `make test` started on this machine. Session-scoped fixtures live once per pytest
process, i.e. once per xdist worker: each worker has its own virtual hosts and databases.

Tiers: every test is exactly one of `unit` (no server), `integration`, `e2e` or `browser`. A test marked
`postgres` (or taking a PostgreSQL fixture) needs PostgreSQL; one that takes `database_url` then
runs on SQLite and on PostgreSQL, every other test on SQLite only."""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Callable, Iterator

import pytest

from mumaris_shared.config import env

from .broker import Broker, PrivateBroker, private_container, private_node, shared_broker
from .cluster import PrivateCluster
from .postgres import Databases, postgres_server
from .tokens import TestTokens
from .waiting import EventWaiter

TIERS = ("unit", "integration", "e2e", "browser")
BACKENDS = ("sqlite", "postgresql")
POSTGRES_FIXTURES = {"postgres_admin_url", "postgres_databases", "make_postgres_database"}
SERVER_FIXTURES = POSTGRES_FIXTURES | {"broker", "private_broker", "private_cluster", "rabbitmq_url", "event_waiter"}


@functools.cache
def docker_available() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# --- the suite's rules ----------------------------------------------------------------------------
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker("postgres"):
        metafunc.parametrize("database_url", BACKENDS, indirect=True)


LONGEST_FIRST = ("slow", "e2e", "browser", "integration")  # then unit


def _order(item: pytest.Item) -> int:
    """Longest first, so that a parallel run does not end waiting for one long test started last."""
    return next((rank for rank, mark in enumerate(LONGEST_FIRST) if item.get_closest_marker(mark)), len(LONGEST_FIRST))


# Before xdist reads the `xdist_group` marks and before `-m` selects by the marks added here.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    problems = []
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        if uses & POSTGRES_FIXTURES:
            item.add_marker(pytest.mark.postgres)
        if "platform" in uses:
            # A package's `platform` (every process of every service, and nginx) is shared by its
            # tests: under xdist they all go to one worker, so that it starts once.
            item.add_marker(pytest.mark.xdist_group(f"platform-{item.path.parent.name}"))
        tiers = [tier for tier in TIERS if item.get_closest_marker(tier)]
        if len(tiers) != 1:
            problems.append(f"{item.nodeid}: marked {tiers or 'with no tier'}; a test is one of {', '.join(TIERS)}")
        elif tiers == ["unit"] and (uses & SERVER_FIXTURES or item.get_closest_marker("postgres")):
            problems.append(f"{item.nodeid}: a unit test needs no server; mark it integration")
    if problems:
        raise pytest.UsageError("\n".join(problems))
    items.sort(key=_order)


def pytest_configure(config: pytest.Config) -> None:
    # `--dist loadgroup` keeps a group together by a suffix on its tests' ids, which pytest 9.2
    # drops (pytest-dev/pytest-xdist#1386): the groups would be spread over the workers without a
    # word, and the e2e platform started on each.
    if config.getoption("dist", "no") == "loadgroup" and pytest.version_tuple[:2] >= (9, 2):
        import xdist

        if tuple(int(part) for part in xdist.__version__.split(".")[:2]) <= (3, 8):
            raise pytest.UsageError(
                f"pytest {pytest.__version__} and pytest-xdist {xdist.__version__} ignore xdist_group: "
                "install requirements-dev.txt (ops/install.sh)"
            )


# --- RabbitMQ -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    """The shared broker, on a virtual host of this worker's own. It is never stopped: a test that
    plays an outage takes `private_broker`."""
    if env("MUMARIS_TEST_RABBITMQ_URL"):
        yield Broker(env("MUMARIS_TEST_RABBITMQ_URL"), lambda: pytest.skip("a second virtual host needs rabbitmqctl"))
        return
    with shared_broker(docker_available()) as shared:
        yield shared


@pytest.fixture(scope="session")
def private_broker(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[PrivateBroker]:
    """A broker of this worker's own (a RabbitMQ node on free ports, started at first need), which
    a test may stop and start: nobody else is connected to it."""
    if env("MUMARIS_TEST_RABBITMQ_URL"):
        pytest.skip("broker outages need a broker the tests start")
    if docker_available():
        with private_container() as private:
            yield private
        return
    infra = request.config.rootpath / "ops" / "infra.sh"
    with private_node(infra, tmp_path_factory.mktemp("rabbitmq-node")) as private:
        yield private


@pytest.fixture(scope="session")
def private_cluster(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[PrivateCluster]:
    """RABBITMQ_CLUSTER_NODES (3) RabbitMQ nodes of this worker's own on free ports, clustered
    (`ops/infra.sh rabbitmq-cluster`), started at first need and stopped when the run ends: a test
    may kill, stop and restart any of them. Never the shared broker, with or without Docker."""
    size = int(env("RABBITMQ_CLUSTER_NODES", "3"))
    if size < 3:
        pytest.fail(f"RABBITMQ_CLUSTER_NODES={size}: losing a node keeps a majority only from 3 nodes on")
    infra = request.config.rootpath / "ops" / "infra.sh"
    cluster = PrivateCluster(infra, tmp_path_factory.mktemp("rabbitmq-cluster"), size).start()
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="session")
def rabbitmq_url(broker: Broker) -> str:
    return broker.url


@pytest.fixture
def event_waiter(rabbitmq_url: str) -> Iterator[EventWaiter]:
    with EventWaiter(rabbitmq_url) as waiter:
        yield waiter


# --- databases ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A URL with the right to create databases."""
    if env("MUMARIS_TEST_POSTGRES_URL"):
        yield env("MUMARIS_TEST_POSTGRES_URL")
        return
    with postgres_server(docker_available()) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_databases(postgres_admin_url: str) -> Iterator[Databases]:
    databases = Databases(postgres_admin_url)
    yield databases
    databases.close()


@pytest.fixture
def make_postgres_database(postgres_databases: Databases) -> Iterator[Callable[[], str]]:
    """`make_postgres_database()`: the URL of a fresh, empty database, the test's alone."""
    taken: list[str] = []

    def make() -> str:
        taken.append(postgres_databases.take())
        return taken[-1]

    yield make
    for url in taken:
        postgres_databases.give_back(url)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A fresh, empty database: SQLite, or for a test marked `postgres` each backend in turn."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    return request.getfixturevalue("make_postgres_database")()


# --- tokens ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def test_tokens() -> TestTokens:
    return TestTokens()
