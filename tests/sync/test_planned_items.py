"""Which of a mailbox's items a run loads to plan: an idle run none of those in step, so its
cost does not grow with the mailbox; every item with work of its own or named by a change."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.mailbox.base import Changes, ContactRecord
from backend.models import Mailbox, SyncItem
from backend.models.sync_item import SyncItemState
from backend.models.types import ItemType
from backend.sync import feed, markers
from backend.sync.engine import PLAN_ALL_ABOVE, _planned
from backend.sync.planner import SCOPE


def _items(session: Session, mailbox: Mailbox) -> dict[str, SyncItem]:
    def item(name: str, **values) -> SyncItem:
        defaults = dict(mailbox_id=mailbox.id, item_type=ItemType.CONTACT,
                        mailbox_item_id=f"m-{name}", c4c_object_id=f"c-{name}",
                        state=SyncItemState.SYNCED, external_id=f"x-{name}")  # fmt: skip
        return SyncItem(**{**defaults, **values})

    made = {f"synced {n}": item(f"s{n}") for n in range(20)}
    made |= {
        "failed": item("failed", state=SyncItemState.FAILED, temporary_failures=1),
        "pending create": item("pending", c4c_object_id=None, state=SyncItemState.PENDING),
        "copy not finished": item("copy", mailbox_item_id=None, state=SyncItemState.PENDING),
        "missing": item("missing", missing_side="mailbox", state=SyncItemState.MISSING),
        "leaving": item("leaving", missing_side=SCOPE),
        "account": item("account", item_type=ItemType.ACCOUNT, state=SyncItemState.FAILED),
    }
    session.add_all(made.values())
    session.commit()
    return made


def _loaded(session: Session, mailbox: Mailbox, changes: Changes, entities=()) -> set[str]:
    taken = feed.Concerning(list(entities), set(), None)
    statement = _planned(mailbox.id, ItemType.CONTACT, changes, taken)
    return {item.external_id for item in session.scalars(statement)}


def test_an_idle_run_loads_only_the_items_with_work_of_their_own(
    session: Session, mailbox: Mailbox
) -> None:
    _items(session, mailbox)
    idle = Changes(ItemType.CONTACT, (), (), "cursor", False)
    assert _loaded(session, mailbox, idle) == {
        "x-failed", "x-pending", "x-copy", "x-missing", "x-leaving",
    }  # fmt: skip


def test_the_items_changes_name_are_loaded_and_a_full_read_loads_all(
    session: Session, mailbox: Mailbox
) -> None:
    _items(session, mailbox)
    edited = ContactRecord(id="m-s1", change_key="ck", surname="Doe")
    changes = Changes(ItemType.CONTACT, (edited,), ("m-s2",), "cursor", False, ("m-s3",))
    loaded = _loaded(session, mailbox, changes, [{"ObjectID": "c-s4"}])
    assert {"x-s1", "x-s2", "x-s3", "x-s4"} <= loaded and "x-s5" not in loaded
    full = Changes(ItemType.CONTACT, (), (), "cursor", True)
    assert len(_loaded(session, mailbox, full)) == 25, "every contact: those unseen are gone"
    many = [{"ObjectID": f"c-other-{n}"} for n in range(PLAN_ALL_ABOVE + 1)]
    assert len(_loaded(session, mailbox, Changes(ItemType.CONTACT, (), (), "c", False), many)) == 25


def _plan(session: Session, statement) -> str:
    """How the database would run ``statement``: SQLite's query plan, or PostgreSQL's with
    sequential scans priced out (a table this small would be scanned whatever its indexes)."""
    sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    if session.get_bind().dialect.name == "sqlite":
        return "\n".join(row[3] for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {sql}")))
    session.rollback()
    return plan


def test_an_idle_run_finds_the_items_with_work_by_index_not_by_reading_the_mailbox(
    session: Session, mailbox: Mailbox
) -> None:
    _items(session, mailbox)
    idle = Changes(ItemType.CONTACT, (), (), "cursor", False)
    quiet = feed.Concerning([], set(), None)
    plan = _plan(session, _planned(mailbox.id, ItemType.CONTACT, idle, quiet))
    assert "ix_sync_item_work" in plan, plan
    assert "SCAN sync_item" not in plan and "Seq Scan" not in plan, plan
    edited = ContactRecord(id="m-s1", change_key="ck", surname="Doe")
    changes = Changes(ItemType.CONTACT, (edited,), (), "cursor", False)
    named = feed.Concerning([{"ObjectID": "c-s4"}], set(), None)
    plan = _plan(session, _planned(mailbox.id, ItemType.CONTACT, changes, named))
    assert "ix_sync_item_work" in plan, plan
    assert "SCAN sync_item" not in plan and "Seq Scan" not in plan, plan


def test_markers_are_reconciled_on_the_marked_and_wanted_items_found_by_index(
    session: Session, mailbox: Mailbox
) -> None:
    made = _items(session, mailbox)
    made["synced 3"].marker_detail = "Sync Error: NEEDS_INPUT"
    session.commit()
    wanted = {(ItemType.CONTACT, "m-s7"): "Sync Error: NEEDS_INPUT"}
    statement = markers.to_reconcile(mailbox.id, wanted)
    assert {item.external_id for item in session.scalars(statement)} == {"x-s3", "x-s7"}
    plan = _plan(session, statement)
    assert "ix_sync_item_marked" in plan, plan
    assert "SCAN sync_item" not in plan and "Seq Scan" not in plan, plan
