"""A throwaway 'service' for testing the messaging core: its own tables plus a `notes` table that
handlers write to, so a test can count a handler's effects."""

import threading
import uuid

import pika
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from mumaris_shared.broker import ConfirmingPublisher, connection_parameters
from mumaris_shared.db import messaging_tables
from mumaris_shared.runtime import Runtime

metadata = MetaData()
outbox_table, inbox_table = messaging_tables(metadata)
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(36)),
    Column("text", String(200)),
)


@pytest.fixture
def service_name():
    return f"svc{uuid.uuid4().hex[:8]}"


@pytest.fixture
def make_runtime(service_name):
    """A throwaway service with its tables created on the database at `url`."""
    made = []

    def make(url):
        runtime = Runtime.create(service_name, outbox_table, inbox_table, url=url)
        metadata.create_all(runtime.db.engine)
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.db.dispose()


@pytest.fixture
def runtime(make_runtime, database_url):
    return make_runtime(database_url)


@pytest.fixture
def notes_written():
    """How many notes a handler wrote (for the event with `event_id`, if given)."""

    def count(runtime, event_id=None):
        with runtime.db.transaction() as session:
            query = select(func.count()).select_from(notes)
            if event_id is not None:
                query = query.where(notes.c.event_id == event_id)
            return session.execute(query).scalar_one()

    return count


@pytest.fixture
def write_note():
    """A handler that records one note per event it handles."""

    def handler(ctx):
        ctx.session.execute(notes.insert().values(event_id=ctx.event.id, text=str(ctx.event.data)))

    return handler


@pytest.fixture
def publisher(rabbitmq_url):
    publisher = ConfirmingPublisher(rabbitmq_url).start()
    assert publisher.wait_ready(30)
    yield publisher
    publisher.close()


@pytest.fixture
def amqp_channel(rabbitmq_url):
    connection = pika.BlockingConnection(connection_parameters(rabbitmq_url))
    yield connection.channel()
    connection.close()


@pytest.fixture
def running():
    return Running


class Running:
    """Runs a loop (`run(stop)`) on a thread for the length of a test."""

    def __init__(self, loop):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=loop, args=(self.stop,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "loop did not stop"
