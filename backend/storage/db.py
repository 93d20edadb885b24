"""SQLAlchemy base, engine and session factory. Knows nothing of Flask or of sync policy."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime
from enum import Enum
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    TypeDecorator,
    bindparam,
    cast,
    create_engine,
    event,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import ConnectionPoolEntry

log = logging.getLogger(__name__)

Row = TypeVar("Row", bound="Base")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


LOCK_WAIT = "2s"
"""How long a process waits for a table whose statistics it renews."""
LOCK_NOT_AVAILABLE = "55P03"
"""PostgreSQL's error code for a lock not had within ``lock_timeout``."""

STALE_AFTER_ROWS = 1000
"""Rows written to a table at once (and a tenth of its rows as last counted) after which a
process renews PostgreSQL's statistics of it at once (:func:`renew_statistics`)."""

MAX_ID = 2**31 - 1
"""The largest id a row can have: ids are PostgreSQL INTEGER columns (SQLite's go further)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
        str: String,
    }


PING_AFTER_IDLE_SECONDS = 0.5
"""A pooled database connection that lay idle longer than this is pinged before it is handed
out; one returned more recently is handed out as it is (as HikariCP bypasses its check)."""


def make_engine(
    url: str, *, ping_after_idle: float = PING_AFTER_IDLE_SECONDS, **options: Any
) -> Engine:
    """Create the engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout; a server's
    pooled connections are pinged when they have lain idle (``ping_after_idle`` seconds)."""
    if url.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 30})
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        _ping_when_idle(engine, ping_after_idle)
    # A forked RQ work horse must not share the parent's pooled connections.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return engine


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection on checkout only when it has lain idle over ``idle_seconds``.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip on each web request,
    although a connection in use a moment ago is almost always still open. A server that went
    away within the window is found by the request's own statement instead; SQLAlchemy then
    replaces every pooled connection opened before it, so the next checkouts reconnect.
    """
    dialect = engine.dialect

    @event.listens_for(engine.pool, "checkin")
    def _returned(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if dbapi_connection is not None:
            record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at <= idle_seconds:
            return  # a new connection, or one in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # The pool replaces it, and every connection opened before it, and checks out
                # again.
                raise InvalidatePoolError(str(error)) from error
            raise


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)


def insert_together(session: Session, kind: type[Row], rows: list[dict[str, Any]]) -> list[Row]:
    """Insert ``rows`` of ``kind`` (each giving the same columns; a ``None`` is stored as NULL)
    in one statement; returns their objects, in the session and in no particular order (tell
    them apart by a column).

    On PostgreSQL the rows travel as one JSON document (:func:`_given`): an ``INSERT``
    with a parameter per value (thousands) costs the driver ten times the database's own work
    to send. The columns' defaults the rows leave out are computed once, as the session would
    for each row.
    """
    if not rows:
        return []
    given = _columns_of(rows)
    if not _as_document(session):
        # Rows are sent together only where they leave out the same columns: a None given
        # goes as NULL, not left out, so that rows with and without a value go together.
        nulls = {"render_nulls": True}
        return list(session.scalars(insert(kind).returning(kind), rows, execution_options=nulls))
    table = kind.__table__
    given_rows = _given(session, table, rows)
    defaults = {
        column.name: literal(_default(column), column.type)
        for column in table.columns
        if column.name not in given and column.default is not None
    }
    source = select(*(given_rows[name] for name in given), *defaults.values())
    statement = insert(kind).from_select([*given, *defaults], source).returning(kind)
    return list(session.scalars(statement))


def update_together(session: Session, rows: list[tuple[Base, dict[str, Any]]]) -> None:
    """Write each row's new ``values`` with one ``UPDATE`` by id for all of them (a statement
    sent with many parameter sets), and set them on the session's objects as stored.

    For thousands of rows of one class that all change the same columns (a ``$batch`` of
    creates C4C took): the session's unit of work would track each value set and compare
    each row at flush, which costs more than the update itself. The objects are left with no
    change to flush for those columns; the caller commits. (On PostgreSQL the hundred rows of a
    ``$batch`` go in one pipeline, which was quicker than :func:`insert_together`'s document.)
    """
    if not rows:
        return
    kind, columns = type(rows[0][0]), set(rows[0][1])
    if any(type(row) is not kind or set(values) != columns for row, values in rows):
        raise ValueError("rows updated together must be of one class and change the same columns")
    table = kind.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({name: bindparam(name) for name in sorted(columns)})
    )
    result = session.execute(statement, [{"row_id": row.id, **values} for row, values in rows])
    if result.rowcount not in (-1, len(rows)):  # -1: the driver does not count
        raise StaleDataError(f"{len(rows)} rows to update, {result.rowcount} found")
    for row, values in rows:
        for name, value in values.items():
            set_committed_value(row, name, value)


