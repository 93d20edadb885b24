"""What a change going up keeps of C4C's version: the values a mailbox holds less finely than C4C
(a code several of C4C's come down as, a date for a date and time, a field its mail system has
no place for) stay C4C's unless the mailbox's value differs from how C4C's would look there."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from backend.auth.crypto import TokenCipher
from backend.extensions import Resources
from backend.mailbox.base import TaskRecord
from backend.mailbox.gmail.records import task_as_kept
from backend.models import C4CRecord, Mailbox
from backend.sync import feed
from backend.sync.mapping import Links
from backend.sync.mapping.appointments import MAPPING as APPOINTMENTS
from backend.sync.mapping.contacts import MAPPING as CONTACTS
from backend.sync.mapping.tasks import MAPPING as TASKS
from tests.support import factories

NINE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
FIFTEEN = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
SAP = {"ObjectID": "T1", "Subject": "Call Jane", "Text": None, "StartDateTime": NINE,
       "DueDateTime": FIFTEEN, "LifeCycleStatusCode": "4", "PriorityCode": "1",
       "AccountID": "1001", "PrimaryContactID": "2001"}  # fmt: skip
"""A task *Immediate* and *Canceled* in SAP, from 9:00 to 15:00, of an account and a contact
(which a mailbox task never names)."""


def _up(record: TaskRecord, as_kept=lambda record: record) -> dict:
    """What goes up for the mailbox's ``record`` over ``SAP``, as the writer makes it."""
    held = as_kept(TASKS.to_record(SAP, record))
    return TASKS.kept_up(TASKS.to_c4c(record, Links()), TASKS.to_c4c(held, Links()), SAP)


def _shown(**changes: object) -> TaskRecord:
    """SAP's task as Outlook shows it (*High*, *Deferred*, two days), with ``changes``."""
    day = date(2026, 12, 7)
    shown: dict = {"id": "m1", "subject": "Call Jane", "start": day, "due": day,
                   "status": "Deferred", "importance": "High"}  # fmt: skip
    return TaskRecord(**(shown | changes))


def test_what_the_mailbox_did_not_change_stays_as_sap_has_it() -> None:
    sent = _up(_shown(subject="Call Jane today"))
    assert sent["Subject"] == "Call Jane today"
    assert {name: sent[name] for name in TASKS.coarse} == {
        "StartDateTime": NINE, "DueDateTime": FIFTEEN, "LifeCycleStatusCode": "4",
        "PriorityCode": "1", "AccountID": "1001", "PrimaryContactID": "2001",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        ({"importance": "Low"}, "PriorityCode", "7"),
        ({"importance": "Normal"}, "PriorityCode", "3"),
        ({"status": "Completed"}, "LifeCycleStatusCode", "3"),
        ({"status": "InProgress"}, "LifeCycleStatusCode", "2"),
        ({"due": date(2026, 12, 9)}, "DueDateTime", datetime(2026, 12, 9, tzinfo=UTC)),
        ({"start": None}, "StartDateTime", None),
    ],
)
def test_what_the_mailbox_changed_goes_up_alone(changes: dict, field: str, value: object) -> None:
    sent = _up(_shown(**changes))
    assert sent[field] == value
    kept = {name: sent[name] for name in TASKS.coarse if name != field}
    assert kept == {name: SAP[name] for name in TASKS.coarse if name != field}


def test_on_google_tasks_what_it_has_no_place_for_stays_as_sap_has_it() -> None:
    """Google Tasks shows the task with a due date, not done: no start, no importance."""
    google = task_as_kept(_shown())
    assert (google.start, google.importance, google.status) == (None, None, "NotStarted")
    assert _up(google, task_as_kept) == {name: SAP[name] for name in TASKS.fields}
    done = _up(task_as_kept(_shown(status="Completed")), task_as_kept)
    assert (done["LifeCycleStatusCode"], done["PriorityCode"], done["StartDateTime"]) == (
        "3", "1", NINE,
    )  # fmt: skip
    sent = _up(task_as_kept(_shown()))  # as if Google kept everything: its None goes up
    assert (sent["PriorityCode"], sent["StartDateTime"]) == ("3", None)


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
        ((), Links(), ("2001", "1001")),  # a copy of SAP's: no attendees, SAP's links stay
        (("nobody@example.test",), Links(), ("2001", "1001")),  # nobody C4C knows
        (("jane@fabrikam.test",), Links("1002", "2002"), ("2002", "1002")),  # C4C's Jane
    ],
)
def test_an_appointment_names_a_contact_in_sap_only_through_an_attendee_c4c_knows(
    attendees: tuple[str, ...], links: Links, linked: tuple[str, str]
) -> None:
    record = APPOINTMENTS.to_record(MEETING, None)
    record = APPOINTMENTS.to_record({**MEETING, "Subject": "Visit Fabrikam again"}, record)
    record = replace(record, attendees=attendees)
    held = APPOINTMENTS.to_record(MEETING, record)
    sent = APPOINTMENTS.kept_up(
        APPOINTMENTS.to_c4c(record, links), APPOINTMENTS.to_c4c(held, Links()), MEETING
    )
    assert (sent["Subject"], sent["PrimaryContactID"], sent["AccountID"]) == (
        "Visit Fabrikam again", *linked,
    )  # fmt: skip


def test_a_type_without_coarse_values_sends_the_mailboxs_version_whole() -> None:
    assert CONTACTS.coarse == ()
    values = {"FirstName": "Ann", "LastName": "Lee"}
    assert CONTACTS.kept_up(values, values, {"FirstName": "Anne", "LastName": "Lee"}) == values


def _record(tenant_id: int, object_id: str, etag: str, deleted: bool = False) -> C4CRecord:
    return C4CRecord(
        tenant_id=tenant_id, entity_set="TasksCollection", object_id=object_id, seq=1, etag=etag,
        values=feed.encode({**SAP, "ObjectID": object_id}),
        deleted_at=datetime.now(UTC) if deleted else None,
    )  # fmt: skip


def test_the_feed_gives_the_version_an_item_was_synced_at_and_no_other(
    session: Session, resources: Resources, box: Mailbox
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
    asked = {"T1": "E1", "T2": "E1", "T3": "E3", "T4": "E4", "T5": "E5"}
    found = feed.versions(session, box.tenant_id, "TasksCollection", asked)
    assert list(found) == ["T1"]
    assert found["T1"]["StartDateTime"] == NINE, "date-times come back as date-times"
    assert feed.versions(session, box.tenant_id, "ContactCollection", {"T1": "E1"}) == {}
