"""One database per service: engine set-up for SQLite and PostgreSQL, transactions, the outbox and
inbox tables every service carries, and row claiming that lets replicas share work safely."""

from __future__ import annotations

import itertools
import secrets
import time
from collections import namedtuple
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer
from sqlalchemy import (
    ARRAY,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.engine import Connection, Dialect, Engine, Row, make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both backends (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# What a look-up runs on: a transaction's session, or `Database.reading`'s connection (both `execute`).
Reader = Session | Connection


class Database:
    def __init__(self, url: str):
        self.url = url
        self.is_postgres = make_url(url).get_backend_name() == "postgresql"
        if self.is_postgres:
            self.engine = create_engine(url, pool_size=5, max_overflow=10)
            _ping_idle_connections(self.engine)
            # Each statement sees what was committed when it began, as in a transaction at
            # PostgreSQL's READ COMMITTED; without a transaction, no BEGIN and ROLLBACK round trips.
            self._reading_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        else:
            self.engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            _serialise_sqlite_writers(self.engine)
            self._reading_engine = self.engine.execution_options(**{_READING: True})
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._look_ups: dict[Select[Any], LookUp] = {}
        event.listen(self._sessions, "after_soft_rollback", _forget_notifications)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together at the end of the block, or not at all."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for look-ups only: it must not write. On SQLite a deferred transaction,
        one consistent state of the database, that takes no lock (readers neither queue behind a
        writer nor hold one up, where `transaction` takes the write lock first) and ends rolled
        back. On PostgreSQL no transaction: each statement sees what was committed when it began,
        as in `transaction` at READ COMMITTED, with two round trips fewer. A connection, not an ORM
        session: the services' tables are SQLAlchemy Core, and a session's bookkeeping was a third
        of a look-up's time."""
        with self._reading_engine.connect() as connection:
            yield connection

    def look_up(self, statement: Select[Any]) -> LookUp:
        """`statement` made ready to run on the driver itself (`LookUp`), once per statement."""
        look_up = self._look_ups.get(statement)
        if look_up is None:
            look_up = self._look_ups[statement] = LookUp(self, statement)
        return look_up

    def ping(self) -> None:
        with self.reading() as session:
            session.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


class LookUp:
    """One row by a statement built once, run on the database driver's own connection: the read
    path's hottest look-ups (a request by its number, for its status or its owner). SQLAlchemy's
    execution around a statement (a Connection, its events, an execution context, the result) cost
    five times the statement itself on SQLite, more still among a web worker's threads. Here the
    statement is compiled once for the database, its parameters are bound as the driver takes them,
    and each column is converted as SQLAlchemy would (a UTCDateTime's time zone, a JSON column's
    decoding), into a named tuple. The pool's connection is used (its idle ping included) and runs
    the statement outside a transaction: one statement sees one committed state, on SQLite as on
    PostgreSQL, with no BEGIN or ROLLBACK.

    On PostgreSQL the statement goes to libpq itself (psycopg's `pq` layer): prepared once on each
    connection under a name of its own, then executed by that name, its row decoded by the
    connection's own loaders (psycopg's `Transformer`, what a cursor's `fetchone` uses). A psycopg
    cursor's machinery around the same round trip (its generators, its prepared-statement cache,
    switching autocommit on and off) cost more CPU than the round trip itself. libpq runs a
    statement outside a transaction unless one was begun, and the pool hands connections back idle."""

    _names = itertools.count(1)

    def __init__(self, db: Database, statement: Select[Any]):
        dialect = db.engine.dialect
        # Compiled for what runs it: the driver (sqlite3's placeholders), or libpq on PostgreSQL ($1, $2, ...).
        runs_on = PGDialect_psycopg(paramstyle="numeric_dollar") if db.is_postgres else dialect  # type: ignore[no-untyped-call]
        compiled = statement.compile(dialect=runs_on)
        columns = list(statement.selected_columns)
        self._db = db
        self._sql = compiled.string
        self._defaults = dict(compiled.params)
        self._order = tuple(compiled.positiontup or ()) if compiled.positional else None
        self._convert = [
            (index, convert)
            for index, column in enumerate(columns)
            if (convert := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
        ]
        self._row = namedtuple("LookedUp", [column.key for column in columns])  # type: ignore[misc]
        if db.is_postgres:
            self._prepared_sql = self._sql.encode()
            self._name = f"mumaris_look_up_{next(self._names)}".encode()

    def first(self, **params: Any) -> Any:
        """The first row the statement finds with `params`, or None."""
        values = {**self._defaults, **params}
        bound = tuple(values[name] for name in self._order) if self._order is not None else values
        connection = self._db.engine.raw_connection()
        try:
            if self._db.is_postgres:
                found = self._first_on_libpq(connection, tuple(bound))
            else:
                cursor = connection.driver_connection.cursor()  # type: ignore[union-attr]
                cursor.execute(self._sql, bound)
                found = cursor.fetchone()
                cursor.close()
        finally:
            connection.close()  # back to the pool
        if found is None:
            return None
        found = list(found)
        for index, convert in self._convert:
            found[index] = convert(found[index])
        return self._row(*found)

    def _first_on_libpq(self, connection: Any, bound: tuple[Any, ...]) -> Any:
        driver: psycopg.Connection[Any] = connection.driver_connection
        # Kept with the connection in the pool (SQLAlchemy empties `info` for a connection made anew):
        # whether this look-up's statement is prepared on it, and its decoder.
        prepared: set[bytes] = connection.info.setdefault("look_ups_prepared", set())
        transformer = connection.info.get("look_ups_transformer")
        if transformer is None:
            transformer = connection.info["look_ups_transformer"] = Transformer(driver)
        parameters = transformer.dump_sequence(bound, [PyFormat.TEXT] * len(bound))
        pgconn = driver.pgconn
        result = pgconn.exec_prepared(self._name, parameters) if self._name in prepared else None
        if result is None or result.error_field(pq.DiagnosticField.SQLSTATE) == _NO_SUCH_PREPARED_STATEMENT:
            # Not prepared here yet, or no longer: psycopg deallocates all of a connection's
            # prepared statements when it rolls back a transaction it had prepared its own in.
            _succeeded(connection, pgconn.prepare(self._name, self._prepared_sql), pq.ExecStatus.COMMAND_OK)
            prepared.add(self._name)
            result = pgconn.exec_prepared(self._name, parameters)
        _succeeded(connection, result, pq.ExecStatus.TUPLES_OK)
        if not result.ntuples:
            return None
        transformer.set_pgresult(result)
        return transformer.load_row(0, tuple)


_NO_SUCH_PREPARED_STATEMENT = b"26000"  # invalid_sql_statement_name


def _succeeded(connection: Any, result: pq.abc.PGresult, expected: pq.ExecStatus) -> None:
    """Nothing when `result` is `expected`; else the error it carries, raised as psycopg raises it.
    A connection the server closed (a restart, a fail-over) is an OperationalError, and the pool
    drops it rather than hand it out again."""
    if result.status == expected:
        return
    driver: psycopg.Connection[Any] = connection.driver_connection
    error = psycopg.errors.error_from_result(result, encoding=driver.info.encoding)
    if driver.pgconn.status == pq.ConnStatus.BAD:
        lost = psycopg.OperationalError(f"the connection is lost: {error}")
        connection.invalidate(lost)
        raise lost from error
    raise error


# A pooled PostgreSQL connection idle this long is pinged before use (one that was in use a moment
# ago is not: the ping was a round trip on every request).
IDLE_BEFORE_PING = 5.0


def _ping_idle_connections(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, for connections idle IDLE_BEFORE_PING or longer only: a
    connection the server closed meanwhile (a restart, a fail-over) is replaced before a request
    uses it."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", time.monotonic()) < IDLE_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # what pool_pre_ping does: outside a transaction
        except Exception as exc:
            raise DisconnectionError() from exc  # the pool connects anew and tries again


# The execution option that marks `Database.reading`'s connections.
_READING = "mumaris_reading"


def notify_at_commit(session: Session, channel: str) -> None:
    """PostgreSQL: wake the listeners of `channel` when the session's transaction commits. Once per
    transaction and channel (a batch writing many rows asks once); nothing on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    notified = session.info.setdefault("notified", {})
    if notified.get(channel) is not transaction:
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})
        notified[channel] = transaction


def _forget_notifications(session: Session, _previous: Any) -> None:
    # A rolled-back savepoint took its NOTIFY with it: the next write in the transaction asks again.
    session.info.pop("notified", None)


def _serialise_sqlite_writers(engine: Engine) -> None:
    # Several processes (web, relay, consumer) share one SQLite file. WAL lets readers run beside a
    # writer; BEGIN IMMEDIATE takes the write lock up front so a transaction waits its turn (the
    # busy timeout) instead of failing when it upgrades from reading to writing. A reading session
    # never writes, so it begins a deferred transaction: a snapshot, no lock.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # on the driver's connection: through SQLAlchemy, the BEGIN cost as much as the look-up after it
        begin = "BEGIN" if connection.get_execution_options().get(_READING) else "BEGIN IMMEDIATE"
        connection.connection.driver_connection.execute(begin)  # type: ignore[union-attr]  # open while it begins


def messaging_tables(metadata: MetaData, as_first_made: bool = False) -> tuple[Table, Table]:
    """The outbox (events committed with the state change, waiting for the relay) and the inbox
    (ids of events already handled), declared on a service's own metadata. `as_first_made`: as
    every service's first migration made them, before the columns each later one added."""
    later = (
        []
        if as_first_made
        else [
            # The event carries a secret (a code) that must not outlive this: the row is deleted then,
            # sent or not, and the message is not kept past it (broker.EXPIRES_HEADER).
            Column("expires_at", UTCDateTime),
        ]
    )
    outbox = Table(
        "outbox",
        metadata,
        Column("position", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(120), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("sent_at", UTCDateTime),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", UTCDateTime),
        Column("last_error", Text),
        *later,
    )
    if as_first_made:
        Index("ix_outbox_unsent", outbox.c.sent_at, outbox.c.position)
    else:
        # The relays' claim (the unsent rows in order) reads this index alone: it holds the unsent
        # rows only. With `(sent_at, position)` PostgreSQL walked the primary key past every row
        # already sent, so each claim took longer than the one before (a sweep of 100,000 events
        # spent 48 s there).
        unsent = outbox.c.sent_at.is_(None)
        Index("ix_outbox_pending", outbox.c.position, postgresql_where=unsent, sqlite_where=unsent)
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(120), nullable=False),
        Column("handled_at", UTCDateTime, nullable=False),
    )
    return outbox, inbox


def rows_of_arrays(table: Table, columns: dict[str, list[Any]], constants: dict[str, Any]) -> Select[Any]:
    """PostgreSQL: the rows of an `INSERT … FROM SELECT` into `table`, each of `columns` one array
    parameter (`unnest`, row n of every array together, in order) and `constants` the same in
    every row. The statement is the same few bytes for any number of rows: rows of parameters each
    (executemany, or a VALUES list) cost the driver a new, long statement to parse every time."""
    return select(
        *(func.unnest(literal(values, ARRAY(table.c[name].type))) for name, values in columns.items()),
        *(literal(value, table.c[name].type) for name, value in constants.items()),
    )


def claim(
    session: Session, db: Database, table: Table, *conditions: ColumnElement[bool], order_by: Any, limit: int
) -> Sequence[Row[Any]]:
    """Rows no other replica is working on. PostgreSQL: `FOR UPDATE SKIP LOCKED`, held until the
    session's transaction ends. SQLite: the whole transaction is exclusive, so one claimer at a time."""
    statement = select(table).where(*conditions).order_by(order_by).limit(limit)
    if db.is_postgres:
        statement = statement.with_for_update(skip_locked=True)
    return session.execute(statement).all()


def server_secret(db: Database, table: Table, name: str, now: datetime) -> str:
    """The secret called `name` in `table` (name, value, created_at), made at first need and then
    shared by every replica of the service."""
    with db.transaction() as session:
        value = session.execute(select(table.c.value).where(table.c.name == name)).scalar()
    if value is not None:
        return str(value)
    try:
        with db.transaction() as session:
            session.execute(insert(table).values(name=name, value=secrets.token_hex(32), created_at=now))
    except IntegrityError:
        pass  # another replica made it first: use theirs
    with db.transaction() as session:
        return str(session.execute(select(table.c.value).where(table.c.name == name)).scalar_one())
