"""The app a job runs in: the worker's own, or one made on first use in this process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy.orm import Session

from backend.extensions import Resources, resources

_app: Flask | None = None


def use_app(app: Flask) -> None:
    """Make ``app`` the one jobs of this process (and its forked work horses) run in."""
    global _app
    _app = app


def job_app() -> Flask:
    global _app
    if _app is None:
        from backend import create_app

        _app = create_app()
    return _app


@contextmanager
def job_session() -> Iterator[tuple[Resources, Session]]:
    """The app's resources and a fresh database session, closed at the end."""
    with job_app().app_context():
        found = resources()
        session = found.session_factory()
        try:
            yield found, session
        finally:
            session.close()
