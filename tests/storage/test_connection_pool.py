"""Pooled connections to a database server: pinged before use only when they lay idle.

PostgreSQL only (SQLite is a file: nothing to ping). A connection is ended from the server's
side with ``pg_terminate_backend``, as a restart or a failover ends it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from backend.storage.db import make_engine


@pytest.fixture
def server_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("pings a database server; the suite runs on SQLite")
    return database_url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def admin(server_url: str) -> Iterator[Engine]:
    engine = make_engine(server_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _end(admin: Engine, backend: int) -> None:
    with admin.connect() as connection:
        ended = connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        assert ended.scalar_one() is True
    time.sleep(0.05)  # the server closes the socket after answering


def _counting_pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_in_use_a_moment_ago_is_handed_out_without_a_ping(
    server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(server_url, ping_after_idle=60)
    pings = _counting_pings(engine, monkeypatch)
    try:
        backends = {_backend(engine) for _ in range(5)}
    finally:
        engine.dispose()
    assert len(backends) == 1
    assert pings == []


def test_a_connection_that_lay_idle_is_pinged_and_replaced_when_the_server_ended_it(
    server_url: str, admin: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(server_url, ping_after_idle=0.1)
    pings = _counting_pings(engine, monkeypatch)
    try:
        first = _backend(engine)
        time.sleep(0.2)
        assert _backend(engine) == first  # idle: pinged, and still open
        assert len(pings) == 1
        _end(admin, first)
        time.sleep(0.2)
        second = _backend(engine)  # no error: the ping found it closed, a new one answered
    finally:
        engine.dispose()
    assert second != first
    assert len(pings) == 2


def test_a_connection_ended_within_the_window_fails_one_statement_and_the_pool_recovers(
    server_url: str, admin: Engine
) -> None:
    engine = make_engine(server_url, ping_after_idle=60)
    try:
        first = _backend(engine)
        _end(admin, first)
        with pytest.raises(OperationalError) as failed:
            _backend(engine)
        assert failed.value.connection_invalidated
        second = _backend(engine)
    finally:
        engine.dispose()
    assert second != first
