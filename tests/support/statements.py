"""The SQL a block of a test sends to the database: how tests hold a page or a tick to a fixed
number of statements, whatever the number of rows it shows or handles."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[str]]:
    """The statements ``engine`` runs while the block runs, in order (filled in as they run)."""
    executed: list[str] = []

    def seen(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield executed
    finally:
        event.remove(engine, "before_cursor_execute", seen)


@contextmanager
def commits_sent(engine: Engine) -> Iterator[list[bool]]:
    """A list that grows by one with each commit ``engine`` sends while the block runs."""
    sent: list[bool] = []

    def seen(_connection: Any) -> None:
        sent.append(True)

    event.listen(engine, "commit", seen)
    try:
        yield sent
    finally:
        event.remove(engine, "commit", seen)
