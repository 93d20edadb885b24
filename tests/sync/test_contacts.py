"""The engine on contacts, end to end against the C4C emulator and Exchange's or Google's."""

from __future__ import annotations

from backend.crm.c4c import C4CClient
from backend.models import Issue
from backend.models.run import RunOutcome
from backend.models.types import IssueCode, ItemType
from backend.sync import issues as issue_service
from tests.support.owners import MailboxOwner
from tests.support.world import both_mail_systems

pytestmark = both_mail_systems


def test_first_run_creates_contacts_in_c4c(owner: MailboxOwner, crm: C4CClient, sync_now) -> None:
    owner.add_contact("Jane", "Doe", email="jane@fabrikam.test")
    run = sync_now()
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    contacts = list(crm.read("ContactCollection"))
    assert [(c["FirstName"], c["LastName"], c["Email"]) for c in contacts] == [
        ("Jane", "Doe", "jane@fabrikam.test")
    ]
    assert run.created == 1
    again = sync_now()
    assert (again.created, again.updated) == (0, 0)
    assert len(list(crm.read("ContactCollection"))) == 1


def test_missing_last_name_is_marked_then_resolved_by_the_user(
    owner: MailboxOwner, crm: C4CClient, sync_now, session, mailbox
) -> None:
    contact = owner.add_contact("Nolast", tags=("Customer VIP",))
    run = sync_now()
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    open_issues = issue_service.open_issues(session, mailbox.id)
    assert [(i.code, i.fields) for i in open_issues] == [(IssueCode.NEEDS_INPUT, ["LastName"])]
    marked = owner.error_tags(ItemType.CONTACT, "Last name missing")
    assert owner.contact(contact).tags == {"Customer VIP"} | marked

    owner.edit_contact(contact, last="Smith")
    run = sync_now()
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert issue_service.open_issues(session, mailbox.id) == []
    assert [c["LastName"] for c in crm.read("ContactCollection")] == ["Smith"]
    assert owner.contact(contact).tags == {"Customer VIP"}
    assert session.query(Issue).one().resolution == "AUTO"
