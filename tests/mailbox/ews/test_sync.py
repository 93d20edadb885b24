"""The Exchange provider reads changes per item type through SyncFolderItems states."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from exchangelib import CalendarItem, Contact, Message, Task
from exchangelib.errors import ErrorIrresolvableConflict, ErrorItemNotFound
from exchangelib.items import SEND_TO_NONE

from backend.mailbox.base import (
    AccountRecord,
    AppointmentRecord,
    ContactRecord,
    EmailRecord,
    FolderChange,
    ItemRecord,
    ItemRef,
    TaskRecord,
)
from backend.mailbox.ews.provider import ExchangeProvider
from backend.models.types import ItemType
from emulators.ews import EwsEmulator, Mailbox
from emulators.ews.seed import add_contact, add_message

RECORDS: dict[ItemType, ItemRecord] = {
    ItemType.CONTACT: ContactRecord(
        given_name="Ada", surname="Lovelace", emails=("ada@example.com",), company="Analytical"
    ),
    ItemType.ACCOUNT: AccountRecord(name="Northwind", city="Berlin", country="DE"),
    ItemType.TASK: TaskRecord(subject="Send quote", due=date(2026, 12, 1), importance="High"),
    ItemType.APPOINTMENT: AppointmentRecord(
        subject="Kick-off",
        start=datetime(2026, 12, 1, 9, tzinfo=UTC),
        end=datetime(2026, 12, 1, 10, tzinfo=UTC),
        attendees=("bob@example.com",),
    ),
}
EDITS: dict[ItemType, dict[str, object]] = {
    ItemType.CONTACT: {"surname": "King", "mobile_phone": "+49 170 1"},
    ItemType.ACCOUNT: {"city": "Hamburg"},
    ItemType.TASK: {"status": "Completed"},
    ItemType.APPOINTMENT: {"location": "Room 1"},
}


@pytest.mark.parametrize("item_type", list(RECORDS))
def test_initial_then_incremental_create_update_delete(
    provider: ExchangeProvider, item_type: ItemType
) -> None:
    initial = provider.changes(item_type, None)
    assert initial.full and initial.upserted == () and initial.deleted == ()

    ref = provider.create(item_type, RECORDS[item_type])
    created = provider.changes(item_type, initial.cursor)
    assert not created.full
    assert [r.id for r in created.upserted] == [ref.id]
    assert created.upserted[0].title == RECORDS[item_type].title
    assert created.upserted[0].modified is not None

    edit = EDITS[item_type]
    updated_ref = provider.update(item_type, replace(created.upserted[0], **edit), ref.change_key)
    assert updated_ref.change_key != ref.change_key
    updated = provider.changes(item_type, created.cursor)
    assert [r.id for r in updated.upserted] == [ref.id]
    for name, value in edit.items():
        assert getattr(updated.upserted[0], name) == value

    assert provider.changes(item_type, updated.cursor).upserted == ()

    provider.delete(item_type, ref.id)
    deleted = provider.changes(item_type, updated.cursor)
    assert deleted.deleted == (ref.id,) and deleted.upserted == ()


def test_update_with_a_stale_change_key_is_a_conflict(provider: ExchangeProvider) -> None:
    from exchangelib.errors import ErrorIrresolvableConflict

    ref = provider.create(ItemType.CONTACT, RECORDS[ItemType.CONTACT])
    record = provider.get(ItemType.CONTACT, ref.id)
    provider.update(ItemType.CONTACT, replace(record, job_title="CTO"), ref.change_key)
    with pytest.raises(ErrorIrresolvableConflict):
        provider.update(ItemType.CONTACT, replace(record, job_title="CEO"), ref.change_key)
    assert provider.get(ItemType.CONTACT, ref.id).job_title == "CTO"


def test_items_edited_by_the_user_show_up(
    provider: ExchangeProvider, account, mailbox: Mailbox
) -> None:
    cursor = provider.changes(ItemType.TASK, None).cursor
    task = Task(account=account, folder=account.tasks, subject="Own task", categories=["SAP"])
    task.save()
    Task(account=account, folder=account.tasks, subject="Private").save()
    changes = provider.changes(ItemType.TASK, cursor)
    assert [r.title for r in changes.upserted] == ["Own task"]

    task.categories = ["Personal"]
    task.save(update_fields=["categories"])
    later = provider.changes(ItemType.TASK, changes.cursor)
    assert later.upserted == () and later.deselected == (task.id,)


def test_emails_by_category_or_sap_folder(provider: ExchangeProvider, mailbox: Mailbox) -> None:
    tagged = add_message(mailbox, "Quote", "ada@example.com", categories=["SAP"])
    add_message(mailbox, "Lunch", "friend@example.org")
    filed = add_message(mailbox, "Contract", "bob@example.com", folder=("SAP Cloud for Customer",))
    changes = provider.changes(ItemType.EMAIL, None)
    records = {r.id: r for r in changes.upserted}
    assert set(records) == {tagged.id, filed.id}
    quote = records[tagged.id]
    assert isinstance(quote, EmailRecord)
    assert quote.sender == "ada@example.com" and quote.to == ("anna@example.com",)
    assert quote.internet_message_id and quote.received is not None


def test_invalid_sync_state_gives_a_full_resync(
    provider: ExchangeProvider, ews: EwsEmulator, mailbox: Mailbox
) -> None:
    add_contact(mailbox, "Ada", "Lovelace")
    first = provider.changes(ItemType.CONTACT, None)
    mailbox.folder_by_path("Contacts", "SAP Contacts").epoch += 1  # e.g. the mailbox moved
    add_contact(mailbox, "Grace", "Hopper")
    ews.log.clear()
    again = provider.changes(ItemType.CONTACT, first.cursor)
    assert again.full and again.cursor_lost and not first.cursor_lost
    assert sorted(r.title for r in again.upserted) == ["Ada Lovelace", "Grace Hopper"]
    sync_bodies = [e.body for e in ews.log.entries("POST") if b"SyncFolderItems" in e.body]
    assert len(sync_bodies) == 2 and b"<m:SyncState>" in sync_bodies[0]
    assert b"SyncState" not in sync_bodies[1]
    assert not provider.changes(ItemType.CONTACT, again.cursor).full


def test_garbled_cursor_gives_a_full_read(provider: ExchangeProvider, mailbox: Mailbox) -> None:
    add_contact(mailbox, "Ada", "Lovelace")
    assert provider.changes(ItemType.CONTACT, "not-a-cursor").full


def test_five_thousand_contacts_are_paged(
    provider: ExchangeProvider, ews: EwsEmulator, mailbox: Mailbox
) -> None:
    for n in range(5000):
        add_contact(mailbox, f"Given{n}", f"Surname{n}", f"c{n}@example.com")
    ews.log.clear()
    changes = provider.changes(ItemType.CONTACT, None)
    assert len(changes.upserted) == 5000
    assert len({r.id for r in changes.upserted}) == 5000
    bodies = [e.body for e in ews.log.entries("POST")]
    syncs = sum(b"SyncFolderItems" in b for b in bodies)
    fetches = sum(b"GetItem" in b for b in bodies)
    assert syncs == 10  # 512 changes a page
    assert fetches == 20  # 250 items a GetItem
    assert provider.changes(ItemType.CONTACT, changes.cursor).upserted == ()


def test_appointment_delete_never_sends_cancellations(
    provider: ExchangeProvider, mailbox: Mailbox, account
) -> None:
    ref = provider.create(ItemType.APPOINTMENT, RECORDS[ItemType.APPOINTMENT])
    provider.delete(ItemType.APPOINTMENT, ref.id)
    assert mailbox.cancellations_sent == [] and mailbox.invitations_sent == []
    # The emulator does notice when a client asks for cancellations.
    item = CalendarItem(
        account=account,
        folder=account.calendar,
        subject="x",
        start=RECORDS[ItemType.APPOINTMENT].start,
        end=RECORDS[ItemType.APPOINTMENT].end,
        required_attendees=["bob@example.com"],
    )
    item.save(send_meeting_invitations=SEND_TO_NONE)
    item_id = item.id
    item.delete(send_meeting_cancellations="SendToAllAndSaveCopy")
    assert mailbox.cancellations_sent == [item_id]


def test_deleted_items_go_to_the_trash(provider: ExchangeProvider, account) -> None:
    ref = provider.create(ItemType.CONTACT, RECORDS[ItemType.CONTACT])
    provider.delete(ItemType.CONTACT, ref.id)
    [trashed] = account.trash.all()
    assert isinstance(trashed, Contact | Message)
    assert trashed.display_name == RECORDS[ItemType.CONTACT].title
    assert trashed.id != ref.id, "a moved item gets a new id, as in Exchange"
    with pytest.raises(ErrorItemNotFound):
        provider.get(ItemType.CONTACT, ref.id)


@pytest.mark.parametrize("item_type", list(RECORDS))
def test_items_read_together_are_read_as_one_by_one_in_one_get_item(
    provider: ExchangeProvider, ews: EwsEmulator, item_type: ItemType
) -> None:
    made = [provider.create(item_type, RECORDS[item_type]).id for _ in range(4)]
    provider.delete(item_type, made[1])
    ews.log.clear()

    found = provider.get_many(item_type, made)

    [read] = ews.log.entries()
    assert b"<m:GetItem" in read.body
    assert set(found) == set(made) - {made[1]}, "the one gone is left out"
    assert all(found[item_id] == provider.get(item_type, item_id) for item_id in found)


@pytest.mark.parametrize("item_type", list(RECORDS))
def test_updates_together_go_in_one_update_item_each_answered_on_its_own(
    provider: ExchangeProvider, ews: EwsEmulator, item_type: ItemType
) -> None:
    made = [provider.create(item_type, RECORDS[item_type]) for _ in range(3)]
    read = [provider.get(item_type, ref.id) for ref in made]
    stale = provider.update(item_type, replace(read[1], **EDITS[item_type]), read[1].change_key)
    ews.log.clear()

    answers = provider.update_many(
        item_type, [(replace(record, **EDITS[item_type]), record.change_key) for record in read]
    )

    [sent] = ews.log.entries()
    assert b"<m:UpdateItem" in sent.body and sent.body.count(b"<t:ItemChange>") == 3
    assert isinstance(answers[1], ErrorIrresolvableConflict), "the one edited meanwhile"
    for ref, answer in zip(made[::2], answers[::2], strict=True):
        assert isinstance(answer, ItemRef) and answer.change_key != ref.change_key
        after = provider.get(item_type, answer.id)
        assert (after.change_key, after) == (answer.change_key, replace(after, **EDITS[item_type]))
    assert provider.get(item_type, made[1].id).change_key == stale.change_key, "left as it was"


def test_a_value_exchange_would_refuse_fails_its_own_update_alone(
    provider: ExchangeProvider, ews: EwsEmulator
) -> None:
    made = [provider.create(ItemType.CONTACT, RECORDS[ItemType.CONTACT]) for _ in range(2)]
    read = [provider.get(ItemType.CONTACT, ref.id) for ref in made]
    ews.log.clear()

    answers = provider.update_many(
        ItemType.CONTACT,
        [
            (replace(read[0], job_title="CTO"), read[0].change_key),
            (replace(read[1], given_name="N" * 300), read[1].change_key),  # over 255
        ],
    )

    assert isinstance(answers[0], ItemRef) and isinstance(answers[1], ValueError)
    [sent] = ews.log.entries()
    assert sent.body.count(b"<t:ItemChange>") == 1, "the refused one was not sent"
    assert provider.get(ItemType.CONTACT, made[0].id).job_title == "CTO"


def test_each_provider_counts_its_own_requests_on_shared_sessions(make_provider, ews) -> None:
    """exchangelib shares sessions among providers of the same address and credentials (as in a
    process that syncs a mailbox again): the newest provider counts every request it makes."""
    first = make_provider()
    first.activate()
    assert first.requests_sent > 0
    ews.log.clear()
    second = make_provider()
    second.activate()
    second.changes(ItemType.CONTACT, None)
    assert second.requests_sent == len(ews.log.entries()) > 0


def test_an_idle_read_asks_exchange_nothing_but_the_folders_changes(make_provider, ews) -> None:
    """The cursor keeps each SAP folder's id; the well-known folders are named as such: a read
    from a cursor is one SyncFolderItems per folder, no GetFolder or FindFolder."""
    first = make_provider()
    first.activate()
    cursors = {item_type: first.changes(item_type, None).cursor for item_type in ItemType}
    ews.log.clear()
    second = make_provider()
    for item_type, cursor in cursors.items():
        assert second.changes(item_type, cursor).upserted == ()
    operations = [re.search(rb"<m:(\w+)[ >]", entry.body).group(1) for entry in ews.log.entries()]
    assert set(operations) == {b"SyncFolderItems"}, operations
    assert len(operations) == 7, "contacts, accounts, tasks, calendar and three mail folders"


def test_a_renamed_folder_stays_followed_when_activation_makes_one_of_the_old_name(
    make_provider, mailbox: Mailbox
) -> None:
    """A type newly enabled makes the run activate the mailbox, which makes "SAP Contacts"
    again next to the one the user renamed: reads and writes keep to the renamed one."""
    first = make_provider()
    first.activate()
    made = first.create(ItemType.CONTACT, RECORDS[ItemType.CONTACT])
    cursor = first.changes(ItemType.CONTACT, None).cursor
    renamed = mailbox.folder_by_path("Contacts", "SAP Contacts")
    renamed.display_name = "Customers"

    run = make_provider()
    run.activate()
    assert mailbox.folder_by_path("Contacts", "SAP Contacts").id != renamed.id
    assert run.changes(ItemType.CONTACT, cursor).upserted == ()
    second = run.create(ItemType.CONTACT, replace(RECORDS[ItemType.CONTACT], surname="Byron"))
    assert {item.id for item in mailbox.items_in(renamed.id)} == {made.id, second.id}
    assert run.folder_changes() == (FolderChange("SAP Contacts", "Customers"),)


def test_a_folder_deleted_in_outlook_is_followed_into_deleted_items_until_it_is_gone(
    make_provider, mailbox: Mailbox
) -> None:
    """Outlook "deletes" a folder by moving it into Deleted Items: its items are still there,
    so the sync keeps to it (no second folder made); emptied from there, it is put back."""
    first = make_provider()
    first.activate()
    made = first.create(ItemType.CONTACT, RECORDS[ItemType.CONTACT])
    cursor = first.changes(ItemType.CONTACT, None).cursor
    folder = mailbox.folder_by_path("Contacts", "SAP Contacts")
    folder.parent_id = mailbox.distinguished("deleteditems").id

    run = make_provider()
    assert run.changes(ItemType.CONTACT, cursor).upserted == ()
    second = run.create(ItemType.CONTACT, replace(RECORDS[ItemType.CONTACT], surname="Byron"))
    assert {item.id for item in mailbox.items_in(folder.id)} == {made.id, second.id}
    assert [f for f in mailbox.children(mailbox.distinguished("contacts").id)
            if f.display_name == "SAP Contacts"] == [], "no second folder"  # fmt: skip
    assert run.folder_changes() == ()

    mailbox.remove_folder(folder.id)
    after = make_provider()
    full = after.changes(ItemType.CONTACT, cursor)
    assert full.full and full.upserted == ()
    assert after.folder_changes() == (FolderChange("SAP Contacts", None),)
    assert mailbox.folder_by_path("Contacts", "SAP Contacts").id != folder.id
