"""The process's shared resources (database, Redis, token cipher) and their Flask wiring.

Each resource is created once per app in ``init_app`` and reached through ``current_app`` in
views, or through :func:`resources` in jobs and commands that hold an app.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from backend.auth.crypto import TokenCipher
from backend.settings import Settings
from backend.storage.db import make_engine, make_session_factory
from backend.storage.embedded_redis import embedded_redis_url


@dataclass
class Resources:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    scoped: scoped_session[Session]
    cipher: TokenCipher

    _redis: redis.Redis | None = None

    @property
    def redis_url(self) -> str:
        """``REDIS_URL``, or the embedded server's (started on first use)."""
        return self.settings.redis_url or embedded_redis_url(self.settings.instance_path / "redis")

    @property
    def redis(self) -> redis.Redis:
        """A connection to the job Redis, made on first use."""
        if self._redis is None:
            self._redis = redis.Redis.from_url(self.redis_url)
        return self._redis


def init_app(app: Flask, settings: Settings) -> Resources:
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    found = Resources(
        settings=settings,
        engine=engine,
        session_factory=factory,
        scoped=scoped_session(factory),
        cipher=TokenCipher(settings.token_encryption_keys),
    )
    app.extensions["ssi"] = found

    @app.teardown_appcontext
    def remove_session(_exc: BaseException | None) -> None:
        found.scoped.remove()

    return found


def resources() -> Resources:
    """The resources of the current app."""
    return current_app.extensions["ssi"]


def db_session() -> Session:
    """The database session of the current app context (removed when the context ends)."""
    return resources().scoped()
