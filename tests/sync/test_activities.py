"""E-mails, tasks and appointments: linked to C4C contacts by address, never inviting anyone."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from backend.crm.c4c import C4CClient
from backend.models import Issue
from backend.models.run import RunOutcome
from backend.models.tenant import ConflictPolicy
from backend.models.types import Direction, IssueCode, ItemType
from backend.sync import issues as issue_service
from tests.support.owners import GraphOwner, MailboxOwner
from tests.support.world import both_mail_systems, type_settings

pytestmark = both_mail_systems


def known_contact(crm: C4CClient) -> dict:
    account = crm.create("CorporateAccountCollection", {"Name": "Fabrikam"}, "seed-account")
    return crm.create(
        "ContactCollection",
        {"FirstName": "Jane", "LastName": "Doe", "Email": "jane@fabrikam.test",
         "AccountID": account["AccountID"]},
        "seed-contact",
    )  # fmt: skip


def test_emails_link_to_the_sender_and_unknown_senders_need_an_account(
    owner: MailboxOwner, crm: C4CClient, sync_now, session, mailbox
) -> None:
    jane = known_contact(crm)
    owner.receive("Quote for Fabrikam", "jane@fabrikam.test", picked=True)
    stranger = owner.receive("Hello from nowhere", "stranger@nowhere.test", picked=True)
    owner.receive("Lunch?", "friend@example.org", picked=False)

    run = sync_now()
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    [email] = crm.read("EMailCollection")
    assert (email["Subject"], email["PrimaryContactID"], email["AccountID"]) == (
        "Quote for Fabrikam",
        jane["ContactID"],
        jane["AccountID"],
    )
    [issue] = issue_service.open_issues(session, mailbox.id)
    assert (issue.code, issue.fields, issue.title) == (
        IssueCode.NEEDS_INPUT,
        ["AccountID"],
        "Hello from nowhere",
    )
    marked = owner.error_tags(ItemType.EMAIL, "Account missing")
    assert owner.email_tags(stranger) == owner.picked | marked


def test_tasks_sync_both_ways(owner: MailboxOwner, crm: C4CClient, sync_now) -> None:
    task = owner.add_task("Send the offer")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    [created] = crm.read("TasksCollection")
    assert created["Subject"] == "Send the offer"

    crm.update("TasksCollection", created["ObjectID"], {"LifeCycleStatusCode": "3"}, None)
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert owner.task_done(task)


def test_a_task_going_up_only_leaves_what_sap_set_that_the_mailbox_cannot_show(
    owner: MailboxOwner, crm: C4CClient, sync_now, session, tenant
) -> None:
    """Tasks go up only, so C4C's changes of them are not read and never come into the
    mailbox. In SAP the task is made *Immediate*, of an account, due at 15:00. A rename in the
    mailbox meets that change at the write: whatever the tenant's policy (here "SAP wins"),
    the mailbox's version goes up, with the priority and due date it holds (Google Tasks holds
    no priority: SAP's stays), and the account stays, as the mailbox names none; its issue
    says so. Then SAP moves the task to another account, which the mailbox cannot show: the
    next rename meets no conflict and leaves it. A last rename goes up over the version it
    was synced at, which C4C is asked for (the feed reads no tasks), and leaves all as is."""
    type_settings(
        session, tenant, ItemType.TASK,
        direction=Direction.UP, conflict_policy=ConflictPolicy.C4C_WINS,
    )  # fmt: skip
    jane = known_contact(crm)
    owner.add_task("Send the offer")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    [task] = crm.read("TasksCollection")
    due = datetime(2027, 1, 15, 15, 0, tzinfo=UTC)
    set_in_sap = {"PriorityCode": "1", "AccountID": jane["AccountID"], "DueDateTime": due}
    crm.update("TasksCollection", task["ObjectID"], set_in_sap, None)

    def in_sap() -> dict:
        held = crm.get("TasksCollection", task["ObjectID"])
        return {name: held[name] for name in ("Subject", *set_in_sap)}

    owner.edit_task("Send the offer", to="Send the offer today")
    first = sync_now()  # meets SAP's change: a conflict, the mailbox's version kept
    assert (first.outcome, first.issues_opened) == (RunOutcome.SUCCEEDED, 1), first.error_message
    [conflict] = session.scalars(select(Issue).where(Issue.code == IssueCode.CONFLICT)).all()
    assert "kept the mailbox version" in (conflict.backend_message or "")
    assert owner.task_subjects() == ["Send the offer today"]
    kept = {"PriorityCode": "1" if owner.kind == "gmail" else "3", "DueDateTime": None}
    assert in_sap() == {"Subject": "Send the offer today", "AccountID": jane["AccountID"], **kept}

    globex = crm.create("CorporateAccountCollection", {"Name": "Globex"}, None)["AccountID"]
    crm.update("TasksCollection", task["ObjectID"], {"AccountID": globex}, None)
    for before, after in (("Send the offer today", "Send the offer now"),
                          ("Send the offer now", "Send the offer")):  # fmt: skip
        owner.edit_task(before, to=after)
        renamed = sync_now()
        assert (renamed.outcome, renamed.updated, renamed.issues_opened) == (
            RunOutcome.SUCCEEDED, 1, 0,
        )  # fmt: skip
        assert in_sap() == {"Subject": after, "AccountID": globex, **kept}


def test_appointments_link_by_attendee_and_never_invite(
    owner: MailboxOwner, crm: C4CClient, sync_now, session, mailbox
) -> None:
    jane = known_contact(crm)
    meeting = owner.add_meeting("Kick-off", "jane@fabrikam.test")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    [appointment] = crm.read("AppointmentCollection")
    assert appointment["PrimaryContactID"] == jane["ContactID"]

    owner.forget_requests()
    crm.update(
        "AppointmentCollection", appointment["ObjectID"], {"Subject": "Kick-off (moved)"}, None
    )
    run = sync_now()
    assert owner.invitations_sent() == 0
    if owner.kind != "graph":
        assert run.outcome is RunOutcome.SUCCEEDED
        assert owner.meeting_subject(meeting) == "Kick-off (moved)"
        return
    # Exchange Online would tell the attendee of any change: the organiser makes it in Outlook.
    assert owner.meeting_subject(meeting) == "Kick-off"
    [issue] = issue_service.open_issues(session, mailbox.id)
    assert (issue.backend_code, issue.action_title) == (
        "WouldNotifyAttendees", "Make the change in Outlook")  # fmt: skip
    assert isinstance(owner, GraphOwner)
    marked = owner.error_tags(ItemType.APPOINTMENT, "Change it in Outlook")
    assert owner.meeting_tags(meeting) == {"SAP"} | marked
