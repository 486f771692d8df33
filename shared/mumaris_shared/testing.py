"""Test fixtures for every tier (a pytest plugin, loaded automatically once mumaris-shared is
installed). Real servers always: testcontainers when a Docker engine answers, otherwise the
RabbitMQ and PostgreSQL that `make test` installed and started on this machine."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pika
import pytest
import sqlalchemy as sa

from .broker import connection_parameters, connection_user, declare_exchange, persistent
from .broker_access import SERVICES, definitions, service_url
from .config import env
from .events import EXCHANGE, Event

LOCAL_POSTGRES_ADMIN = "postgresql://mumaris:mumaris@127.0.0.1:5432/postgres"


def docker_available() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# --- RabbitMQ ---------------------------------------------------------------------------------------
@dataclass
class Broker:
    """A broker for tests: `url` on a fresh virtual host; `stop()`/`start()` to play an outage;
    `new_url()` for another fresh virtual host (a second platform that must not share queues).

    Each virtual host is provisioned as `ops/infra.sh` provisions the broker (broker_access): the
    services' own users with their permissions, and the exchange; `url`'s user (an administrator)
    may do anything there. Services under test connect as their own users
    (`broker_access.service_url(service, url)`), so tests exercise the real boundary."""

    url: str
    stop: Callable[[], None]
    start: Callable[[], None]
    new_url: Callable[[], str]


def _rabbitmqctl(*args: str, given: str | None = None) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], input=given, text=True, check=True, capture_output=True, timeout=120)


def _import_locally(provisioned: dict) -> None:
    _rabbitmqctl("import_definitions", given=json.dumps(provisioned))  # read from standard input


_DEVELOPMENT_USERS = {f"mumaris-{service}" for service in SERVICES}


def _wait_for_broker(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            pika.BlockingConnection(connection_parameters(url)).close()
            return
        except pika.exceptions.AMQPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _vhosts(import_definitions: Callable[[dict], None], ctl: Callable[..., None], base_url: str):
    """`add()` makes a fresh, provisioned virtual host and answers its URL; `remove_all()`
    deletes them. The services' users are those the environment names now (`broker_access`):
    by default the development ones, shared by every test session, which stay; users of other
    names (a test's own, with passwords of its own) are deleted with the virtual hosts."""
    made: list[str] = []
    own_users: set[str] = set()

    def add() -> str:
        vhost = f"test-{uuid.uuid4().hex[:12]}"
        url = f"{base_url}/{quote(vhost, safe='')}"
        provisioned = definitions(vhost, full_access=[connection_user(url)])
        import_definitions(provisioned)
        made.append(vhost)
        own_users.update(u["name"] for u in provisioned["users"] if u["name"] not in _DEVELOPMENT_USERS)
        return url

    def remove_all() -> None:
        for vhost in made:
            ctl("delete_vhost", vhost)
        for name in own_users:
            ctl("delete_user", name)

    return add, remove_all


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    if env("MUMARIS_TEST_RABBITMQ_URL"):
        url = env("MUMARIS_TEST_RABBITMQ_URL")
        yield Broker(
            url,
            stop=lambda: pytest.skip("broker outages need a broker the tests control"),
            start=lambda: None,
            new_url=lambda: pytest.skip("a second virtual host needs rabbitmqctl"),
        )
        return
    if docker_available():
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13-management") as container:
            params = container.get_connection_params()

            def ctl(*args: str) -> None:
                container.exec(["rabbitmqctl", "-q", *args])

            def import_definitions(provisioned: dict) -> None:
                path = "/tmp/mumaris-definitions.json"
                written = f"printf %s {shlex.quote(json.dumps(provisioned))} > {path}"
                container.exec(["sh", "-c", f"{written} && rabbitmqctl -q import_definitions {path}"])

            add, _remove = _vhosts(import_definitions, ctl, f"amqp://guest:guest@{params.host}:{params.port}")
            url = add()
            yield Broker(
                url,
                stop=lambda: container.get_wrapped_container().stop(),
                start=lambda: (container.get_wrapped_container().start(), _wait_for_broker(url)),
                new_url=add,
            )
        return
    add, remove_all = _vhosts(_import_locally, _rabbitmqctl, "amqp://guest:guest@127.0.0.1:5672")
    url = add()

    def start():
        _rabbitmqctl("start_app")
        _wait_for_broker(url)

    try:
        yield Broker(url, stop=lambda: _rabbitmqctl("stop_app"), start=start, new_url=add)
    finally:
        _rabbitmqctl("start_app")
        remove_all()


@pytest.fixture(scope="session")
def rabbitmq_url(broker: Broker) -> str:
    return broker.url


def publish_as_producer(url: str, event: Event, body: bytes | None = None) -> None:
    """Publish `event` (or `body` in its stead) on the exchange of `url`'s virtual host as the
    service its type names does: as that service's own broker user, `user_id` stamped, confirmed."""
    producer_url = service_url(event.type.partition(".")[0], url)
    connection = pika.BlockingConnection(connection_parameters(producer_url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        properties = persistent(event.id, event.type, connection_user(producer_url))
        channel.basic_publish(EXCHANGE, event.type, body or event.to_json().encode(), properties, mandatory=True)
    finally:
        connection.close()


# --- PostgreSQL -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A URL with the right to create databases."""
    if env("MUMARIS_TEST_POSTGRES_URL"):
        yield env("MUMARIS_TEST_POSTGRES_URL")
    elif docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver="psycopg") as container:
            yield container.get_connection_url()
    else:
        yield LOCAL_POSTGRES_ADMIN


@pytest.fixture(scope="session")
def make_postgres_database(postgres_admin_url: str) -> Iterator[Callable[[], str]]:
    """Creates fresh, empty databases; drops them all at the end of the session."""
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def make() -> str:
        name = f"test_{uuid.uuid4().hex[:16]}"
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return str(sa.engine.make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False))

    yield make
    with admin.connect() as connection:
        for name in created:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A fresh, empty database on each backend: integration tests run on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    return request.getfixturevalue("make_postgres_database")()


# --- Waiting for events -----------------------------------------------------------------------------
class EventWaiter:
    """Listens to every event on the exchange (its own exclusive queue) so a test can block until
    an asynchronous step has happened, instead of sleeping."""

    def __init__(self, url: str, binding: str = "#"):
        self.url, self.binding = url, binding
        self.events: list[Event] = []
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="event-waiter")

    def __enter__(self) -> EventWaiter:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("event waiter could not bind its queue")
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                connection = pika.BlockingConnection(connection_parameters(self.url))
                channel = connection.channel()
                declare_exchange(channel, create=True)
                queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
                channel.queue_bind(queue, EXCHANGE, routing_key=self.binding)
                channel.basic_consume(queue, self._on_message, auto_ack=True)
                self._ready.set()
                while not self._stop.is_set():
                    connection.process_data_events(time_limit=0.1)
                connection.close()
            except pika.exceptions.AMQPError:
                self._stop.wait(0.5)  # the test is playing a broker outage: listen again when it is back

    def _on_message(self, _channel, _method, _properties, body: bytes) -> None:
        with self._changed:
            self.events.append(Event.from_json(body))
            self._changed.notify_all()

    def wait_for(
        self, event_type: str, where: Callable[[Event], bool] = lambda _e: True, count: int = 1, timeout: float = 30
    ) -> list[Event]:
        def matching():
            return [e for e in self.events if e.type == event_type and where(e)]

        with self._changed:
            if not self._changed.wait_for(lambda: len(matching()) >= count, timeout):
                raise AssertionError(
                    f"waited {timeout}s for {count} x {event_type}; saw {json.dumps([e.type for e in self.events])}"
                )
            return matching()


