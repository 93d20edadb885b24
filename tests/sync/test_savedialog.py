"""The Save dialog end to end: a real sync makes the issue, the dialog fixes it in both systems.

The mailbox is the EWS emulator edited with bare exchangelib (as Outlook would), C4C is the C4C
emulator; the dialog goes through the same provider and client as the engine.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from exchangelib import Account, CalendarItem, Contact, EWSDate, EWSDateTime, EWSTimeZone, Task
from exchangelib.indexed_properties import EmailAddress
from sqlalchemy import select

from backend.crm.c4c import C4CClient
from backend.extensions import Resources
from backend.models import AuditEvent, Issue, Mailbox, User
from backend.models.issue import Resolution, Source
from backend.models.run import RunOutcome
from backend.models.tenant import ConflictPolicy
from backend.models.types import Direction, IssueCode, ItemType
from backend.models.user import Role
from backend.savedialog import (
    DialogErrorCode,
    SaveDialogError,
    can_fix,
    open_form,
    search_related,
    submit,
)
from backend.savedialog import errors as texts
from backend.storage.db import utcnow
from backend.sync import issues as issue_service
from backend.sync.errors import Classification
from emulators.base import Emulator, Fault
from emulators.c4c import C4CEmulator
from emulators.ews import EwsEmulator
from emulators.ews.seed import add_message
from tests.support.owners import MailboxOwner
from tests.support.world import ADDRESS, both_mail_systems, type_settings
from tests.support.writes import quiet_runs, writes


def add_contact(outlook: Account, **fields) -> Contact:
    contact = Contact(folder=outlook.contacts / "SAP Contacts", account=outlook, **fields)
    contact.save()
    return contact


def c4c_writes(c4c: C4CEmulator) -> list[str]:
    """What C4C was asked to change (a ``$batch`` of look-ups changes nothing)."""
    return writes(c4c)


def user_of(session, mailbox: Mailbox) -> User:
    return session.get(User, mailbox.user_id)


def the_issue(session, mailbox: Mailbox) -> Issue:
    [issue] = issue_service.open_issues(session, mailbox.id)
    return issue


def audit_outcomes(session) -> list[tuple[str, list[str], str]]:
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    return [(e.action, e.details["fields"], e.details["outcome"]) for e in events]


@both_mail_systems
def test_a_missing_last_name_is_fixed_in_the_dialog(
    owner: MailboxOwner, c4c: C4CEmulator, crm: C4CClient, sync_now, session,
    resources: Resources, mailbox,
) -> None:  # fmt: skip
    contact = owner.add_contact("Nolast", email="nolast@fabrikam.test", job_title="Buyer",
                                tags=("Customer VIP",))  # fmt: skip
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    issue = the_issue(session, mailbox)
    marked = owner.error_tags(ItemType.CONTACT, "Last name missing")
    assert owner.contact(contact).tags == {"Customer VIP"} | marked
    assert can_fix(issue)

    form = open_form(session, resources, issue, viewer=user_of(session, mailbox))
    last = form.field("LastName")
    assert (last.label, last.required, last.max_length, last.value) == ("Last Name", True, 40, "")
    assert last.error == "Mandatory field 'LastName' is not filled" == form.message
    assert [(f.name, f.value, f.error) for f in form.fields if f.name != "LastName"] == [
        ("FirstName", "Nolast", None),
        ("JobTitle", "Buyer", None),
        ("Email", "nolast@fabrikam.test", None),
    ]
    assert form.field("Email").kind == "email"
    assert (form.related.kind, form.related.object_id) == ("account", None)
    assert form.title == "Nolast"

    c4c.log.clear()
    typed = {"LastName": "S" * 41, "FirstName": "Nola"}
    too_long = submit(session, resources, issue, typed, user_of(session, mailbox))
    assert (too_long.ok, too_long.status) == (False, "NEEDS_INPUT")
    assert too_long.form.field("LastName").value == "S" * 41
    assert "at most 40 characters" in too_long.form.field("LastName").error
    assert too_long.form.field("FirstName").value == "Nola"
    assert c4c_writes(c4c) == []
    assert (owner.contact(contact).first, owner.contact(contact).last) == ("Nolast", None)

    saved = submit(session, resources, issue, {"LastName": " Smith "}, user_of(session, mailbox))
    assert (saved.ok, saved.status, saved.form.errors) == (True, "SYNCED", ())
    assert saved.form.field("LastName").value == "Smith"
    [created] = c4c.service.store.all("ContactCollection")
    assert (created["FirstName"], created["LastName"], created["Email"]) == (
        "Nolast", "Smith", "nolast@fabrikam.test",
    )  # fmt: skip
    session.refresh(issue)
    assert (issue.resolution, issue.is_open) == (Resolution.USER_FIX, False)
    fixed = owner.contact(contact)
    assert (fixed.first, fixed.last, fixed.tags) == ("Nolast", "Smith", {"Customer VIP"})
    assert audit_outcomes(session) == [
        ("savedialog.submit", ["FirstName", "LastName"], "INVALID"),
        ("savedialog.submit", ["LastName"], "SYNCED"),
    ]

    c4c.log.clear()
    run = sync_now()
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert c4c_writes(c4c) == []
    assert issue_service.open_issues(session, mailbox.id) == []
    assert len(c4c.service.store.all("ContactCollection")) == 1


def test_the_account_is_searched_and_linked_from_the_dialog(
    outlook, c4c: C4CEmulator, crm: C4CClient, sync_now, session, resources, mailbox
) -> None:
    fabrikam = crm.create(
        "CorporateAccountCollection", {"Name": "Fabrikam", "City": "Berlin", "CountryCode": "DE"},
        "seed-1",
    )  # fmt: skip
    crm.create("CorporateAccountCollection", {"Name": "Fabrikam Logistics"}, "seed-2")
    crm.create("CorporateAccountCollection", {"Name": "Northwind"}, "seed-3")
    contact = add_contact(outlook, given_name="Lin", display_name="Lin")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    issue = the_issue(session, mailbox)

    assert search_related(session, resources, issue, "f", viewer=user_of(session, mailbox)) == []
    found = search_related(session, resources, issue, "fabri", viewer=user_of(session, mailbox))
    assert [(c.name, c.detail, c.kind) for c in found] == [
        ("Fabrikam", "Berlin, DE", "account"),
        ("Fabrikam Logistics", "", "account"),
    ]
    saved = submit(
        session, resources, issue, {"LastName": "Lee"}, user_of(session, mailbox),
        related_id=found[0].object_id,
    )  # fmt: skip
    assert saved.ok, saved.form
    assert (saved.form.related.object_id, saved.form.related.display) == (
        fabrikam["ObjectID"],
        "Fabrikam",
    )
    [created] = c4c.service.store.all("ContactCollection")
    assert (created["LastName"], created["AccountID"]) == ("Lee", fabrikam["AccountID"])
    contact.refresh()
    assert (contact.surname, contact.company_name) == ("Lee", "Fabrikam")
    reopened = session.scalars(select(AuditEvent)).one().details
    assert (reopened["related_changed"], reopened["mailbox_written"]) == (True, True)

    c4c.log.clear()
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert c4c_writes(c4c) == []
    assert c4c.service.store.all("ContactCollection")[0]["AccountID"] == fabrikam["AccountID"]


def test_c4c_unreachable_keeps_what_was_typed_and_the_next_run_sends_it(
    outlook, c4c: C4CEmulator, sync_now, session, resources, mailbox
) -> None:
    contact = add_contact(outlook, given_name="Nolast", display_name="Nolast")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    issue = the_issue(session, mailbox)
    open_form(
        session, resources, issue, viewer=user_of(session, mailbox)
    )  # the definitions are cached from here on

    c4c.faults.add(Fault(path=r"ContactCollection$", method="POST", status=503, times=10))
    result = submit(session, resources, issue, {"LastName": "Smith"}, user_of(session, mailbox))
    assert (result.ok, result.status) == (False, "UNAVAILABLE")
    assert result.form.errors == (texts.C4C_UNAVAILABLE_AFTER_MAILBOX,)
    assert result.form.field("LastName").value == "Smith"
    session.refresh(issue)
    assert issue.is_open and issue.occurrences == 1
    assert c4c.service.store.all("ContactCollection") == []
    contact.refresh()
    assert contact.surname == "Smith"
    assert audit_outcomes(session)[-1][2] == "UNAVAILABLE"

    c4c.faults.clear()
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert [c["LastName"] for c in c4c.service.store.all("ContactCollection")] == ["Smith"]
    session.refresh(issue)
    assert issue.resolution is Resolution.AUTO


def test_a_rejection_by_c4c_comes_back_as_field_errors_and_counts_on_the_issue(
    outlook, c4c: C4CEmulator, sync_now, session, resources, mailbox
) -> None:
    add_contact(outlook, given_name="Nolast", display_name="Nolast", job_title="Boss")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    issue = the_issue(session, mailbox)
    text = "Value 'Boss' is not valid for field 'JobTitle'"
    envelope = {"error": {"code": "CM_BO_CONSISTENCY/014", "message": {"lang": "en", "value": text},
                          "innererror": {"errordetails": [
                              {"code": "CM_BO_CONSISTENCY/014", "message": text,
                               "target": "JobTitle", "severity": "error"}]}}}  # fmt: skip
    c4c.faults.add(
        Fault(path=r"ContactCollection$", method="POST", status=400, body=json.dumps(envelope))
    )
    result = submit(session, resources, issue, {"LastName": "Smith"}, user_of(session, mailbox))
    assert (result.ok, result.status) == (False, "NEEDS_INPUT")
    assert result.form.field("JobTitle").error == text == result.form.message
    assert (result.form.field("LastName").value, result.form.field("LastName").error) == (
        "Smith",
        None,
    )
    session.refresh(issue)
    assert (issue.occurrences, issue.fields, issue.backend_message) == (2, ["JobTitle"], text)
    assert issue.is_open
    assert audit_outcomes(session)[-1][2] == "REJECTED"
    c4c.log.clear()
    run = sync_now()
    assert (run.failed, c4c_writes(c4c)) == (0, []), "refused as it is: not sent again unasked"
    session.refresh(issue)
    assert (issue.occurrences, issue.is_open) == (2, True)


def test_an_email_without_account_is_linked_from_the_dialog(
    ews: EwsEmulator, outlook: Account, c4c: C4CEmulator, crm: C4CClient, sync_now, session,
    resources, mailbox,
) -> None:  # fmt: skip
    nowhere = crm.create("CorporateAccountCollection", {"Name": "Nowhere Inc"}, "seed-1")
    box = ews.store.mailbox(ADDRESS)
    add_message(box, "Hello from nowhere", "x@nowhere.test", categories=["SAP"])
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    issue = the_issue(session, mailbox)
    assert (issue.fields, issue.source) == (["AccountID"], Source.ENGINE)

    form = open_form(session, resources, issue, viewer=user_of(session, mailbox))
    assert (form.related.kind, form.related.required) == ("account_or_contact", True)
    assert form.related.error == issue.backend_message
    subject, sender = form.field("Subject"), form.field("FromEmailURI")
    assert (subject.value, subject.required, subject.read_only) == (issue.title, True, False)
    assert (sender.value, sender.read_only) == ("x@nowhere.test", True)

    unlinked = submit(session, resources, issue, {}, user_of(session, mailbox))
    assert (unlinked.ok, unlinked.form.related.error) == (False, texts.RELATED_REQUIRED)

    [candidate] = search_related(
        session, resources, issue, "Nowhere", viewer=user_of(session, mailbox)
    )
    saved = submit(
        session, resources, issue, {"FromEmailURI": "ignored@example.org"},
        user_of(session, mailbox), related_id=candidate.object_id,
    )  # fmt: skip
    assert saved.ok, saved.form
    [email] = c4c.service.store.all("EMailCollection")
    assert (email["Subject"], email["AccountID"], email["FromEmailURI"]) == (
        "Hello from nowhere", nowhere["AccountID"], "x@nowhere.test",
    )  # fmt: skip
    message = outlook.inbox.get(subject="Hello from nowhere")
    assert message.categories == ["SAP"]

    c4c.log.clear()
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert c4c_writes(c4c) == []
    assert issue_service.open_issues(session, mailbox.id) == []


def test_issues_a_form_cannot_fix_are_refused(
    outlook, c4c: C4CEmulator, sync_now, session, resources, mailbox
) -> None:
    contact = add_contact(
        outlook, given_name="Jane", surname="Doe", display_name="Jane Doe",
        email_addresses=[EmailAddress(email="jane@fabrikam.test", label="EmailAddress1")],
    )  # fmt: skip
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    [row] = c4c.service.store.all("ContactCollection")
    c4c.service.store.read_only.add(row["ObjectID"])
    contact.refresh()
    contact.job_title = "Boss"
    contact.save(update_fields=["job_title"])
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    forbidden = the_issue(session, mailbox)
    held = issue_service.record(
        session, mailbox, issue_service.MAILBOX,
        Classification(IssueCode.NEEDS_INPUT, "A key user must approve"), source=Source.ENGINE,
        now=utcnow(),
    )  # fmt: skip
    conflict = issue_service.record(
        session, mailbox, issue_service.ItemRef(ItemType.CONTACT, contact.id, None, "Jane Doe"),
        Classification(IssueCode.CONFLICT, "Changed on both sides"), source=Source.ENGINE,
        now=utcnow(), informational=True,
    )  # fmt: skip
    session.commit()
    person = user_of(session, mailbox)
    for issue in (forbidden, held, conflict):
        assert not can_fix(issue)
        with pytest.raises(SaveDialogError) as refused:
            open_form(session, resources, issue, viewer=user_of(session, mailbox))
        assert refused.value.code is DialogErrorCode.NOT_FIXABLE
        with pytest.raises(SaveDialogError):
            submit(session, resources, issue, {"JobTitle": "Boss"}, person)
    assert [outcome for _a, _f, outcome in audit_outcomes(session)] == ["NOT_FIXABLE"] * 3

    stranger = session.scalars(select(User).where(User.id != person.id)).first()
    stranger.role = Role.USER
    contact_issue = forbidden
    with pytest.raises(SaveDialogError) as refused:
        submit(session, resources, contact_issue, {}, stranger)
    assert refused.value.code is DialogErrorCode.NOT_ALLOWED


def test_a_deleted_item_and_a_signed_out_mailbox_say_what_to_do(
    outlook, sync_now, session, resources, mailbox, ews: EwsEmulator
) -> None:
    contact = add_contact(outlook, given_name="Nolast", display_name="Nolast")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    issue = the_issue(session, mailbox)
    open_form(session, resources, issue, viewer=user_of(session, mailbox))

    ews.store.mailbox(ADDRESS).password = "changed"
    result = submit(session, resources, issue, {"LastName": "Smith"}, user_of(session, mailbox))
    assert (result.ok, result.status, result.form.errors) == (
        False, "UNAVAILABLE", (texts.MAILBOX_SIGN_IN,),
    )  # fmt: skip
    assert result.form.field("LastName").value == "Smith"

    ews.store.mailbox(ADDRESS).password = "anna-pass"
    contact.delete()
    with pytest.raises(SaveDialogError) as gone:
        open_form(session, resources, issue, viewer=user_of(session, mailbox))
    assert gone.value.code is DialogErrorCode.GONE


def test_a_task_without_subject_keeps_what_c4c_cannot_say(
    outlook, c4c: C4CEmulator, sync_now, session, resources, mailbox
) -> None:
    task = Task(
        folder=outlook.tasks, account=outlook, categories=["SAP"], status="Deferred",
        importance="High", due_date=EWSDate(2026, 3, 31),
    )  # fmt: skip
    task.save()
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    issue = the_issue(session, mailbox)
    form = open_form(session, resources, issue, viewer=user_of(session, mailbox))
    assert [(f.name, f.kind, f.value) for f in form.fields] == [
        ("Subject", "text", ""),
        ("DueDateTime", "datetime", "2026-03-31T00:00"),
        ("LifeCycleStatusCode", "code", "1"),
        ("PriorityCode", "code", "2"),
    ]
    assert ("4", "Canceled") in form.field("LifeCycleStatusCode").options
    assert form.related is None

    wrong = submit(session, resources, issue, {"Subject": "Call", "PriorityCode": "9"},
                   user_of(session, mailbox))  # fmt: skip
    assert wrong.form.field("PriorityCode").error.startswith("Pick one of the listed values")
    saved = submit(session, resources, issue, {"Subject": "Call back"}, user_of(session, mailbox))
    assert saved.ok, saved.form
    [created] = c4c.service.store.all("TasksCollection")
    assert (created["Subject"], created["PriorityCode"]) == ("Call back", "2")
    task.refresh()
    assert (task.subject, task.status, task.categories) == ("Call back", "Deferred", ["SAP"])

    c4c.log.clear()
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert c4c_writes(c4c) == []


@pytest.mark.parametrize(
    ("typed", "in_sap", "in_outlook"),
    [
        ({}, {}, "Deferred"),  # the subject alone: SAP keeps the rest
        ({"PriorityCode": "2"}, {"PriorityCode": "2"}, "Deferred"),  # Urgent, High in Outlook
        ({"LifeCycleStatusCode": "1"}, {"LifeCycleStatusCode": "1"}, "NotStarted"),  # reopened
    ],
)
def test_a_fix_in_the_dialog_leaves_what_outlook_cannot_show_as_sap_has_it(
    outlook, c4c: C4CEmulator, sync_now, session, resources, mailbox,
    typed: dict, in_sap: dict, in_outlook: str,
) -> None:  # fmt: skip
    """A task synced both ways is made *Immediate* and *Canceled* in SAP, of an account, due at
    15:00: Outlook shows it *High* and *Deferred*, due that day. The user empties its subject,
    SAP refuses that, and the dialog (which shows SAP's priority and status) fixes the subject,
    and perhaps a priority or status as SAP calls them: SAP gets what was typed and keeps the
    rest, Outlook shows it, the form after the save shows SAP's values, and the next run writes
    nothing."""
    task = Task(folder=outlook.tasks, account=outlook, categories=["SAP"], subject="Call Jane")
    task.save()
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    store = c4c.service.store
    [created] = store.all("TasksCollection")
    account = store.create("CorporateAccountCollection", {"Name": "Fabrikam"})
    due = datetime(2027, 1, 15, 15, 0, tzinfo=UTC)
    set_in_sap = {"PriorityCode": "1", "LifeCycleStatusCode": "4",
                  "AccountID": account["AccountID"], "DueDateTime": due}  # fmt: skip
    store.update(
        "TasksCollection", created["ObjectID"], {**set_in_sap, "DueDateTime": due.isoformat()}
    )
    assert sync_now().updated == 1
    task.refresh()
    assert (task.importance, task.status, task.due_date) == ("High", "Deferred", due.date())
    task.subject = None
    task.save(update_fields=["subject"])
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    issue = the_issue(session, mailbox)

    form = open_form(session, resources, issue, viewer=user_of(session, mailbox))
    shown = {f.name: f.value for f in form.fields}
    assert (shown["PriorityCode"], shown["LifeCycleStatusCode"]) == ("1", "4")
    viewer = user_of(session, mailbox)
    saved = submit(session, resources, issue, {"Subject": "Call Jane back", **typed}, viewer)
    assert saved.ok, saved.form

    [held] = store.all("TasksCollection")
    expected = {"Subject": "Call Jane back", **set_in_sap, **in_sap}
    assert {name: held[name] for name in expected} == expected
    after = {f.name: f.value for f in saved.form.fields}
    assert (after["PriorityCode"], after["LifeCycleStatusCode"]) == (
        expected["PriorityCode"], expected["LifeCycleStatusCode"],
    )  # fmt: skip
    task.refresh()
    assert (task.subject, task.status, task.importance) == ("Call Jane back", in_outlook, "High")
    c4c.log.clear()
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert c4c_writes(c4c) == []


@pytest.mark.parametrize("kind", ["exchange", "gmail"])  # Microsoft To Do needs a title
@pytest.mark.parametrize("typed", [{}, {"PriorityCode": "1"}], ids=["subject", "immediate"])
def test_a_dialog_fix_keeps_sap_values_the_mailbox_lacks_and_leaves_the_next_run_quiet(
    owner: MailboxOwner, c4c: C4CEmulator, sync_now, session, resources: Resources, mailbox,
    mail_emulator: Emulator, typed: dict,
) -> None:  # fmt: skip
    """A task made in the mailbox is made *Urgent* and *In Process* in SAP (Google Tasks shows
    neither). Its subject emptied in the mailbox, SAP refuses it; the dialog fixes the subject
    (and perhaps makes it *Immediate*, which Outlook shows as *High* and Google Tasks not at
    all): SAP gets that and keeps the rest, and the next run writes nothing on either side.
    (Microsoft To Do refuses a task without a title, so Exchange Online cannot get there.)"""
    owner.add_task("Call Jane")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    store = c4c.service.store
    [created] = store.all("TasksCollection")
    set_in_sap = {"PriorityCode": "2", "LifeCycleStatusCode": "2"}
    store.update("TasksCollection", created["ObjectID"], set_in_sap)
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    owner.edit_task("Call Jane", to="")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    issue = the_issue(session, mailbox)

    form = open_form(session, resources, issue, viewer=user_of(session, mailbox))
    assert (form.field("PriorityCode").value, form.field("LifeCycleStatusCode").value) == ("2", "2")
    saved = submit(session, resources, issue, {"Subject": "Call Jane back", **typed},
                   user_of(session, mailbox))  # fmt: skip
    assert saved.ok, saved.form
    [held] = store.all("TasksCollection")
    expected = {"Subject": "Call Jane back", **set_in_sap, **typed}
    assert {name: held[name] for name in expected} == expected
    assert owner.task_subjects() == ["Call Jane back"]

    quiet_runs(sync_now, mail_emulator, c4c)


@pytest.mark.parametrize("picked", [None, "Globex"])
def test_a_dialog_fix_of_a_contact_keeps_its_account_unless_another_is_picked(
    outlook, c4c: C4CEmulator, crm: C4CClient, sync_now, session, resources, mailbox, tenant,
    picked: str | None,
) -> None:  # fmt: skip
    """Lin's copy names Fabrikam, which SAP renames (no account is called Fabrikam any more).
    Her last name emptied in Outlook, SAP refuses it; the dialog's fix of the last name keeps
    her in Fabrikam Inc., or moves her to the account the person picks."""
    accounts = {name: crm.create("CorporateAccountCollection", {"Name": name}, None)
                for name in ("Fabrikam", "Globex")}  # fmt: skip
    contact = add_contact(outlook, given_name="Lin", surname="Lee", display_name="Lin Lee",
                          company_name="Fabrikam")  # fmt: skip
    assert sync_now().created == 1
    [lin] = c4c.service.store.all("ContactCollection")
    assert lin["AccountID"] == accounts["Fabrikam"]["AccountID"]
    crm.update("CorporateAccountCollection", accounts["Fabrikam"]["ObjectID"],
               {"Name": "Fabrikam Inc."}, None)  # fmt: skip
    contact.surname = None
    contact.save(update_fields=["surname"])
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    issue = the_issue(session, mailbox)

    viewer, related = user_of(session, mailbox), None
    if picked:
        [found] = search_related(session, resources, issue, picked, viewer=viewer)
        related = found.object_id
    saved = submit(session, resources, issue, {"LastName": "Lee"}, viewer, related_id=related)
    assert saved.ok, saved.form
    [held] = c4c.service.store.all("ContactCollection")
    expected = accounts[picked or "Fabrikam"]["AccountID"]
    assert (held["LastName"], held["AccountID"]) == ("Lee", expected)
    contact.refresh()
    assert contact.company_name == (picked or "Fabrikam")

    # The pair knows the account SAP kept: a job title edited in Outlook before the next run
    # (which reads the dialog's write back) is no conflict, which SAP's version would win here.
    type_settings(session, tenant, ItemType.CONTACT, conflict_policy=ConflictPolicy.C4C_WINS)
    contact.job_title = "Buyer"
    contact.save(update_fields=["job_title"])
    edited = sync_now()
    assert (edited.outcome, edited.updated, edited.issues_opened) == (
        RunOutcome.SUCCEEDED, 1, 0,
    ), edited.error_message  # fmt: skip
    [held] = c4c.service.store.all("ContactCollection")
    assert (held["JobTitle"], held["AccountID"]) == ("Buyer", expected)
    contact.refresh()
    assert (contact.job_title, contact.company_name) == ("Buyer", picked or "Fabrikam")

    c4c.log.clear()
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert c4c_writes(c4c) == []
    assert c4c.service.store.all("ContactCollection")[0]["AccountID"] == expected


MOVES = {
    # case: (the mailbox's company, SAP's account, the tenant's settings, where Lin ends)
    "in the mailbox": ("Globex", None, {}, "Globex"),
    "out of it in the mailbox": ("", None, {}, None),
    "in SAP": (None, "Globex", {}, "Globex"),
    "out of it in SAP": (None, "", {}, None),
    "in SAP, mailbox wins": (None, "Globex", {"conflict_policy": ConflictPolicy.MAILBOX_WINS},
                             "Fabrikam"),
    "in SAP, going up only": (None, "Globex", {"direction": Direction.UP}, "Fabrikam"),
    "both, out of it in SAP": ("Globex", "", {}, None),
    "both, mailbox wins": ("Globex", "Initech", {"conflict_policy": ConflictPolicy.MAILBOX_WINS},
                           "Globex"),
}  # fmt: skip


@both_mail_systems
@pytest.mark.parametrize("case", list(MOVES))
def test_a_dialog_fix_of_a_contact_carries_a_pending_move_to_the_other_side(
    owner: MailboxOwner, c4c: C4CEmulator, crm: C4CClient, sync_now, session, resources,
    mailbox, tenant, mail_emulator: Emulator, case: str,
) -> None:  # fmt: skip
    """Lin's last name is emptied in the mailbox, which SAP refuses, while a side moves her
    from Fabrikam: the mailbox (to Globex, or out of any account) with that edit, SAP (to
    Globex, Initech or out of any account) after it, or both. The dialog shows where she
    goes, as a run would settle it (a move from SAP meets the mailbox's version as a
    conflict, settled by the tenant's policy, "SAP wins" unless said, and comes into the
    mailbox only where the type's changes come down), and its fix of the last name leaves
    both sides there: the runs after it write nothing, and a later edit goes up without
    moving her again."""
    company, account, settings, goes_to = MOVES[case]
    type_settings(session, tenant, ItemType.CONTACT,
                  **{"conflict_policy": ConflictPolicy.C4C_WINS, **settings})  # fmt: skip
    accounts = {name: crm.create("CorporateAccountCollection", {"Name": name}, None)
                for name in ("Fabrikam", "Globex", "Initech")}  # fmt: skip
    lin = owner.add_contact("Lin", "Lee", email="lin@fabrikam.test")  # C4C finds her by it
    owner.edit_contact(lin, company="Fabrikam")
    assert sync_now().created == 1
    [held] = c4c.service.store.all("ContactCollection")
    owner.edit_contact(lin, last="", **({"company": company} if company is not None else {}))
    assert sync_now().issues_opened == 1
    if account is not None:
        account = accounts[account]["AccountID"] if account else ""
        crm.update("ContactCollection", held["ObjectID"], {"AccountID": account}, None)
    issue = the_issue(session, mailbox)

    viewer = user_of(session, mailbox)
    assert open_form(session, resources, issue, viewer=viewer).related.display == goes_to
    saved = submit(session, resources, issue, {"LastName": "Lee"}, viewer)
    assert saved.ok, saved.form
    [held] = c4c.service.store.all("ContactCollection")
    expected = accounts[goes_to]["AccountID"] if goes_to else None
    assert (held["LastName"], held["AccountID"] or None) == ("Lee", expected)
    assert (owner.contact(lin).last, owner.contact(lin).company or None) == ("Lee", goes_to)

    quiet_runs(sync_now, mail_emulator, c4c)
    owner.edit_contact(lin, job_title="Buyer")
    assert sync_now().updated == 1
    held = c4c.service.store.all("ContactCollection")[0]
    assert (held["JobTitle"], held["AccountID"] or None) == ("Buyer", expected)
    assert (owner.contact(lin).company or None) == goes_to


def test_a_dialog_fix_of_a_contact_the_mailbox_moved_keeps_the_account_picked(
    outlook, c4c: C4CEmulator, crm: C4CClient, sync_now, session, resources, mailbox,
    mail_emulator: Emulator,
) -> None:  # fmt: skip
    """Lin is moved to Globex in Outlook with her last name emptied, which SAP refuses; the
    person fixes the last name and picks Fabrikam, where SAP has her: Outlook says Fabrikam
    again, and the runs after it write nothing."""
    fabrikam, _globex = (crm.create("CorporateAccountCollection", {"Name": name}, None)
                         for name in ("Fabrikam", "Globex"))  # fmt: skip
    contact = add_contact(outlook, given_name="Lin", surname="Lee", display_name="Lin Lee",
                          company_name="Fabrikam")  # fmt: skip
    assert sync_now().created == 1
    contact.surname, contact.company_name = None, "Globex"
    contact.save(update_fields=["surname", "company_name"])
    assert sync_now().issues_opened == 1
    issue, viewer = the_issue(session, mailbox), user_of(session, mailbox)
    assert open_form(session, resources, issue, viewer=viewer).related.display == "Globex"

    [found] = search_related(session, resources, issue, "Fabrikam", viewer=viewer)
    saved = submit(
        session, resources, issue, {"LastName": "Lee"}, viewer, related_id=found.object_id
    )
    assert saved.ok, saved.form
    [held] = c4c.service.store.all("ContactCollection")
    assert (held["LastName"], held["AccountID"]) == ("Lee", fabrikam["AccountID"])
    contact.refresh()
    assert (contact.surname, contact.company_name) == ("Lee", "Fabrikam")
    quiet_runs(sync_now, mail_emulator, c4c)


def test_an_appointment_is_linked_to_a_contact_picked_by_address(
    outlook, c4c: C4CEmulator, crm: C4CClient, sync_now, session, resources, mailbox
) -> None:
    account = crm.create("CorporateAccountCollection", {"Name": "Fabrikam"}, "seed-1")
    jane = crm.create(
        "ContactCollection",
        {"FirstName": "Jane", "LastName": "Doe", "Email": "jane@fabrikam.test",
         "AccountID": account["AccountID"]},
        "seed-2",
    )  # fmt: skip
    start = EWSDateTime(2026, 4, 1, 9, 0, tzinfo=EWSTimeZone("UTC"))
    meeting = CalendarItem(
        folder=outlook.calendar, account=outlook, start=start, end=start + timedelta(hours=1),
        categories=["SAP"],
    )  # fmt: skip
    meeting.save(send_meeting_invitations="SendToNone")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    issue = the_issue(session, mailbox)
    form = open_form(session, resources, issue, viewer=user_of(session, mailbox))
    assert form.field("StartDateTime").value == "2026-04-01T09:00"
    assert (form.related.kind, form.related.object_id) == ("account_or_contact", None)

    [candidate] = search_related(
        session, resources, issue, "jane@fabrikam.test", viewer=user_of(session, mailbox)
    )
    assert (candidate.name, candidate.kind, candidate.detail) == (
        "Jane Doe", "contact", "jane@fabrikam.test",
    )  # fmt: skip
    saved = submit(
        session, resources, issue, {"Subject": "Kick-off", "StartDateTime": "2026-04-01T10:00",
                                    "EndDateTime": "2026-04-01 11:00"},
        user_of(session, mailbox), related_id=candidate.object_id,
    )  # fmt: skip
    assert saved.ok, saved.form
    assert saved.form.related.display == "Jane Doe"
    [created] = c4c.service.store.all("AppointmentCollection")
    assert (created["Subject"], created["PrimaryContactID"], created["AccountID"]) == (
        "Kick-off", jane["ContactID"], account["AccountID"],
    )  # fmt: skip
    assert created["StartDateTime"] == datetime(2026, 4, 1, 10, 0, tzinfo=UTC)
    meeting.refresh()
    assert (meeting.subject, meeting.start.hour, meeting.required_attendees) == (
        "Kick-off", 10, None,
    )  # fmt: skip

    c4c.log.clear()
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert c4c_writes(c4c) == []


def test_a_save_reconciles_the_markers_of_its_own_item_only(
    outlook, sync_now, session, resources, mailbox
) -> None:
    from backend.models import SyncItem

    add_contact(outlook, given_name="Nolast", display_name="Nolast")
    add_contact(outlook, given_name="Other", display_name="Other")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    first, second = sorted(issue_service.open_issues(session, mailbox.id), key=lambda i: i.title)
    other = session.scalars(
        select(SyncItem).where(SyncItem.mailbox_item_id == second.mailbox_item_id)
    ).one()
    other.marker_detail = None  # as if its journal were behind: a mailbox-wide pass would write
    session.commit()

    saved = submit(session, resources, first, {"LastName": "Smith"}, user_of(session, mailbox))

    assert saved.ok
    session.refresh(other)
    assert other.marker_detail is None


def test_a_second_save_of_a_fixed_issue_says_already_fixed_with_what_was_saved(
    owner: MailboxOwner, c4c: C4CEmulator, sync_now, session, resources: Resources, mailbox
) -> None:
    owner.add_contact("Nolast")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    issue = the_issue(session, mailbox)
    anna = user_of(session, mailbox)
    assert submit(session, resources, issue, {"LastName": "Smith"}, anna).ok
    c4c.log.clear()

    for again in (
        lambda: open_form(session, resources, issue, viewer=anna),
        lambda: search_related(session, resources, issue, "Fab", viewer=anna),
        lambda: submit(session, resources, issue, {"LastName": "Smyth"}, anna),
    ):
        with pytest.raises(SaveDialogError) as refused:
            again()
        error = refused.value
        assert error.code is DialogErrorCode.ALREADY_FIXED
        assert error.message.startswith("This issue is already fixed: Anna saved it on ")
        assert "Last Name: “Smith”" in error.message
        assert {f.name: f.value for f in error.saved}["LastName"] == "Smith"
    assert c4c_writes(c4c) == [], "nothing was written again"
    assert audit_outcomes(session)[-1] == ("savedialog.submit", [], "ALREADY_FIXED")


def test_an_issue_a_later_sync_resolved_says_so(
    owner: MailboxOwner, sync_now, session, resources: Resources, mailbox
) -> None:
    contact = owner.add_contact("Nolast")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    issue = the_issue(session, mailbox)
    owner.edit_contact(contact, last="Smith")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    session.refresh(issue)
    assert issue.resolution is Resolution.AUTO
    with pytest.raises(SaveDialogError) as refused:
        open_form(session, resources, issue, viewer=user_of(session, mailbox))
    assert refused.value.code is DialogErrorCode.ALREADY_FIXED
    assert "A later sync found the item in order" in refused.value.message
