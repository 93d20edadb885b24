"""A folder the product keeps that the user renamed or deleted, on every mail system.

Renamed, it is followed: its items go on syncing, what SAP adds for the user lands in it, and
the user is told once. Deleted, it is put back (empty) and the user is told once; nothing fails.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.crm.c4c import C4CClient
from backend.extensions import Resources
from backend.models import Notification, Run, Tenant, User
from backend.models.notification import NotificationKind
from backend.models.run import RunOutcome
from backend.sync import employees
from emulators.c4c import C4CEmulator
from emulators.c4c.seed import seed_employees
from tests.support.owners import MailboxOwner
from tests.support.world import ADDRESS, both_mail_systems

pytestmark = both_mail_systems


@pytest.fixture
def anna_in_sap(session: Session, resources: Resources, c4c: C4CEmulator, tenant: Tenant) -> str:
    """Anna's C4C employee, matched to her as a connection test matches people."""
    seed_employees(c4c.service.store, (("Anna", "Sales", ADDRESS),))
    employees.match_tenant(session, tenant, resources.cipher, resources.settings)
    session.commit()
    user = session.scalars(select(User).where(User.email == ADDRESS)).one()
    assert user.c4c_employee_id
    return user.c4c_employee_id


COUNTERS = ("created", "updated", "deleted", "failed", "issues_opened", "issues_resolved")


def _done(run: Run) -> dict[str, int]:
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    return {name: getattr(run, name) for name in COUNTERS if getattr(run, name)}


def _told(session: Session) -> list[str]:
    session.expire_all()
    return list(
        session.scalars(
            select(Notification.subject)
            .where(Notification.kind == NotificationKind.FOLDER_CHANGED)
            .order_by(Notification.id)
        )
    )


def test_a_renamed_sap_folder_is_followed_and_the_user_told_once(
    owner: MailboxOwner,
    crm: C4CClient,
    sync_now: Callable[[], Run],
    session: Session,
    anna_in_sap: str,
) -> None:
    jane = owner.add_contact("Jane", "Doe", email="jane@fabrikam.test")
    assert _done(sync_now()) == {"created": 1}

    owner.rename_contacts_folder("Customers")
    assert _done(sync_now()) == {}, "nothing written, nothing failed"
    owner.edit_contact(jane, job_title="Buyer")
    assert _done(sync_now()) == {"updated": 1}, "the renamed folder's items still sync"
    [found] = crm.read("ContactCollection", filter="LastName eq 'Doe'")
    assert found["JobTitle"] == "Buyer"

    for first in ("Sam", "Sue"):
        crm.create("ContactCollection", {"FirstName": first, "LastName": "Sap",
                                         "OwnerID": anna_in_sap}, None)  # fmt: skip
        assert _done(sync_now()) == {"created": 1}
    assert owner.contact_names() == ["Jane Doe", "Sam Sap", "Sue Sap"], "SAP's contacts land there"
    for _round in range(2):
        assert _done(sync_now()) == {}
    # Exchange Online's delta link follows its folder through a rename, so Graph looks the
    # folder up (and tells) only when it needs it: here, for the copy from SAP.
    assert _told(session) == ['Your folder "SAP Contacts" is now "Customers": sync follows it']


def test_a_deleted_sap_folder_is_put_back_and_the_user_told_once(
    owner: MailboxOwner, crm: C4CClient, sync_now: Callable[[], Run], session: Session
) -> None:
    owner.add_contact("Jane", "Doe", email="jane@fabrikam.test")
    assert _done(sync_now()) == {"created": 1}

    owner.delete_contacts_folder()
    run = sync_now()
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert _told(session) == ['Your folder "SAP Contacts" was missing and has been put back']
    owner.add_contact("Joe", "Bloggs", email="joe@fabrikam.test")
    assert _done(sync_now())["created"] == 1, "the folder put back syncs"
    assert "Joe Bloggs" in owner.contact_names()
    assert len(_told(session)) == 1, "told once"
