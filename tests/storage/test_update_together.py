"""Rows updated together: one statement writes every row's values, and the session's objects
hold them as stored, with nothing left for a flush to write over them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, event, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from backend.models import Mailbox, SyncItem
from backend.models.sync_item import SyncItemState, synced_values
from backend.models.types import ItemType
from backend.storage.db import update_together


def _rows(session: Session, box: Mailbox, count: int) -> list[SyncItem]:
    rows = [
        SyncItem(mailbox_id=box.id, item_type=ItemType.CONTACT, state=SyncItemState.PENDING,
                 mailbox_item_id=f"AAMk{n}", external_id=f"ssi-{box.id}-{n}")
        for n in range(count)
    ]  # fmt: skip
    session.add_all(rows)
    session.commit()
    return rows


def test_each_row_gets_its_own_values_in_one_statement(session: Session, box: Mailbox) -> None:
    rows = _rows(session, box, 3)
    now = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    statements: list[str] = []
    connection = session.connection()
    event.listen(connection, "before_cursor_execute", lambda *a: statements.append(a[2]))

    update_together(
        session,
        [(row, {"c4c_object_id": f"OBJ{n}", **synced_values(f"hash{n}", now)})
         for n, row in enumerate(rows)],
    )  # fmt: skip

    assert len([s for s in statements if s.lstrip().upper().startswith("UPDATE")]) == 1
    for n, row in enumerate(rows):
        assert row.c4c_object_id == f"OBJ{n}" and row.content_hash == f"hash{n}"
        assert not inspect(row).modified, "nothing left for a flush"
    session.commit()
    session.expire_all()
    stored = session.execute(
        select(SyncItem.external_id, SyncItem.c4c_object_id, SyncItem.state,
               SyncItem.mailbox_hash, SyncItem.last_synced_at).order_by(SyncItem.id)
    ).all()  # fmt: skip
    assert stored == [
        (f"ssi-{box.id}-{n}", f"OBJ{n}", SyncItemState.SYNCED, f"hash{n}", now) for n in range(3)
    ]


def test_other_changes_through_the_session_still_go(session: Session, box: Mailbox) -> None:
    [row] = _rows(session, box, 1)
    update_together(session, [(row, {"c4c_object_id": "OBJ", "title": "Stored"})])
    row.mailbox_change_key = "CK2"  # another column, changed through the session
    session.commit()
    session.expire_all()
    assert (row.c4c_object_id, row.title, row.mailbox_change_key) == ("OBJ", "Stored", "CK2")


def test_a_change_pending_on_a_row_goes_first_and_is_not_written_back_over_it(
    session: Session, box: Mailbox
) -> None:
    [row] = _rows(session, box, 1)
    row.title, row.mailbox_change_key = "Pending", "CK1"  # not flushed yet
    update_together(session, [(row, {"title": "Stored"})])
    assert not session.dirty
    session.commit()
    session.expire_all()
    assert (row.title, row.mailbox_change_key) == ("Stored", "CK1")


def test_a_row_gone_from_the_database_is_an_error(session: Session, box: Mailbox) -> None:
    first, second = _rows(session, box, 2)
    session.execute(delete(SyncItem).where(SyncItem.id == second.id))
    with pytest.raises(StaleDataError):
        update_together(session, [(first, {"title": "a"}), (second, {"title": "b"})])


def test_rows_must_change_the_same_columns(session: Session, box: Mailbox) -> None:
    first, second = _rows(session, box, 2)
    with pytest.raises(ValueError, match="same columns"):
        update_together(session, [(first, {"title": "a"}), (second, {"c4c_etag": "b"})])
    session.rollback()
    session.expire_all()
    assert (first.title, second.c4c_etag) == (None, None)


def test_nothing_to_update_sends_nothing(session: Session) -> None:
    statements: list[str] = []
    event.listen(session.connection(), "before_cursor_execute", lambda *a: statements.append(a[2]))
    update_together(session, [])
    assert statements == []
