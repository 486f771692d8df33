"""`Database.look_up`: a statement run on the driver itself finds what SQLAlchemy finds."""

import logging
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, bindparam, create_engine, insert, select, text

from mumaris_shared.db import Database, UTCDateTime

pytestmark = pytest.mark.integration


kinds = Table(
    "kinds",
    MetaData(),
    Column("n", Integer, primary_key=True),
    Column("name", String(20)),
    Column("at", UTCDateTime),
    Column("items", JSON),
)
_BY_N = select(kinds).where(kinds.c.n == bindparam("n"))


@pytest.mark.postgres
def test_a_look_up_on_the_driver_finds_what_sqlalchemy_finds(database_url):
    """`Database.look_up`: the same values, converted alike (aware datetimes, decoded JSON), by name."""
    database = Database(database_url)
    try:
        kinds.create(database.engine)
        at = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
        with database.transaction() as session:
            session.execute(insert(kinds).values(n=1, name="first", at=at, items=["degree", {"a": 1}]))
            session.execute(insert(kinds).values(n=2, name=None, at=None, items=None))
        look_up = database.look_up(_BY_N)
        assert database.look_up(_BY_N) is look_up  # compiled once
        for n in (1, 2):
            with database.reading() as session:
                expected = session.execute(_BY_N, {"n": n}).one()
            found = look_up.first(n=n)
            assert tuple(found) == tuple(expected) and found.name == expected.name
        assert look_up.first(n=1).at == at and look_up.first(n=1).at.tzinfo is not None
        assert look_up.first(n=3) is None
        with database.transaction() as session:  # the pool's connections still work for a transaction
            session.execute(insert(kinds).values(n=3, name="third"))
        assert look_up.first(n=3).name == "third"
    finally:
        database.dispose()


def test_a_look_up_prepares_again_what_its_connection_lost(make_postgres_database):
    """PostgreSQL: psycopg deallocates every prepared statement of a connection (DEALLOCATE ALL)
    when it rolls back a transaction in which it had prepared its own, and a connection made anew
    has none. The look-up prepares its statement again, on the same connection or a new one."""
    database = Database(make_postgres_database())
    try:
        kinds.create(database.engine)
        with database.transaction() as session:
            session.execute(insert(kinds).values(n=1, name="first"))
        look_up = database.look_up(_BY_N)
        assert look_up.first(n=1).name == "first"  # prepared on the pool's one connection
        with pytest.raises(RuntimeError), database.transaction() as session:
            for _ in range(6):  # psycopg prepares a statement from its fifth run
                session.execute(_BY_N, {"n": 1}).one()
            raise RuntimeError("rolled back, and with it every prepared statement")
        assert database.engine.pool.checkedin() == 1  # the same connection again
        assert look_up.first(n=1).name == "first"
        with database.transaction() as session:  # and the connection is as it was
            session.execute(insert(kinds).values(n=2, name="second"))
        assert look_up.first(n=2).name == "second"
        database.engine.dispose()  # connections made anew
        assert look_up.first(n=1).name == "first"
        assert look_up.first(n=3) is None
    finally:
        database.dispose()


def test_a_look_up_on_a_connection_the_server_closed_fails_once_and_the_next_one_connects_anew(
    make_postgres_database, caplog
):
    """PostgreSQL: a connection the server ended between two look-ups (a restart, a fail-over;
    taken again at once, so not pinged) fails the look-up as psycopg fails a statement on it, and
    the pool drops it without trying to reset it (no error logged): the next look-up runs on a new
    connection."""
    url = make_postgres_database()
    database, other = Database(url), create_engine(url)
    try:
        kinds.create(database.engine)
        with database.transaction() as session:
            session.execute(insert(kinds).values(n=1, name="first"))
        look_up = database.look_up(_BY_N)
        assert look_up.first(n=1).name == "first"
        pooled = database.engine.raw_connection()
        ended = pooled.driver_connection.info.backend_pid  # type: ignore[union-attr]
        pooled.close()
        with other.begin() as connection:  # the server ends it
            assert connection.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": ended}).scalar()
        with pytest.raises(psycopg.OperationalError, match="connection is lost"):
            look_up.first(n=1)
        assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
        assert look_up.first(n=1).name == "first"
        assert database.engine.raw_connection().driver_connection.info.backend_pid != ended  # type: ignore[union-attr]
    finally:
        database.dispose()
        other.dispose()
