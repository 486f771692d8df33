"""Look-ups (`Database.reading`) on SQLite take no lock: they neither wait for a writer nor hold one up."""

import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from mumaris_shared.db import Database

pytestmark = pytest.mark.unit

metadata = MetaData()
things = Table("things", metadata, Column("n", Integer, primary_key=True))


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'reading.db'}")
    metadata.create_all(database.engine)
    with database.transaction() as session:
        session.execute(insert(things).values(n=1))
    yield database
    database.dispose()


def _read_in_a_thread(db: Database) -> tuple[threading.Thread, list]:
    seen: list = []

    def read() -> None:
        with db.reading() as session:
            seen.append(session.execute(select(things.c.n)).scalars().all())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, seen


def test_a_look_up_does_not_wait_for_a_writer_and_sees_what_was_committed(db):
    with db.transaction() as writing:  # holds SQLite's write lock until the block ends
        writing.execute(insert(things).values(n=2))
        reader, seen = _read_in_a_thread(db)
        reader.join(timeout=5)
        assert not reader.is_alive(), "the look-up waited for the writer's lock"
    assert seen == [[1]]


def test_a_writer_does_not_wait_for_an_open_look_up(db):
    with db.reading() as reading:
        assert reading.execute(select(things.c.n)).scalars().all() == [1]
        done = threading.Event()

        def write() -> None:
            with db.transaction() as session:
                session.execute(insert(things).values(n=3))
            done.set()

        threading.Thread(target=write, daemon=True).start()
        assert done.wait(5), "the writer waited for the look-up"
        assert reading.execute(select(things.c.n)).scalars().all() == [1]  # its own snapshot
    with db.reading() as session:
        assert session.execute(select(things.c.n)).scalars().all() == [1, 3]


def test_a_look_up_commits_nothing(db):
    with db.reading() as session:
        session.execute(insert(things).values(n=4))
    with db.reading() as session:
        assert session.execute(select(things.c.n)).scalars().all() == [1]
