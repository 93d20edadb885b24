"""The planner's statistics of a table renewed right after many rows went into it, on
PostgreSQL: a table just filled is not taken for the near-empty one last counted (which joined a
first sync's records row by row with the mailbox's, two million times for 2,000 records)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from backend.models import Mailbox, SyncItem
from backend.models.sync_item import SyncItemState
from backend.models.types import ItemType
from backend.storage.db import STALE_AFTER_ROWS, renew_statistics
from tests.support.statements import statements_run

TABLE = SyncItem.__table__


def _add(session: Session, box: Mailbox, count: int, start: int = 0) -> None:
    rows = [
        {"mailbox_id": box.id, "item_type": ItemType.CONTACT, "state": SyncItemState.PENDING,
         "mailbox_item_id": f"AAMk{n}", "external_id": f"ssi-{box.id}-{n}"}
        for n in range(start, start + count)
    ]  # fmt: skip
    session.execute(insert(SyncItem), rows)
    session.commit()


def _counted(session: Session) -> float:
    """The rows PostgreSQL's statistics say the table holds."""
    return session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'sync_item'::regclass"))


@pytest.fixture
def postgres(session: Session) -> Session:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner statistics; the suite runs on SQLite")
    return session


def _counted_at(session: Session, box: Mailbox, rows: int) -> None:
    """The table holds ``rows`` of ``box``, and the statistics say so."""
    _add(session, box, rows)
    session.execute(text("ANALYZE sync_item"))
    session.commit()
    assert _counted(session) == rows


def test_many_rows_written_to_a_table_counted_near_empty_renew_its_statistics(
    postgres: Session, box: Mailbox
) -> None:
    _counted_at(postgres, box, 10)
    _add(postgres, box, STALE_AFTER_ROWS + 200, start=10)

    renew_statistics(postgres, TABLE, STALE_AFTER_ROWS + 200)
    postgres.commit()

    assert _counted(postgres) == STALE_AFTER_ROWS + 210


@pytest.mark.parametrize(
    ("held", "written"),
    [(10, STALE_AFTER_ROWS - 1), (11 * STALE_AFTER_ROWS, STALE_AFTER_ROWS)],
    ids=["few rows", "a tenth of the table or less"],
)
def test_rows_that_change_the_statistics_little_leave_them_as_they_are(
    postgres: Session, box: Mailbox, held: int, written: int
) -> None:
    _counted_at(postgres, box, held)
    _add(postgres, box, written, start=held)
    with statements_run(postgres.get_bind()) as statements:
        renew_statistics(postgres, TABLE, written)
        postgres.commit()

    assert _counted(postgres) == held
    assert not [s for s in statements if "ANALYZE" in s]


def test_sqlite_is_left_alone(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("the suite runs on PostgreSQL")
    with statements_run(session.get_bind()) as statements:
        renew_statistics(session, TABLE, 100 * STALE_AFTER_ROWS)

    assert statements == []


def test_a_table_held_by_another_process_is_left_to_autovacuum_after_a_short_wait(
    postgres: Session, box: Mailbox
) -> None:
    """A vacuum, or an index built beside the product, holds the table: the renewal waits two
    seconds for it, not until it is done, and what the session wrote stays written."""
    _counted_at(postgres, box, 10)
    _add(postgres, box, STALE_AFTER_ROWS, start=10)
    postgres.add(SyncItem(mailbox_id=box.id, item_type=ItemType.TASK, external_id="ssi-task",
                          state=SyncItemState.PENDING, mailbox_item_id="AAMkTask"))  # fmt: skip
    other = postgres.get_bind().connect()
    holding = other.begin()
    other.execute(text("LOCK TABLE sync_item IN SHARE UPDATE EXCLUSIVE MODE"))
    try:
        started = time.monotonic()
        renew_statistics(postgres, TABLE, STALE_AFTER_ROWS)
        waited = time.monotonic() - started
    finally:
        holding.rollback()
        other.close()

    assert 1.5 < waited < 5, waited
    assert _counted(postgres) == 10, "left as they were"
    with postgres.get_bind().connect() as another:
        stored = another.scalar(text("SELECT count(*) FROM sync_item"))
    assert stored == STALE_AFTER_ROWS + 11, "what the session wrote was committed"
    renew_statistics(postgres, TABLE, STALE_AFTER_ROWS)  # the session goes on
    assert _counted(postgres) == STALE_AFTER_ROWS + 11
