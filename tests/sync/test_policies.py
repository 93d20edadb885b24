"""Conflicts, C4C refusals, deletes, lost cursors, the mass-change guard and sign-in failures,
for a mailbox on Exchange and one on Gmail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.crm.c4c import C4CClient
from backend.models import Issue, Mailbox, SyncItem, Tenant
from backend.models.mailbox import HealthStatus
from backend.models.run import RunOutcome, Trigger
from backend.models.tenant import ConflictPolicy
from backend.models.types import Direction, IssueCode, ItemType
from backend.storage.db import utcnow
from backend.sync import issues as issue_service
from backend.sync import status
from backend.sync.engine import Engine
from backend.sync.runs import execute_run
from emulators.base import Emulator
from emulators.c4c import C4CEmulator
from tests.support.owners import MailboxOwner
from tests.support.world import both_mail_systems, type_settings
from tests.support.writes import quiet_runs

pytestmark = both_mail_systems


def synced_contact(owner: MailboxOwner, sync_now, surname: str = "Doe") -> str:
    contact = new_contact(owner, surname)
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    return contact


def new_contact(owner: MailboxOwner, surname: str = "Doe") -> str:
    return owner.add_contact("Jane", surname, email=f"{surname.lower()}@fabrikam.test")


def object_id(session, contact: str) -> str:
    return session.scalars(
        select(SyncItem.c4c_object_id).where(SyncItem.mailbox_item_id == contact)
    ).one()


def set_policy(session, tenant: Tenant, policy: ConflictPolicy) -> None:
    config = tenant.config
    config.item_types[ItemType.CONTACT].conflict_policy = policy
    tenant.config = config
    session.commit()


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (ConflictPolicy.C4C_WINS, "FromC4C"),
        (ConflictPolicy.MAILBOX_WINS, "FromMailbox"),
        (ConflictPolicy.NEWER_WINS, "FromMailbox"),
    ],
)
def test_conflict_follows_the_tenant_policy(
    owner, crm: C4CClient, sync_now, session, tenant, mailbox, policy, expected
) -> None:
    set_policy(session, tenant, policy)
    contact = synced_contact(owner, sync_now)
    oid = object_id(session, contact)
    crm.update("ContactCollection", oid, {"JobTitle": "FromC4C"}, None)
    owner.later()
    owner.edit_contact(contact, job_title="FromMailbox")

    run = sync_now()
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert crm.get("ContactCollection", oid)["JobTitle"] == expected
    assert owner.contact(contact).job_title == expected
    logged = session.scalars(select(Issue).where(Issue.code == IssueCode.CONFLICT)).one()
    assert logged.informational and logged.resolved_at is not None
    assert issue_service.open_issues(session, mailbox.id) == []


@pytest.mark.parametrize("policy", list(ConflictPolicy))
def test_a_conflict_where_contacts_go_up_only_keeps_the_mailbox_version_whatever_the_policy(
    owner, crm: C4CClient, c4c: C4CEmulator, mail_emulator: Emulator, sync_now, session, tenant,
    mailbox, policy,
) -> None:  # fmt: skip
    """The tenant takes contacts from the mailbox to SAP only, so SAP's job title, set after the
    mailbox's, is not read: the mailbox's meets it at the write (a 412). The policy settles
    conflicts between two sides whose changes both go across; here SAP's never comes into the
    mailbox, so the mailbox's version goes up and stays, and the issue says so."""
    type_settings(session, tenant, ItemType.CONTACT, direction=Direction.UP,
                  conflict_policy=policy)  # fmt: skip
    contact = synced_contact(owner, sync_now)
    oid = object_id(session, contact)
    owner.edit_contact(contact, job_title="FromMailbox")
    crm.update("ContactCollection", oid, {"JobTitle": "FromC4C"}, None)

    run = sync_now()
    assert (run.outcome, run.issues_opened) == (RunOutcome.SUCCEEDED, 1), run.error_message
    assert crm.get("ContactCollection", oid)["JobTitle"] == "FromMailbox"
    assert owner.contact(contact).job_title == "FromMailbox"
    logged = session.scalars(select(Issue).where(Issue.code == IssueCode.CONFLICT)).one()
    assert "kept the mailbox version" in logged.backend_message and logged.resolved_at is not None
    quiet_runs(sync_now, mail_emulator, c4c)


def test_c4c_forbids_the_edit(owner, c4c: C4CEmulator, sync_now, session, mailbox) -> None:
    contact = synced_contact(owner, sync_now)
    c4c.service.store.read_only.add(object_id(session, contact))
    owner.edit_contact(contact, job_title="Boss")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    [issue] = issue_service.open_issues(session, mailbox.id)
    assert (issue.code, issue.http_status) == (IssueCode.FORBIDDEN, 403)
    marked = owner.error_tags(ItemType.CONTACT, "Not allowed in SAP")
    assert owner.contact(contact).tags == marked


