"""The engine on contacts, end to end against the C4C and EWS emulators."""

from __future__ import annotations

from exchangelib import Account, Contact
from exchangelib.indexed_properties import EmailAddress

from backend.crm.c4c import C4CClient
from backend.models import Issue
from backend.models.run import RunOutcome
from backend.models.types import IssueCode
from backend.sync import issues as issue_service


def sap_contacts(outlook: Account):
    return outlook.contacts / "SAP Contacts"


def add_contact(outlook: Account, **fields) -> Contact:
    contact = Contact(folder=sap_contacts(outlook), account=outlook, **fields)
    contact.save()
    return contact


def test_first_run_creates_contacts_in_c4c(outlook, crm: C4CClient, sync_now, session) -> None:
    add_contact(
        outlook, given_name="Jane", surname="Doe", display_name="Jane Doe",
        email_addresses=[EmailAddress(email="jane@fabrikam.test", label="EmailAddress1")],
    )  # fmt: skip
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
    outlook, crm: C4CClient, sync_now, session, mailbox
) -> None:
    contact = add_contact(
        outlook, given_name="Nolast", display_name="Nolast", categories=["Customer VIP"]
    )
    run = sync_now()
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    open_issues = issue_service.open_issues(session, mailbox.id)
    assert [(i.code, i.fields) for i in open_issues] == [(IssueCode.NEEDS_INPUT, ["LastName"])]
    contact.refresh()
    assert set(contact.categories) == {
        "Customer VIP",
        "Sync Error",
        "Sync Error: Last name missing",
    }

    contact.surname = "Smith"
    contact.save(update_fields=["surname"])
    run = sync_now()
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert issue_service.open_issues(session, mailbox.id) == []
    assert [c["LastName"] for c in crm.read("ContactCollection")] == ["Smith"]
    contact.refresh()
    assert contact.categories == ["Customer VIP"]
    assert session.query(Issue).one().resolution == "AUTO"
