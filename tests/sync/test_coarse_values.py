"""What a change going up keeps of C4C's version: the values a mailbox holds less finely than C4C
(a code several of C4C's come down as, a date for a date and time, a field its mail system has
no place for) stay C4C's unless the mailbox's value differs from how C4C's would look there."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from backend.auth.crypto import TokenCipher
from backend.crm.c4c import C4CClient
from backend.crm.values import etag_of
from backend.extensions import Resources
from backend.mailbox.base import ContactRecord, ItemRecord, TaskRecord
from backend.mailbox.gmail.records import task_as_kept
from backend.models import C4CRecord, Mailbox
from backend.models.types import ItemType
from backend.sync import feed
from backend.sync.mapping import Links
from backend.sync.mapping.appointments import MAPPING as APPOINTMENTS
from backend.sync.mapping.contacts import MAPPING as CONTACTS
from backend.sync.mapping.tasks import MAPPING as TASKS
from backend.sync.planner import down_hash, up_hash
from emulators.base import Fault
from emulators.c4c import C4CEmulator
from tests.support import factories

NINE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
FIFTEEN = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
SAP = {"ObjectID": "T1", "Subject": "Call Jane", "Text": None, "StartDateTime": NINE,
       "DueDateTime": FIFTEEN, "LifeCycleStatusCode": "4", "PriorityCode": "1",
       "AccountID": "1001", "PrimaryContactID": "2001"}  # fmt: skip
"""A task *Immediate* and *Canceled* in SAP, from 9:00 to 15:00, of an account and a contact
(which a mailbox task never names)."""


def _google(_item_type: ItemType, record: ItemRecord) -> ItemRecord:
    assert isinstance(record, TaskRecord)
    return task_as_kept(record)


GOOGLE_TASKS = TASKS.held_by(_google)
COARSE = {name for name, _source in TASKS.coarse}
LINKS = {"AccountID", "PrimaryContactID"}


def _shown(**changes: object) -> TaskRecord:
    """SAP's task as Outlook shows it (*High*, *Deferred*, two days), with ``changes``."""
    day = date(2026, 12, 7)
    shown: dict = {"id": "m1", "subject": "Call Jane", "start": day, "due": day,
                   "status": "Deferred", "importance": "High"}  # fmt: skip
    return TaskRecord(**(shown | changes))


def test_what_the_mailbox_did_not_change_is_not_sent_and_stays_as_sap_has_it() -> None:
    sent = TASKS.values_up(_shown(subject="Call Jane today"), Links(), SAP)
    assert sent == {"Subject": "Call Jane today", "Text": None}


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        ({"importance": "Low"}, "PriorityCode", "7"),
        ({"importance": "Normal"}, "PriorityCode", "3"),
        ({"status": "Completed"}, "LifeCycleStatusCode", "3"),
        ({"status": "NotStarted"}, "LifeCycleStatusCode", "1"),  # Canceled no more
        ({"status": "InProgress"}, "LifeCycleStatusCode", "2"),
        ({"due": date(2026, 12, 9)}, "DueDateTime", datetime(2026, 12, 9, tzinfo=UTC)),
        ({"start": None}, "StartDateTime", None),
    ],
)
def test_what_the_mailbox_changed_goes_up_alone(changes: dict, field: str, value: object) -> None:
    sent = TASKS.values_up(_shown(subject="Call Jane today", **changes), Links(), SAP)
    assert sent[field] == value
    assert COARSE & set(sent) == {field}


def test_without_saps_version_the_mailboxs_goes_up_but_the_links_it_does_not_name() -> None:
    whole = TASKS.to_c4c(_shown(), Links())
    sent = TASKS.values_up(_shown(), Links(), None)
    assert sent == {name: value for name, value in whole.items() if name not in LINKS}


def test_google_tasks_holds_saps_task_as_its_copy_says_so_it_is_no_change() -> None:
    """Google Tasks keeps no start, no importance and two statuses: SAP's task and Google's
    copy of it fingerprint alike only when C4C's version is taken as Google holds it."""
    copy = GOOGLE_TASKS.to_record(SAP, None)
    assert (copy.start, copy.importance, copy.status) == (None, None, "NotStarted")
    assert down_hash(GOOGLE_TASKS, SAP) == up_hash(GOOGLE_TASKS, copy)
    assert down_hash(TASKS, SAP) != up_hash(TASKS, copy)


def test_on_google_tasks_what_it_has_no_place_for_stays_as_sap_has_it() -> None:
    copy = GOOGLE_TASKS.to_record(SAP, _shown())
    renamed = replace(copy, subject="Call Jane today")
    assert GOOGLE_TASKS.values_up(renamed, Links(), SAP) == {"Subject": "Call Jane today",
                                                            "Text": None}  # fmt: skip
    done = GOOGLE_TASKS.values_up(replace(copy, status="Completed"), Links(), SAP)
    assert COARSE & set(done) == {"LifeCycleStatusCode"} and done["LifeCycleStatusCode"] == "3"
    whole = TASKS.values_up(renamed, Links(), SAP)  # as if Google kept everything
    assert (whole["PriorityCode"], whole["StartDateTime"]) == ("3", None)


def test_google_keeps_a_tasks_id_change_key_and_labels() -> None:
    record = _shown(change_key="etag-1", categories=("SAP",))
    kept = task_as_kept(record)
    assert (kept.id, kept.change_key, kept.categories) == ("m1", "etag-1", ("SAP",))
    assert (kept.subject, kept.due) == (record.subject, record.due)


