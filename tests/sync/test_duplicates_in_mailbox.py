"""Two mailbox contacts with one address (an import made twice, a card copied): the first is
synced, the second gets an issue. It is neither paired with the same SAP contact (which would
end every run on the pairing's unique key) nor created in SAP a second time, whether the SAP
contact was there before or is made by this run, and however the run chunks its creates."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.crm.c4c import C4CClient
from backend.models import Issue, SyncItem
from backend.models.run import RunOutcome
from backend.models.sync_item import SyncItemState
from backend.models.types import IssueCode, ItemType
from backend.sync import creates
from tests.support.items import items_of
from tests.support.owners import MailboxOwner
from tests.support.world import both_mail_systems

pytestmark = both_mail_systems
ADDRESS = "ann@fabrikam.test"


def _open_issues(session, mailbox) -> list[Issue]:
    session.expire_all()
    return list(
        session.scalars(
            select(Issue).where(Issue.mailbox_id == mailbox.id, Issue.resolved_at.is_(None))
        )
    )


def _sap_contacts(crm: C4CClient) -> list[dict]:
    return [c for c in crm.read("ContactCollection") if c.get("Email") == ADDRESS]


def _contacts(session, mailbox) -> list[SyncItem]:
    return items_of(session, mailbox, ItemType.CONTACT)


def _the_duplicate(session, mailbox) -> Issue:
    [issue] = _open_issues(session, mailbox)
    assert (issue.code, issue.backend_code, issue.fields) == (
        IssueCode.NEEDS_INPUT, "DuplicateInMailbox", ["Email"],
    )  # fmt: skip
    assert "already synced with the SAP record" in issue.backend_message
    return issue


def test_a_second_contact_matching_what_sap_has_gets_an_issue_and_the_run_succeeds(
    owner: MailboxOwner, crm: C4CClient, session, mailbox, sync_now
) -> None:
    [colleague] = crm.create_many("ContactCollection", [("colleague-1", {
        "FirstName": "Ann", "LastName": "Customer", "Email": ADDRESS})])  # fmt: skip
    owner.add_contact("Ann", "Customer", email=ADDRESS)
    owner.add_contact("Ann", "Customer", email=ADDRESS)

    run = sync_now()

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.created, run.failed) == (0, 1)
    duplicate = _the_duplicate(session, mailbox)
    paired = [item for item in _contacts(session, mailbox) if item.state is SyncItemState.SYNCED]
    assert [item.c4c_object_id for item in paired] == [colleague.entity["ObjectID"]]
    assert duplicate.mailbox_item_id != paired[0].mailbox_item_id
    assert len(_sap_contacts(crm)) == 1

    again = sync_now()
    assert again.outcome is RunOutcome.SUCCEEDED, again.error_message
    assert (again.created, again.updated, again.issues_opened) == (0, 0, 0)
    assert len(_sap_contacts(crm)) == 1


@pytest.mark.parametrize("chunk", [creates.CHUNK, 1], ids=["one chunk", "a chunk each"])
def test_two_new_contacts_with_one_address_make_one_sap_contact(
    owner: MailboxOwner, crm: C4CClient, session, mailbox, sync_now, monkeypatch, chunk
) -> None:
    monkeypatch.setattr(creates, "CHUNK", chunk)
    owner.add_contact("Ann", "Customer", email=ADDRESS)
    owner.add_contact("Ann", "Customer", email=ADDRESS)
    owner.add_contact("Ben", "Other", email="ben@fabrikam.test")

    run = sync_now()

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.created, run.failed) == (2, 1)
    _the_duplicate(session, mailbox)
    assert len(_sap_contacts(crm)) == 1


def test_deleting_the_duplicate_in_the_mailbox_resolves_its_issue(
    owner: MailboxOwner, crm: C4CClient, session, mailbox, sync_now
) -> None:
    owner.add_contact("Ann", "Customer", email=ADDRESS)
    owner.add_contact("Ann", "Customer", email=ADDRESS)
    sync_now()
    duplicate = _the_duplicate(session, mailbox)

    owner.delete_contact(duplicate.mailbox_item_id)
    run = sync_now()

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert _open_issues(session, mailbox) == []
    assert len(_sap_contacts(crm)) == 1
