"""The SQL a block of a test sends to the database: how tests hold a page or a tick to a fixed
number of statements, whatever the number of rows it shows or handles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def _listening(engine: Engine, name: str, listener: Callable[..., None]) -> Iterator[None]:
    event.listen(engine, name, listener)
    try:
        yield
    finally:
        event.remove(engine, name, listener)


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[str]]:
    """The statements ``engine`` runs while the block runs, in order (filled in as they run)."""
    executed: list[str] = []

    def seen(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    with _listening(engine, "before_cursor_execute", seen):
        yield executed


@contextmanager
def commits_sent(engine: Engine) -> Iterator[list[bool]]:
    """A list that grows by one with each commit ``engine`` sends while the block runs."""
    sent: list[bool] = []
    with _listening(engine, "commit", lambda _connection: sent.append(True)):
        yield sent