MEETING = {"ObjectID": "A1", "Subject": "Visit Fabrikam", "StartDateTime": NINE,
           "EndDateTime": FIFTEEN, "LocationName": None, "Text": None,
           "PrimaryContactID": "2001", "AccountID": "1001"}  # fmt: skip


@pytest.mark.parametrize(
    ("attendees", "links", "linked"),
    [
        ((), Links(), None),  # a copy of SAP's: no attendees, SAP's links stay
        (("nobody@example.test",), Links(), None),  # nobody C4C knows
        (("jane@fabrikam.test",), Links("1002", "2002"), ("2002", "1002")),  # C4C's Jane
        (("kim@freelance.test",), Links(None, "2003"), ("2003", None)),  # no account: none
    ],
)
def test_an_appointment_names_a_contact_in_sap_only_through_an_attendee_c4c_knows(
    attendees: tuple[str, ...], links: Links, linked: tuple[str, str] | None
) -> None:
    copy = APPOINTMENTS.to_record(MEETING, None)
    record = replace(copy, subject="Visit Fabrikam again", attendees=attendees)
    sent = APPOINTMENTS.values_up(record, links, MEETING)
    assert sent["Subject"] == "Visit Fabrikam again"
    assert (sent.get("PrimaryContactID"), sent.get("AccountID")) == (linked or (None, None))
    assert set(sent) >= LINKS if linked else not LINKS & set(sent), "the links go together"


def test_a_type_without_coarse_values_sends_the_mailboxs_version_whole() -> None:
    assert CONTACTS.coarse == ()
    record = ContactRecord(given_name="Ann", surname="Lee")
    entity = {"FirstName": "Anne", "LastName": "Lee"}
    assert CONTACTS.values_up(record, Links(), entity) == CONTACTS.to_c4c(record, Links())


JANE = ContactRecord(given_name="Jane", surname="Doe", job_title="Buyer", company="Fabrikam")


@pytest.mark.parametrize(
    ("company", "looked_up", "sent"),
    [
        ("Fabrikam", None, None),  # a name C4C has no account of (renamed there): C4C keeps its own
        ("  ", None, "clear"),  # blanks are no company: cleared as well
        ("Fabrikam", "1001", "1001"),  # an account C4C knows, its own or one it has since made
        ("Globex", "1002", "1002"),  # another company C4C knows: the contact moves
        (None, None, "clear"),  # the company cleared in the mailbox: out of its account
    ],
)
def test_a_contacts_account_goes_up_unless_its_company_names_no_account_c4c_knows(
    company: str | None, looked_up: str | None, sent: str | None
) -> None:
    record = replace(JANE, company=company)
    values = CONTACTS.values_up(record, Links(account_id=looked_up), None)
    assert values["JobTitle"] == "Buyer"
    if sent is None:
        assert "AccountID" not in values, "SAP keeps its own account"
    else:
        assert values["AccountID"] == (None if sent == "clear" else sent)


def _record(tenant_id: int, object_id: str, etag: str, deleted: bool = False) -> C4CRecord:
    return C4CRecord(
        tenant_id=tenant_id, entity_set="TasksCollection", object_id=object_id, seq=1, etag=etag,
        values=feed.encode({**SAP, "ObjectID": object_id}),
        deleted_at=datetime.now(UTC) if deleted else None,
    )  # fmt: skip


def test_the_version_an_item_was_synced_at_comes_from_the_feed_else_from_c4c(
    session: Session, resources: Resources, box: Mailbox, crm: C4CClient, c4c: C4CEmulator
) -> None:
    other = factories.tenant(session, TokenCipher(resources.settings.token_encryption_keys),
                             slug="fabrikam")  # fmt: skip
    session.flush()
    session.add_all([
        _record(box.tenant_id, "T1", "E1"),
        _record(box.tenant_id, "T2", "E2"),  # C4C changed it since the item was synced
        _record(box.tenant_id, "T3", "E3", deleted=True),
        _record(other.id, "T4", "E4"),  # another tenant's
    ])  # fmt: skip
    session.commit()
    held = crm.create("TasksCollection", {"Subject": "Not in the feed yet"}, None)
    changed = crm.create("TasksCollection", {"Subject": "Changed since"}, None)
    asked = {"T1": "E1", "T2": "E1", "T3": "E3", "T4": "E4", "T5": "E5",
             held["ObjectID"]: etag_of(held), changed["ObjectID"]: 'W/"older"'}  # fmt: skip
    c4c.log.clear()

    found = feed.versions(session, box.tenant_id, crm, TASKS, asked)

    assert sorted(found) == sorted(["T1", held["ObjectID"]])
    assert found["T1"]["StartDateTime"] == NINE, "date-times come back as date-times"
    assert found[held["ObjectID"]]["Subject"] == "Not in the feed yet"
    assert c4c.log.count() == 1, "what the feed lacks, asked of C4C in one request"
    assert feed.versions(session, box.tenant_id, crm, CONTACTS, {"T1": "E1"}) == {}


def test_what_c4c_cannot_answer_is_left_out(
    session: Session, box: Mailbox, crm: C4CClient, c4c: C4CEmulator
) -> None:
    c4c.faults.add(Fault(path="TasksCollection", method="GET", status=503, times=10))
    assert feed.versions(session, box.tenant_id, crm, TASKS, {"T9": "E9"}) == {}
