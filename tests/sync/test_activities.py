"""E-mails, tasks and appointments: linked to C4C contacts by address, never inviting anyone."""

from __future__ import annotations

from datetime import timedelta

from exchangelib import Account, CalendarItem, EWSDateTime, Task
from exchangelib.properties import Attendee
from exchangelib.properties import Mailbox as Address

from backend.crm.c4c import C4CClient
from backend.models.run import RunOutcome
from backend.models.types import IssueCode
from backend.sync import issues as issue_service
from emulators.ews import EwsEmulator
from emulators.ews.seed import add_message
from tests.sync.conftest import ADDRESS


def known_contact(crm: C4CClient) -> dict:
    account = crm.create("CorporateAccountCollection", {"Name": "Fabrikam"}, "seed-account")
    return crm.create(
        "ContactCollection",
        {"FirstName": "Jane", "LastName": "Doe", "Email": "jane@fabrikam.test",
         "AccountID": account["AccountID"]},
        "seed-contact",
    )  # fmt: skip


def test_emails_link_to_the_sender_and_unknown_senders_need_an_account(
    ews: EwsEmulator, outlook: Account, crm: C4CClient, sync_now, session, mailbox
) -> None:
    jane = known_contact(crm)
    box = ews.store.mailbox(ADDRESS)
    add_message(box, "Quote for Fabrikam", "jane@fabrikam.test", categories=["SAP"])
    add_message(box, "Hello from nowhere", "stranger@nowhere.test", categories=["SAP"])
    add_message(box, "Lunch?", "friend@example.org")

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
    stranger = outlook.inbox.get(subject="Hello from nowhere")
    assert set(stranger.categories) == {"SAP", "Sync Error", "Sync Error: Account missing"}


def test_tasks_sync_both_ways(outlook: Account, crm: C4CClient, sync_now) -> None:
    task = Task(folder=outlook.tasks, account=outlook, subject="Send the offer", categories=["SAP"])
    task.save()
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    [created] = crm.read("TasksCollection")
    assert created["Subject"] == "Send the offer"

    crm.update("TasksCollection", created["ObjectID"], {"LifeCycleStatusCode": "3"}, None)
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    task.refresh()
    assert task.status == "Completed"


def test_appointments_link_by_attendee_and_never_invite(
    ews: EwsEmulator, outlook: Account, crm: C4CClient, sync_now
) -> None:
    jane = known_contact(crm)
    start = EWSDateTime.now(tz=outlook.default_timezone).replace(microsecond=0) + timedelta(days=1)
    meeting = CalendarItem(
        folder=outlook.calendar, account=outlook, subject="Kick-off", start=start,
        end=start + timedelta(hours=1), categories=["SAP"],
        required_attendees=[Attendee(mailbox=Address(email_address="jane@fabrikam.test"))],
    )  # fmt: skip
    meeting.save(send_meeting_invitations="SendToNone")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    [appointment] = crm.read("AppointmentCollection")
    assert appointment["PrimaryContactID"] == jane["ContactID"]

    ews.log.clear()
    crm.update(
        "AppointmentCollection", appointment["ObjectID"], {"Subject": "Kick-off (moved)"}, None
    )
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    meeting.refresh()
    assert meeting.subject == "Kick-off (moved)"
    updates = [e.body for e in ews.log.entries("POST") if b"UpdateItem" in e.body]
    assert updates and all(
        b'SendMeetingInvitationsOrCancellations="SendToNone"' in b for b in updates
    )