@pytest.fixture
def event_waiter(rabbitmq_url: str) -> Iterator[EventWaiter]:
    with EventWaiter(rabbitmq_url) as waiter:
        yield waiter


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, interval: float = 0.05) -> None:
    """For state that announces itself with no event (a row, a queue's depth): check it until it
    holds, failing after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


# --- Tokens ---------------------------------------------------------------------------------------
class TestTokens:
    """Signs tokens the way accounts does (RS256, issuer, audience, kid), with a key made for the
    test run; `verifier` is what a service under test checks them with."""

    __test__ = False  # not a test class, whatever its name
    KID = "test-key"

    def __init__(self):
        from cryptography.hazmat.primitives.asymmetric import rsa

        from .auth import TokenVerifier

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.verifier = TokenVerifier(key_for_kid=lambda kid: {self.KID: self.key.public_key()}[kid])

    def token(self, sub: str, *roles: str, expires_in: float = 300, **claims) -> str:
        import jwt

        from .config import TOKEN_AUDIENCE, TOKEN_ISSUER
        from .events import utcnow

        now = utcnow()
        return jwt.encode(
            {
                "sub": sub,
                "roles": list(roles),
                "iss": TOKEN_ISSUER,
                "aud": TOKEN_AUDIENCE,
                "iat": now,
                "exp": now.timestamp() + expires_in,
                **claims,
            },
            self.key,
            algorithm="RS256",
            headers={"kid": self.KID},
        )

    def bearer(self, sub: str, *roles: str, **claims) -> dict:
        """Headers of a request made by `sub` holding `roles`."""
        return {"Authorization": f"Bearer {self.token(sub, *roles, **claims)}"}


@pytest.fixture(scope="session")
def test_tokens() -> TestTokens:
    return TestTokens()


# --- Time and stored state ------------------------------------------------------------------------
class Clock:
    """A clock a test moves by hand: pass it where a service takes `clock`, then `advance`."""

    __test__ = False

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, by) -> None:
        self.now += by


def stored_rows(db, metadata: sa.MetaData, leave_out: frozenset[str] | set[str] = frozenset()) -> dict[str, list]:
    """Every row of every table the service declares (but `leave_out`), comparable before and
    after a request: how a test shows that a refused request changed nothing."""
    with db.transaction() as session:
        return {
            table.name: sorted(tuple(map(repr, row)) for row in session.execute(sa.select(table)))
            for table in metadata.sorted_tables
            if table.name not in leave_out
        }


def assert_error(response, status: int, code: str) -> dict:
    """A Flask test response is the one error shape, with this status and code; its `error`."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.json) == {"error"} and response.json["error"]["code"] == code, response.json
    return response.json["error"]
