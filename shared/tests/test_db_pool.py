"""Pooled PostgreSQL connections are pinged before use only when they were idle (a ping on every
request was a round trip on every request)."""

import pytest
from sqlalchemy import create_engine, text

from mumaris_shared import db as db_module
from mumaris_shared.db import Database

pytestmark = [pytest.mark.integration]


def test_a_postgres_connection_the_server_closed_while_idle_is_replaced_before_use(make_postgres_database, monkeypatch):
    url = make_postgres_database()
    database, other = Database(url), create_engine(url)
    try:
        with database.reading() as connection:
            first = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with database.reading() as connection:  # in use a moment ago: taken as it is
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar() == first
        with other.begin() as connection:  # the server ends it (a restart would too)
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar()
        monkeypatch.setattr(db_module, "IDLE_BEFORE_PING", 0.0)  # now idle long enough to be pinged
        with database.reading() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != first
    finally:
        database.dispose()
        other.dispose()


def test_a_pinged_connection_is_left_as_it_was_for_a_look_up_and_a_transaction(make_postgres_database, monkeypatch):
    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING", 0.0)  # every connection is pinged
    database = Database(make_postgres_database())
    try:
        for _ in range(3):
            with database.reading() as connection:
                assert connection.execute(text("SELECT 1")).scalar() == 1
            with database.transaction() as session:
                assert session.execute(text("SELECT 1")).scalar() == 1
    finally:
        database.dispose()
