"""Rows written together: one statement inserts or updates every row, whatever their number
(new rows on PostgreSQL with one parameter, a JSON document of the rows), and the session's
objects hold the rows as stored, with nothing left for a flush to write over them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from backend.models import Mailbox, SyncItem
from backend.models.sync_item import SyncItemState, synced_values
from backend.models.types import ItemType
from backend.storage.db import insert_together, update_together
from tests.support.statements import statements_run

AWKWARD = 'O\'Brien, "Jr." {ä} \\ NULL'
"""A value the rows' document (and any text form of it) must quote and escape."""


def _new(box: Mailbox, n: int, title: str | None = None) -> dict[str, object]:
    return {
        "mailbox_id": box.id, "item_type": ItemType.CONTACT, "mailbox_item_id": f"AAMk{n}",
        "external_id": f"ssi-{box.id}-{n}", "title": title, "mailbox_change_key": f"CK{n}",
    }  # fmt: skip


def test_rows_inserted_together_in_one_statement_come_back_as_stored(
    session: Session, box: Mailbox
) -> None:
    rows = [_new(box, n, title=AWKWARD if n % 2 else None) for n in range(1000)]

    with statements_run(session.get_bind()) as sent:
        made = insert_together(session, SyncItem, rows)

    inserts = [s for s in sent if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1
    if session.get_bind().dialect.name == "postgresql":
        assert inserts[0].count("%(") < 20, "one document, not a parameter per value"
    assert sorted(item.external_id for item in made) == sorted(r["external_id"] for r in rows)
    assert all(item in session and not inspect(item).modified for item in made)
    by_reference = {item.external_id: item for item in made}
    first, second = by_reference[f"ssi-{box.id}-0"], by_reference[f"ssi-{box.id}-1"]
    assert (first.title, second.title) == (None, AWKWARD)
    # The defaults the rows left out, as the session would have given them.
    assert (second.state, second.missed_runs, second.from_sap) == (SyncItemState.PENDING, 0, False)
    assert second.created_at is not None and second.created_at.tzinfo is not None
    session.commit()
    session.expire_all()
    stored = session.execute(
        select(SyncItem.external_id, SyncItem.item_type, SyncItem.title, SyncItem.state,
               SyncItem.mailbox_change_key).where(SyncItem.id == second.id)
    ).one()  # fmt: skip
    assert tuple(stored) == (
        f"ssi-{box.id}-1",
        ItemType.CONTACT,
        AWKWARD,
        SyncItemState.PENDING,
        "CK1",
    )
    assert session.scalar(select(func.count(SyncItem.id))) == 1000


def test_a_row_the_database_refuses_inserts_none(session: Session, box: Mailbox) -> None:
    rows = [_new(box, 1), {**_new(box, 2), "mailbox_id": box.id + 1000}]  # no such mailbox
    with pytest.raises(IntegrityError):
        insert_together(session, SyncItem, rows)
    session.rollback()
    assert session.scalar(select(func.count(SyncItem.id))) == 0


def test_a_time_with_no_zone_is_refused_as_the_column_refuses_it(
    session: Session, box: Mailbox
) -> None:
    rows = [{**_new(box, 1), "last_synced_at": datetime(2026, 12, 7, 9, 30)}]
    with pytest.raises((ValueError, StatementError), match="naive datetimes are ambiguous"):
        insert_together(session, SyncItem, rows)


def test_rows_inserted_together_must_give_the_same_columns(session: Session, box: Mailbox) -> None:
    first, second = _new(box, 1), _new(box, 2)
    del second["title"]
    with pytest.raises(ValueError, match="same columns"):
        insert_together(session, SyncItem, [first, second])


def test_nothing_to_insert_sends_nothing(session: Session) -> None:
    with statements_run(session.get_bind()) as sent:
        assert insert_together(session, SyncItem, []) == []
    assert sent == []


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
    rows = _rows(session, box, 120)
    now = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)

    with statements_run(session.get_bind()) as sent:
        update_together(
            session,
            [(row, {"c4c_object_id": f"OBJ{n}", "title": AWKWARD if n == 1 else None,
                    **synced_values(f"hash{n}", now)})
             for n, row in enumerate(rows)],
        )  # fmt: skip

    updates = [s for s in sent if s.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1
    for n, row in enumerate(rows):
        assert row.c4c_object_id == f"OBJ{n}" and row.content_hash == f"hash{n}"
        assert not inspect(row).modified, "nothing left for a flush"
    session.commit()
    session.expire_all()
    stored = session.execute(
        select(SyncItem.external_id, SyncItem.c4c_object_id, SyncItem.title, SyncItem.state,
               SyncItem.mailbox_hash, SyncItem.last_synced_at, SyncItem.missing_side)
        .order_by(SyncItem.id)
    ).all()  # fmt: skip
    assert stored == [
        (f"ssi-{box.id}-{n}", f"OBJ{n}", AWKWARD if n == 1 else None, SyncItemState.SYNCED,
         f"hash{n}", now, None)
        for n in range(120)
    ]  # fmt: skip


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
    with statements_run(session.get_bind()) as sent:
        update_together(session, [])
    assert sent == []