def _as_document(session: Session) -> bool:
    """Whether the session's database takes rows as one JSON document (PostgreSQL)."""
    return session.get_bind().dialect.name == "postgresql"


def _columns_of(rows: list[dict[str, Any]]) -> list[str]:
    """The columns every one of ``rows`` gives, in order; an error unless they all give them."""
    names = sorted(rows[0])
    if any(sorted(row) != names for row in rows):
        raise ValueError("rows written together must give the same columns")
    return names


def _given(session: Session, table: Table, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """``rows`` as the rows of a table in a statement, on PostgreSQL (each of their columns, to
    select from): one JSON document (an array of objects, made by the standard library's
    encoder) that the database turns into rows of ``table``'s own column types
    (``json_populate_recordset``). One parameter whatever the number of rows, sent as it is: no
    driver rewrites a placeholder per value.

    A JSON column's value goes as the text of its own document, taken back as JSON as it is:
    the database decodes each string of the rows' document, and text cannot hold everything a
    JSON document can (a NUL, ``\\u0000``). An enumeration goes by name, as SQLAlchemy stores it."""
    dialect = session.get_bind().dialect
    as_text = {name for name in rows[0] if isinstance(table.c[name].type, JSON)}
    decorated = {
        name: table.c[name].type
        for name in rows[0]
        if isinstance(table.c[name].type, TypeDecorator)
    }

    def plain(name: str, value: Any) -> Any:
        if value is None:
            return None
        if name in as_text:
            return json.dumps(value)
        if name in decorated:  # the column's own type prepares it (a time: aware, in UTC)
            value = decorated[name].process_bind_param(value, dialect)
        return value.name if isinstance(value, Enum) else value

    plain_rows = [{name: plain(name, value) for name, value in row.items()} for row in rows]
    document = json.dumps(plain_rows, default=_iso, separators=(",", ":"))
    shape = literal_column(f"CAST(NULL AS {dialect.identifier_preparer.format_table(table)})")
    rows_of = func.json_populate_recordset(shape, cast(bindparam("given", document, String), JSON))
    given = rows_of.table_valued(*rows[0]).alias("given")
    return {
        name: cast(given.c[name].op("#>>")(literal_column("'{}'")), table.c[name].type)
        if name in as_text
        else given.c[name]
        for name in rows[0]
    }


def _iso(value: Any) -> str:
    """A date-time, which JSON has no form for, in ISO 8601 with its offset."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be written together")


def _default(column: Any) -> Any:
    """The value ``column``'s default gives a row that leaves it out (a value, or what a
    function of no arguments returns); an error for a default the database computes."""
    default = column.default
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)  # SQLAlchemy's wrapper of a function that takes no context
    raise ValueError(f"{column.name}: a default of the database cannot be given here")


def renew_statistics(session: Session, table: Table, written: int) -> None:
    """Renew PostgreSQL's statistics of ``table`` after ``written`` rows went into it, when
    they are many (``STALE_AFTER_ROWS``) and a tenth of the rows it held when last counted.

    Autovacuum would, a minute or more later; meanwhile the planner takes a table just filled
    for the near-empty one it last counted, and joins it row by row with another (a first
    sync's next run joined 2,000 kept C4C records with 1,000 of the mailbox's rows two million
    times). Elsewhere, and on SQLite, nothing is done.

    What the session wrote is committed first; the statistics are renewed in a transaction of
    their own, which waits at most ``LOCK_WAIT`` for the table (a vacuum or an index built
    beside it holds it): then they are left to autovacuum, and the caller goes on."""
    if written < STALE_AFTER_ROWS or session.get_bind().dialect.name != "postgresql":
        return
    counted = session.scalar(
        text("SELECT reltuples FROM pg_class WHERE oid = CAST(:name AS regclass)"),
        {"name": table.name},
    )
    if counted is not None and written <= max(counted, 0) / 10:
        return
    session.commit()
    try:
        session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
        session.execute(text(f'ANALYZE "{table.name}"'))
        session.commit()
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        session.rollback()
        log.info("the statistics of %s are left to autovacuum: the table is busy", table.name)
