"""A run writes each item type as soon as the mass-change guard cannot trip whatever the types
still unread hold: a first sync writes a type before reading the next (its memory is that of
its largest type), and what one type wrote is kept when a later type's read fails. A mailbox
whose later types could still trip the guard reads them all first, and a held run writes
nothing of any type."""

from __future__ import annotations

from sqlalchemy import select

from backend.crm.c4c import C4CClient
from backend.models import Mailbox, SyncItem
from backend.models.run import RunOutcome
from backend.models.types import ItemType
from emulators.base import Fault
from emulators.c4c import C4CEmulator
from tests.support.owners import MailboxOwner
from tests.support.world import both_mail_systems

pytestmark = both_mail_systems


def _cursors(session, mailbox: Mailbox) -> dict[ItemType, bool]:
    session.refresh(mailbox)
    return {t: mailbox.item_state(t).cursor is not None for t in (ItemType.CONTACT, ItemType.TASK)}


def _sap(crm: C4CClient, entity_set: str, field: str) -> list[str]:
    return sorted(row[field] for row in crm.read(entity_set))


def test_a_first_sync_keeps_the_types_it_wrote_when_a_later_read_fails(
    owner: MailboxOwner, crm: C4CClient, c4c: C4CEmulator, session, mailbox, sync_now
) -> None:
    owner.add_contact("Ann", "Ames", email="ann@fabrikam.test")
    owner.add_contact("Bo", "Berg", email="bo@fabrikam.test")
    owner.add_task("Call Ann back")
    c4c.faults.add(Fault(path=r"TasksCollection$", method="GET", status=500, times=10**6))

    failed = sync_now()

    assert failed.outcome is RunOutcome.FAILED
    c4c.faults.clear()
    assert _sap(crm, "ContactCollection", "LastName") == ["Ames", "Berg"]
    assert _sap(crm, "TasksCollection", "Subject") == []
    assert _cursors(session, mailbox) == {ItemType.CONTACT: True, ItemType.TASK: False}

    owner.later()
    resumed = sync_now()
    assert resumed.outcome is RunOutcome.SUCCEEDED, resumed.error_message
    assert resumed.created == 1, "the task; the contacts are not sent again"
    assert _sap(crm, "ContactCollection", "LastName") == ["Ames", "Berg"]
    assert _sap(crm, "TasksCollection", "Subject") == ["Call Ann back"]

    quiet = sync_now()
    assert quiet.outcome is RunOutcome.SUCCEEDED, quiet.error_message
    assert (quiet.created, quiet.updated, quiet.deleted, quiet.failed) == (0, 0, 0, 0)
    assert (quiet.issues_opened, quiet.issues_resolved) == (0, 0)


def test_a_type_waits_while_a_later_one_could_trip_the_guard(
    owner: MailboxOwner, crm: C4CClient, session, mailbox, sync_now
) -> None:
    tasks = [owner.add_task(f"Follow up {n}") for n in range(30)]
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    object_ids = session.scalars(
        select(SyncItem.c4c_object_id).where(SyncItem.mailbox_item_id.in_(tasks))
    ).all()
    for object_id in object_ids:
        crm.update("TasksCollection", object_id, {"Subject": "Mass"}, None)
    owner.add_contact("Cy", "Cole", email="cy@fabrikam.test")  # read before the tasks
    session.refresh(mailbox)
    cursor = mailbox.item_state(ItemType.CONTACT).cursor

    held = sync_now()

    assert held.outcome is RunOutcome.HELD
    assert (held.created, held.updated) == (0, 0)
    assert _sap(crm, "ContactCollection", "LastName") == [], "nothing written, not even the contact"
    session.refresh(mailbox)
    assert mailbox.item_state(ItemType.CONTACT).cursor == cursor, "nor its cursor moved"
