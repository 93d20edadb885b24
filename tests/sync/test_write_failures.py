"""C4C failures of the write phase are classified like those of reads: a 500 on ``$batch``, a
failed look-up of our references or of a link, a C4C that answers no more. The run finishes
what it can; what failed waits for the next run, which writes it once."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from backend.crm.c4c import C4CClient
from backend.models import Issue
from backend.models.run import RunOutcome
from backend.models.sync_item import SyncItemState
from backend.models.types import ItemType
from emulators.base import Fault
from emulators.c4c import C4CEmulator
from tests.support.items import items_of
from tests.support.owners import MailboxOwner
from tests.support.world import contacts_go_up_only

RECORDED = json.loads((Path(__file__).parent / "classifiers" / "c4c_error_bodies.json").read_text())
DUMP = RECORDED["dump"]
"""A real C4C 500: "Runtime error occurred" in SAP's envelope."""


def _batch_fails(c4c: C4CEmulator, *, times: int = 1, retry_after: str | None = None) -> None:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    c4c.faults.add(
        Fault(path=r"/\$batch$", method="POST", status=DUMP["status"], body=DUMP["body"],
              headers=headers, times=times)
    )  # fmt: skip


def test_a_500_on_batch_fails_its_items_for_now_and_the_run_finishes_the_rest(
    owner: MailboxOwner, crm: C4CClient, c4c: C4CEmulator, session, mailbox, sync_now
) -> None:
    for number in range(3):
        owner.add_contact("Ann", f"Customer{number}", email=f"c{number}@fabrikam.test")
    owner.add_task("Call Fabrikam back")
    _batch_fails(c4c)

    run = sync_now()

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.created, run.failed) == (1, 3)
    assert [t["Subject"] for t in crm.read("TasksCollection")] == ["Call Fabrikam back"]
    contacts = items_of(session, mailbox, ItemType.CONTACT)
    assert {(i.state, i.temporary_failures) for i in contacts} == {(SyncItemState.PENDING, 1)}
    assert session.scalars(select(Issue)).all() == [], "temporary: no issue before it repeats"

    again = sync_now()

    assert again.outcome is RunOutcome.SUCCEEDED, again.error_message
    assert again.created == 3
    emails = Counter(c["Email"] for c in crm.read("ContactCollection"))
    assert emails == Counter({f"c{n}@fabrikam.test": 1 for n in range(3)})
    assert {i.state for i in items_of(session, mailbox, ItemType.CONTACT)} == {SyncItemState.SYNCED}


def test_a_500_on_batch_with_retry_after_is_sent_again_in_the_same_run(
    owner: MailboxOwner, crm: C4CClient, c4c: C4CEmulator, sync_now
) -> None:
    owner.add_contact("Ann", "Customer", email="ann@fabrikam.test")
    _batch_fails(c4c, retry_after="0")

    run = sync_now()

    assert (run.outcome, run.created, run.failed) == (RunOutcome.SUCCEEDED, 1, 0)
    assert c4c.log.count("POST", r"/\$batch$") == 2
    assert [c["Email"] for c in crm.read("ContactCollection")] == ["ann@fabrikam.test"]


def test_a_failed_look_up_of_our_references_keeps_the_creates_waiting(
    owner: MailboxOwner, crm: C4CClient, c4c: C4CEmulator, session, tenant, mailbox, sync_now
) -> None:
    """Creates a cut-short run left unsure are looked up by ExternalID first; when that read
    fails, they are not sent blind (that could duplicate them): they wait for the next run."""
    contacts_go_up_only(session, tenant)
    for number in range(2):
        owner.add_contact("Ann", f"Customer{number}", email=f"c{number}@fabrikam.test")
    _batch_fails(c4c)
    assert sync_now().failed == 2
    owner.add_task("Call Fabrikam back")
    c4c.faults.add(Fault(path="ContactCollection$", method="GET", status=500, body=DUMP["body"]))

    run = sync_now()

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.created, run.failed) == (1, 2), "the task went up, the contacts wait"
    assert list(crm.read("ContactCollection")) == []
    contacts = items_of(session, mailbox, ItemType.CONTACT)
    assert {(i.state, i.temporary_failures) for i in contacts} == {(SyncItemState.PENDING, 2)}

    last = sync_now()
    assert (last.outcome, last.created) == (RunOutcome.SUCCEEDED, 2)
    assert len(list(crm.read("ContactCollection"))) == 2


def test_a_failed_link_read_fails_the_item_not_the_run(
    owner: MailboxOwner, crm: C4CClient, c4c: C4CEmulator, session, tenant, mailbox, sync_now
) -> None:
    contacts_go_up_only(session, tenant)
    contact = owner.add_contact("Ann", "Customer", email="ann@fabrikam.test")
    other = owner.add_contact("Bob", "Customer", email="bob@fabrikam.test")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    owner.edit_contact(contact, job_title="Buyer")
    owner.edit_contact(other, job_title="Head of Sales")
    # The look-up of both addresses together fails, then the first one's own look-up.
    c4c.faults.add(Fault(path="ContactCollection$", method="GET", status=500, body=DUMP["body"],
                         times=2))  # fmt: skip

    run = sync_now()

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.updated, run.failed) == (1, 1)
    failed = [i for i in items_of(session, mailbox, ItemType.CONTACT) if i.temporary_failures]
    assert [(i.state, i.temporary_failures) for i in failed] == [(SyncItemState.FAILED, 1)]

    again = sync_now()
    assert (again.outcome, again.updated, again.failed) == (RunOutcome.SUCCEEDED, 1, 0)
    titles = sorted(c["JobTitle"] for c in crm.read("ContactCollection"))
    assert titles == ["Buyer", "Head of Sales"]


def test_a_failed_link_prefetch_never_makes_a_duplicate_of_what_c4c_has(
    owner: MailboxOwner, crm: C4CClient, c4c: C4CEmulator, session, tenant, sync_now
) -> None:
    """The prefetch of addresses fails: the contacts are then looked up one by one, so the new
    mailbox contact pairs with the colleague's C4C contact instead of being created again."""
    contacts_go_up_only(session, tenant)
    crm.create("ContactCollection", {"FirstName": "Ann", "LastName": "Customer",
                                     "Email": "ann@fabrikam.test"}, "colleague-1")  # fmt: skip
    owner.add_contact("Ann", "Customer", email="ann@fabrikam.test")
    c4c.faults.add(Fault(path="ContactCollection$", method="GET", status=500, body=DUMP["body"]))

    run = sync_now()

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.created, run.failed) == (0, 0)
    assert [c["Email"] for c in crm.read("ContactCollection")] == ["ann@fabrikam.test"]
