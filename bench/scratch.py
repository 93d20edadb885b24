"""A scratch instance of the app for a benchmark: a SQLite file and an embedded Redis in a folder
of its own, or the servers ``DATABASE_URL`` and ``REDIS_URL`` name; migrated and emptied. And a
bench database of its own on the local PostgreSQL, created and dropped by the bench."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from backend import create_app
from backend.extensions import Resources
from backend.storage import schema
from backend.storage.db import make_engine

SERVER_URL = "postgresql://postgres@127.0.0.1:5432/"


def scratch_app(folder: Path, log_level: str = "ERROR") -> Flask:
    config = {
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}",
        "INSTANCE_PATH": str(folder / "instance"),
        "LOG_LEVEL": log_level,
    }
    if os.environ.get("REDIS_URL"):
        config["REDIS_URL"] = os.environ["REDIS_URL"]
    app = create_app(config)
    found: Resources = app.extensions["ssi"]
    schema.upgrade(found.engine)
    found.redis.flushdb()
    return app


def database(name: str, use_sqlite: bool, folder: Path) -> tuple[str, str | None]:
    """The URL of a fresh bench database ``name`` on the local PostgreSQL, and a note when it is
    a SQLite file in ``folder`` instead (asked for, or PostgreSQL unreachable)."""
    sqlite_url = f"sqlite:///{folder / 'bench.db'}"
    if use_sqlite:
        return sqlite_url, "SQLite (asked for with --sqlite)"
    try:
        _on_server(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0]
        return sqlite_url, f"SQLite: PostgreSQL at {SERVER_URL} is unreachable ({reason})"
    return SERVER_URL + name, None


def drop_database(url: str) -> None:
    """Drop the bench database ``url`` made by :func:`database` (a SQLite file goes with its
    folder)."""
    if url.startswith("postgresql"):
        _on_server(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def _on_server(*statements: str) -> None:
    server = make_engine(SERVER_URL + "postgres", isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        server.dispose()
