"""`Database.look_up`: a statement run on the driver itself finds what SQLAlchemy finds."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, bindparam, insert, select

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