def test_a_deleted_contact_is_deleted_in_c4c_only_when_missed_twice(
    owner, crm: C4CClient, sync_now, session
) -> None:
    contact = synced_contact(owner, sync_now)
    oid = object_id(session, contact)
    owner.delete_contact(contact)
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert crm.get("ContactCollection", oid)["LastName"] == "Doe"
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert list(crm.read("ContactCollection")) == []
    assert session.scalars(select(SyncItem)).all() == []


def test_an_invalid_cursor_means_a_full_read_without_duplicates(
    owner, crm: C4CClient, sync_now, session, mailbox
) -> None:
    synced_contact(owner, sync_now)
    session.refresh(mailbox)
    mailbox.item_state(ItemType.CONTACT).cursor = "bm90LWEtc3RhdGU="
    session.commit()
    run = sync_now()
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert len(list(crm.read("ContactCollection"))) == 1
    assert issue_service.open_issues(session, mailbox.id) == []


def test_the_mass_change_guard_holds_and_writes_nothing(
    owner, crm: C4CClient, sync_now, session, mailbox, mail
) -> None:
    contacts = [new_contact(owner, surname=f"Doe{n}") for n in range(30)]
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    for contact in contacts:
        crm.update("ContactCollection", object_id(session, contact), {"JobTitle": "Mass"}, None)
    run = sync_now()
    assert run.outcome is RunOutcome.HELD
    [hold] = issue_service.open_issues(session, mailbox.id)
    assert hold.backend_code == "MassChangeHeld" and hold.item_key == ""
    [asked] = mail.messages
    assert asked.recipients == ("kim@contoso.test",)
    assert "30 of its 30 synced items" in asked.body
    assert owner.contact(contacts[0]).job_title is None

    status.approve_mass_change(session.get(Mailbox, mailbox.id), utcnow())
    session.commit()
    run = sync_now()
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert owner.contact(contacts[0]).job_title == "Mass"
    assert issue_service.open_issues(session, mailbox.id) == []


def test_wrong_credentials_stop_the_mailbox(
    owner, sync_now, session, mailbox, resources, mail, app
) -> None:
    from backend.auth.credentials import store_mailbox_credentials

    store_mailbox_credentials(mailbox, owner.wrong_credentials(), resources.cipher)
    session.commit()
    run = sync_now()
    assert (run.outcome, run.error_code) == (RunOutcome.FAILED, IssueCode.AUTH)
    session.refresh(mailbox)
    assert mailbox.status is HealthStatus.FAILED_AUTH
    assert [m.subject for m in mail.messages] == [
        "Sync of anna@contoso.test stopped: please re-activate"
    ]
    from backend.jobs.runtime import use_app
    from backend.jobs.schedule import enqueue_due_mailboxes

    use_app(app)
    session.query(Mailbox).update({"next_sync_at": utcnow()})
    session.commit()
    assert enqueue_due_mailboxes() == 1, "only the key user's mailbox; not the stopped one"


def test_a_busy_mail_system_is_waited_for_as_it_asks(
    owner, crm: C4CClient, session, mailbox, resources
) -> None:
    new_contact(owner)
    owner.make_busy(times=2)
    waits: list[float] = []

    engine = Engine(resources.cipher, resources.settings, sleep=waits.append)
    run = execute_run(session, mailbox, engine, trigger=Trigger.CLI, settings=resources.settings)
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert waits == [owner.busy_wait] * 2
    assert len(list(crm.read("ContactCollection"))) == 1


def test_failed_runs_against_a_broken_mail_system_warn_mail_once_then_all_clear(
    owner, session, mailbox, resources, mail
) -> None:
    engine = Engine(resources.cipher, resources.settings, sleep=lambda _seconds: None)

    def run_once():
        session.refresh(mailbox)
        return execute_run(
            session, mailbox, engine, trigger=Trigger.SCHEDULE, settings=resources.settings
        )

    owner.take_down()
    outcomes = [run_once().error_code for _ in range(10)]
    assert outcomes == [IssueCode.TEMPORARY] * 10
    assert [m.subject for m in mail.messages] == [
        # The third failure warns ahead of the notice (3 of the last 5 runs).
        "Warning: Sync is failing more often than usual (anna@contoso.test)",
        "Sync of anna@contoso.test has failed 10 times in a row",
    ]
    run_once()
    assert len(mail.messages) == 2
    owner.bring_up()
    assert run_once().outcome is RunOutcome.SUCCEEDED
    assert mail.messages[-1].subject == "Sync of anna@contoso.test works again"
    assert len(mail.messages) == 3


def test_a_contact_deleted_in_c4c_leaves_the_mailbox_on_the_second_miss(
    owner, crm: C4CClient, sync_now, session
) -> None:
    contact = synced_contact(owner, sync_now)
    crm.delete("ContactCollection", object_id(session, contact))
    owner.edit_contact(contact, job_title="Still here")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert owner.contact_ids() == [contact], "kept after one miss"
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert owner.contact_ids() == []
    assert session.scalars(select(SyncItem)).all() == []
