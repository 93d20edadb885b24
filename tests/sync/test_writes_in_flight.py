"""A run's C4C writes go several at once (``C4C_WRITES_IN_FLIGHT``): its ``$batch`` requests of
creates, and its changes, themselves in ``$batch`` requests; each answer is stored in turn by the
run itself. Whatever fails among writes in flight (one refused, one that ends the run, throttling,
a new CSRF token, a C4C that stops answering, an answer lost, a request refused as a whole)
nothing is lost, nothing is created twice and no edit is rolled back for nothing; a worker killed
with batches in flight is ``test_worker_killed``'s."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.extensions import Resources
from backend.models import Issue, Run, SyncItem
from backend.models.run import RunOutcome, Trigger
from backend.models.sync_item import SyncItemState
from backend.models.tenant import ForbiddenPolicy
from backend.models.types import IssueCode, ItemType
from backend.sync.engine import Engine
from backend.sync.runs import execute_run
from emulators.base import Fault
from emulators.c4c import C4CEmulator
from emulators.ews import EwsEmulator
from emulators.ews.seed import add_contact
from tests.support.items import items_of
from tests.support.owners import MailboxOwner
from tests.support.world import ADDRESS, both_mail_systems, contacts_go_up_only

RECORDED = json.loads((Path(__file__).parent / "classifiers" / "c4c_error_bodies.json").read_text())
"""C4C's own error answers."""
CONTACTS = 250
"""Three ``$batch`` requests of the client's hundred: 0-99, 100-199, 200-249."""
LATENCY = 0.2
"""C4C takes each request this much later (as across a network), so batches sent together are
seen together."""
BATCH = r"/\$batch$"
CREATES = "POST ContactCollection"
"""What a ``$batch`` of creates holds (the run's look-ups go in ``$batch`` requests too)."""

Sync = Callable[..., Run]


@pytest.fixture
def sync_with(session, resources: Resources, mailbox) -> Sync:
    """A run of Anna's mailbox with ``in_flight`` writes at once, other settings as configured."""

    def run(in_flight: int = 3, **settings: object) -> Run:
        changed = dataclasses.replace(
            resources.settings, c4c_writes_in_flight=in_flight, **settings
        )
        session.refresh(mailbox)
        engine = Engine(resources.cipher, changed, resources.redis, sleep=lambda _s: None)
        return execute_run(session, mailbox, engine, trigger=Trigger.CLI, settings=changed)

    return run


@pytest.fixture
def slow_c4c(c4c: C4CEmulator) -> C4CEmulator:
    c4c.latency = LATENCY
    yield c4c
    c4c.latency = 0.0


def _email(number: int) -> str:
    return f"p{number:04d}@customer.test"


def _contacts_in_outlook(ews: EwsEmulator) -> None:
    box = ews.store.mailbox(ADDRESS)
    for number in range(CONTACTS):
        add_contact(box, f"First{number:04d}", f"Person{number:04d}", _email(number))


def _contacts(session, mailbox) -> list[SyncItem]:
    return items_of(session, mailbox, ItemType.CONTACT)


def _each_once_in_c4c(c4c: C4CEmulator, count: int = CONTACTS) -> dict[str, str]:
    """C4C's contacts by e-mail, each there once (and under one reference)."""
    contacts = c4c.service.store.all("ContactCollection")
    assert len(contacts) == count
    assert max(Counter(c["Email"] for c in contacts).values(), default=1) == 1, "no duplicate"
    assert max(Counter(c["ExternalID"] for c in contacts).values(), default=1) == 1
    return {c["Email"]: c["ObjectID"] for c in contacts}


def _create_batches(c4c: C4CEmulator) -> int:
    return sum(1 for entry in c4c.log.entries("POST", BATCH) if CREATES.encode() in entry.body)


def _created_in(email: str) -> str:
    """Text only the ``$batch`` creating the contact of ``email`` holds."""
    return f'"Email": "{email}"'


def _refused(
    c4c: C4CEmulator, answer: str, containing: str = CREATES, times: int = 1, **headers: str
) -> None:
    """The next ``times`` ``$batch`` requests holding ``containing`` get C4C's ``answer`` (its
    headers changed by ``headers``)."""
    recorded = RECORDED[answer]
    recorded = {**recorded, "headers": {**recorded["headers"], **headers}}
    c4c.faults.add(
        Fault(path=BATCH, method="POST", status=recorded["status"], body=recorded["body"],
              content_type=recorded["headers"]["Content-Type"], times=times,
              headers={k: v for k, v in recorded["headers"].items() if k != "Content-Type"},
              containing=containing)
    )  # fmt: skip


LIMITS = {"connect_timeout_seconds": 3.0, "read_timeout_seconds": 3.0,
          "service_give_up_seconds": 1.0, "circuit_open_seconds": 0}  # fmt: skip
"""Three seconds to answer (the mail server's emulator, busy beside a loaded suite, needs more
than one now and then), and a run gives up on C4C at its first request left unanswered."""
AFTER = {"circuit_open_seconds": 0}
"""The runs after C4C answers again: the usual timeouts, since what they show does not hang on
one request (a loaded machine keeps one waiting over three seconds now and then), and no circuit
left open by the run that gave up."""


def _answers_lost(c4c: C4CEmulator) -> None:
    """C4C creates what every ``$batch`` of creates holds and never answers."""
    c4c.faults.add(
        Fault(path=BATCH, method="POST", hang=True, after_app=True, times=10**6,
              containing=CREATES)
    )  # fmt: skip


def _the_rest_next_run(sync_with: Sync, c4c: C4CEmulator, session, mailbox, created: int) -> None:
    """The next run creates the ``created`` contacts still missing, each once, and stores each."""
    again = sync_with(in_flight=3)
    assert (again.outcome, again.created) == (RunOutcome.SUCCEEDED, created), again.error_message
    _each_once_in_c4c(c4c)
    _nothing_unrecorded(session, mailbox, c4c)


def _csrf_fetches(c4c: C4CEmulator) -> int:
    return sum(
        1
        for entry in c4c.log.entries("GET")
        if entry.headers.get("X-Csrf-Token", "").lower() == "fetch"
    )


def _nothing_unrecorded(session, mailbox, c4c: C4CEmulator) -> None:
    """Every contact C4C holds is the synced item's of its e-mail: what landed is stored."""
    in_c4c = {c["ObjectID"]: c["ExternalID"] for c in c4c.service.store.all("ContactCollection")}
    items = {item.external_id: item for item in _contacts(session, mailbox)}
    for object_id, reference in in_c4c.items():
        item = items[reference]
        assert (item.state, item.c4c_object_id) == (SyncItemState.SYNCED, object_id), reference


@both_mail_systems
def test_a_first_sync_sends_its_batches_together_and_each_contact_once(
    owner: MailboxOwner, slow_c4c: C4CEmulator, session, mailbox, sync_with: Sync
) -> None:
    for number in range(CONTACTS):
        owner.add_contact(f"First{number:04d}", f"Person{number:04d}", email=_email(number))
    slow_c4c.overlap.reset()

    run = sync_with(in_flight=3)

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.created, run.failed) == (CONTACTS, 0)
    assert _create_batches(slow_c4c) == 3
    assert slow_c4c.overlap.most == 3, "the three batches were in flight together"
    assert _csrf_fetches(slow_c4c) == 1, "one CSRF token for the writes in flight"
    ids = _each_once_in_c4c(slow_c4c)
    items = _contacts(session, mailbox)
    assert {item.state for item in items} == {SyncItemState.SYNCED}
    c4c_ids = {ids[_email(n)] for n in range(CONTACTS)}
    assert {item.c4c_object_id for item in items} == c4c_ids

    slow_c4c.log.clear()
    quiet = sync_with(in_flight=3)

    assert quiet.outcome is RunOutcome.SUCCEEDED, quiet.error_message
    assert (quiet.created, quiet.updated, quiet.failed) == (0, 0, 0)
    assert [e.method for e in slow_c4c.log.entries() if e.method != "GET"] == [], "writes nothing"
    assert quiet.issues_opened == quiet.issues_resolved == 0


def test_one_write_at_a_time_when_the_setting_says_so(
    ews: EwsEmulator, slow_c4c: C4CEmulator, sync_with: Sync
) -> None:
    _contacts_in_outlook(ews)
    slow_c4c.overlap.reset()

    run = sync_with(in_flight=1)

    assert (run.outcome, run.created) == (RunOutcome.SUCCEEDED, CONTACTS), run.error_message
    assert _create_batches(slow_c4c) == 3
    assert slow_c4c.overlap.most == 1
    _each_once_in_c4c(slow_c4c)


def test_a_batch_refused_among_others_in_flight_fails_only_its_own_items(
    ews: EwsEmulator, slow_c4c: C4CEmulator, session, mailbox, sync_with: Sync
) -> None:
    _contacts_in_outlook(ews)
    _refused(slow_c4c, "dump", containing=_created_in(_email(150)))

    run = sync_with(in_flight=3)

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.created, run.failed) == (CONTACTS - 100, 100)
    waiting = {i.title for i in _contacts(session, mailbox) if i.state is SyncItemState.PENDING}
    assert waiting == {f"First{n:04d} Person{n:04d}" for n in range(100, 200)}
    _each_once_in_c4c(slow_c4c, CONTACTS - 100)
    _nothing_unrecorded(session, mailbox, slow_c4c)

    again = sync_with(in_flight=3)

    assert (again.outcome, again.created, again.failed) == (RunOutcome.SUCCEEDED, 100, 0)
    _each_once_in_c4c(slow_c4c)
    assert {i.state for i in _contacts(session, mailbox)} == {SyncItemState.SYNCED}


def test_a_refusal_that_ends_the_run_keeps_what_the_batches_in_flight_created(
    ews: EwsEmulator, slow_c4c: C4CEmulator, session, mailbox, sync_with: Sync
) -> None:
    """The first batch meets a 401 (the integration user's password was changed): the run ends,
    but the two batches already sent created their contacts, and the run stores them."""
    _contacts_in_outlook(ews)
    _refused(slow_c4c, "unauthorized", containing=_created_in(_email(0)))

    run = sync_with(in_flight=3)

    assert (run.outcome, run.error_code) == (RunOutcome.FAILED, IssueCode.AUTH), run.error_message
    assert _create_batches(slow_c4c) == 3
    _each_once_in_c4c(slow_c4c, CONTACTS - 100)
    _nothing_unrecorded(session, mailbox, slow_c4c)
    items = _contacts(session, mailbox)
    waiting = {i.title for i in items if i.state is SyncItemState.PENDING}
    assert waiting == {f"First{n:04d} Person{n:04d}" for n in range(100)}

    _the_rest_next_run(sync_with, slow_c4c, session, mailbox, 100)


def test_one_create_refused_so_that_the_run_ends_keeps_the_others_of_its_batch(
    ews: EwsEmulator, c4c: C4CEmulator, session, mailbox, sync_with: Sync
) -> None:
    """C4C refuses one create of the second batch alone, the integration user being locked
    meanwhile: the run ends there, and the other 99 creates of that batch (and those of the
    batches around it) are stored as what they are, synced."""
    _contacts_in_outlook(ews)
    locked = RECORDED["user_locked"]
    c4c.faults.add(
        Fault(path="ContactCollection$", method="POST", status=locked["status"],
              body=locked["body"], content_type=locked["headers"]["Content-Type"],
              containing=_created_in(_email(150)), inside_batch=True)
    )  # fmt: skip

    run = sync_with(in_flight=3)

    assert run.outcome is RunOutcome.FAILED, run.error_message
    assert run.error_code is IssueCode.ACCOUNT_DISABLED
    _each_once_in_c4c(c4c, CONTACTS - 1)
    _nothing_unrecorded(session, mailbox, c4c)
    assert run.created == CONTACTS - 1
    [refused] = [i for i in _contacts(session, mailbox) if i.c4c_object_id is None]
    assert refused.title == "First0150 Person0150"


def test_batches_not_yet_sent_when_the_run_ends_are_not_sent(
    ews: EwsEmulator, slow_c4c: C4CEmulator, session, mailbox, sync_with: Sync
) -> None:
    """Two in flight, three batches: the first's 401 ends the run. The third goes only when the
    run comes for the second's answer, which it never does: it is never sent."""
    _contacts_in_outlook(ews)
    _refused(slow_c4c, "unauthorized", containing=_created_in(_email(0)))

    run = sync_with(in_flight=2)

    assert (run.outcome, run.error_code) == (RunOutcome.FAILED, IssueCode.AUTH)
    assert _create_batches(slow_c4c) == 2
    _each_once_in_c4c(slow_c4c, 100)
    _nothing_unrecorded(session, mailbox, slow_c4c)
    again = sync_with(in_flight=2)
    assert again.outcome is RunOutcome.SUCCEEDED, again.error_message
    _each_once_in_c4c(slow_c4c)
    _nothing_unrecorded(session, mailbox, slow_c4c)


def test_a_batch_of_creates_refused_as_a_whole_is_sent_again_next_run(
    ews: EwsEmulator, c4c: C4CEmulator, session, mailbox, sync_with: Sync
) -> None:
    """C4C refuses one whole ``$batch`` of creates with a 403 (the request, not a record): its
    hundred contacts fail for now, ``PENDING``, without an issue each saying SAP forbids them;
    the next run looks their references up and creates each once."""
    _contacts_in_outlook(ews)
    _refused(c4c, "read_only", containing=_created_in(_email(150)))

    run = sync_with(in_flight=3)

    assert (run.outcome, run.created, run.failed) == (RunOutcome.SUCCEEDED, CONTACTS - 100, 100)
    waiting = [i for i in _contacts(session, mailbox) if i.state is not SyncItemState.SYNCED]
    assert {(i.state, i.temporary_failures) for i in waiting} == {(SyncItemState.PENDING, 1)}
    assert len(waiting) == 100
    assert session.scalars(select(Issue)).all() == [], "temporary: no issue before it repeats"

    _the_rest_next_run(sync_with, c4c, session, mailbox, 100)


def test_a_retry_waiting_when_the_run_ends_is_never_sent(
    ews: EwsEmulator, slow_c4c: C4CEmulator, session, mailbox, sync_with: Sync
) -> None:
    """The first batch meets a 401 while the second is throttled and waits to try again: the
    run ends on the 401, and the waiting batch is not sent again (nor anything else)."""
    _contacts_in_outlook(ews)
    _refused(slow_c4c, "unauthorized", containing=_created_in(_email(0)))
    _refused(slow_c4c, "throttled", containing=_created_in(_email(150)), **{"Retry-After": "1"})

    run = sync_with(in_flight=3)

    assert (run.outcome, run.error_code) == (RunOutcome.FAILED, IssueCode.AUTH)
    assert _create_batches(slow_c4c) == 3, "each batch once; the throttled one not again"
    _each_once_in_c4c(slow_c4c, 50)
    _nothing_unrecorded(session, mailbox, slow_c4c)

    again = sync_with(in_flight=3)

    assert (again.outcome, again.created) == (RunOutcome.SUCCEEDED, 200), again.error_message
    _each_once_in_c4c(slow_c4c)


def test_throttled_batches_in_flight_wait_and_are_sent_again(
    ews: EwsEmulator, slow_c4c: C4CEmulator, session, mailbox, sync_with: Sync
) -> None:
    _contacts_in_outlook(ews)
    _refused(slow_c4c, "throttled", times=2, **{"Retry-After": "0"})  # not C4C's 30 s

    run = sync_with(in_flight=3)

    assert (run.outcome, run.created, run.failed) == (RunOutcome.SUCCEEDED, CONTACTS, 0)
    assert _create_batches(slow_c4c) == 5
    _each_once_in_c4c(slow_c4c)
    _nothing_unrecorded(session, mailbox, slow_c4c)


def test_a_csrf_token_refused_to_every_batch_in_flight_is_fetched_again_once(
    ews: EwsEmulator, slow_c4c: C4CEmulator, session, mailbox, sync_with: Sync
) -> None:
    _contacts_in_outlook(ews)
    _refused(slow_c4c, "csrf_required", times=3)  # the three batches in flight

    run = sync_with(in_flight=3)

    assert (run.outcome, run.created, run.failed) == (RunOutcome.SUCCEEDED, CONTACTS, 0)
    assert _create_batches(slow_c4c) == 6
    assert _csrf_fetches(slow_c4c) == 2, "one new token for the three, not one each"
    _each_once_in_c4c(slow_c4c)
    _nothing_unrecorded(session, mailbox, slow_c4c)


def test_a_c4c_that_stops_answering_mid_flight_is_given_up_once_and_loses_nothing(
    ews: EwsEmulator, c4c: C4CEmulator, session, mailbox, sync_with: Sync
) -> None:
    """Every batch is taken in (C4C creates its contacts) and never answered: the three in
    flight time out together, the run gives up on C4C once (a second lost waiting is all it
    accepts here) and sends nothing again; the next run finds each contact by its reference."""
    _contacts_in_outlook(ews)
    _answers_lost(c4c)

    run = sync_with(in_flight=3, **LIMITS)

    assert (run.outcome, run.error_code) == (RunOutcome.FAILED, IssueCode.TEMPORARY)
    assert run.error_message == "SAP Cloud for Customer did not answer within 3 s"
    assert _create_batches(c4c) == 3, "no batch sent again after the give-up"
    _each_once_in_c4c(c4c)
    assert {i.state for i in _contacts(session, mailbox)} == {SyncItemState.PENDING}

    c4c.faults.clear()
    again = sync_with(in_flight=3, **AFTER)

    assert (again.outcome, again.created) == (RunOutcome.SUCCEEDED, 0), again.error_message
    _each_once_in_c4c(c4c)
    _nothing_unrecorded(session, mailbox, c4c)
    assert {i.state for i in _contacts(session, mailbox)} == {SyncItemState.SYNCED}


CHANGED = 6
"""Contacts changed in the mailbox after the first sync: their ``PATCH``es go up together."""


def _changed_in_mailbox(owner: MailboxOwner, sync_with: Sync) -> list[str]:
    """Six contacts synced, then each given a job title in the mailbox."""
    contacts = [owner.add_contact("Ann", f"Buyer{n}", email=_email(n)) for n in range(CHANGED)]
    first = sync_with(in_flight=3)
    assert (first.outcome, first.created) == (RunOutcome.SUCCEEDED, CHANGED), first.error_message
    owner.later()
    for number, contact in enumerate(contacts):
        owner.edit_contact(contact, job_title=f"Buyer {number}")
    return contacts


def _titles(c4c: C4CEmulator) -> dict[str, str | None]:
    return {c["Email"]: c.get("JobTitle") for c in c4c.service.store.all("ContactCollection")}


def _patched(c4c: C4CEmulator, answer: str, email: str) -> None:
    """C4C answers the ``PATCH`` of ``email``'s contact (found by the job title it sends) with
    its recorded ``answer``, inside the ``$batch`` that carries it."""
    recorded = RECORDED[answer]
    number = int(email[1:5])
    c4c.faults.add(
        Fault(path=r"ContactCollection\(", method="PATCH", status=recorded["status"],
              body=recorded["body"], content_type=recorded["headers"]["Content-Type"],
              containing=f'"JobTitle": "Buyer {number}"', inside_batch=True)
    )  # fmt: skip


def _changes_in_batches(c4c: C4CEmulator) -> list[int]:
    """How many ``PATCH``es each ``$batch`` request carried (those that carried any)."""
    counts = [entry.body.count(b"PATCH ContactCollection") for entry in c4c.log.entries("POST")]
    return [count for count in counts if count]


def _plain_patches(c4c: C4CEmulator) -> int:
    """``PATCH`` requests of their own (not operations of a batch)."""
    return sum(1 for entry in c4c.log.entries("PATCH") if not entry.fault)


@both_mail_systems
def test_changes_going_up_go_in_one_batch_and_each_answer_is_stored(
    owner: MailboxOwner, c4c: C4CEmulator, session, mailbox, sync_with: Sync
) -> None:
    _changed_in_mailbox(owner, sync_with)
    c4c.log.clear()

    run = sync_with(in_flight=3)

    assert (run.outcome, run.updated, run.failed) == (RunOutcome.SUCCEEDED, CHANGED, 0)
    assert _changes_in_batches(c4c) == [CHANGED], "one request for the six changes"
    assert _plain_patches(c4c) == 0
    assert _titles(c4c) == {_email(n): f"Buyer {n}" for n in range(CHANGED)}
    assert {i.state for i in _contacts(session, mailbox)} == {SyncItemState.SYNCED}

    c4c.log.clear()
    quiet = sync_with(in_flight=3)

    assert (quiet.outcome, quiet.updated, quiet.created) == (RunOutcome.SUCCEEDED, 0, 0)
    assert [e.method for e in c4c.log.entries() if e.method != "GET"] == [], "writes nothing"
    assert quiet.issues_opened == quiet.issues_resolved == 0


def test_a_change_refused_in_the_batch_is_looked_after_alone_and_the_others_land(
    owner: MailboxOwner, c4c: C4CEmulator, session, mailbox, sync_with: Sync
) -> None:
    """In the batch of six, one ``PATCH`` meets a 412 (C4C's ETag moved on without a change of
    values): the run reads that contact again and sends it once more, alone; another meets a
    404 (deleted in C4C): it is unlinked with an informational issue. The other four land as
    they would alone."""
    _changed_in_mailbox(owner, sync_with)
    _patched(c4c, "etag_mismatch", _email(1))
    _patched(c4c, "not_found", _email(4))
    c4c.log.clear()

    run = sync_with(in_flight=3)

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert run.updated == CHANGED - 1
    assert _changes_in_batches(c4c) == [CHANGED]
    assert _plain_patches(c4c) == 1, "the 412's contact sent again on its own"
    titles = _titles(c4c)
    assert titles == {_email(n): (None if n == 4 else f"Buyer {n}") for n in range(CHANGED)}
    gone = [i for i in _contacts(session, mailbox) if i.missing_side is not None]
    assert [(i.title, i.missing_side) for i in gone] == [("Ann Buyer4", "C4C")]


def test_a_refusal_that_ends_the_run_keeps_the_changes_that_landed_with_it(
    owner: MailboxOwner, c4c: C4CEmulator, session, mailbox, sync_with: Sync
) -> None:
    """Six changes in three requests of two, all three in flight together. The first change
    meets a 412 and the read of C4C's copy that follows a 401 (the integration user's password
    was changed meanwhile): the run ends there. The second change landed in the same request,
    the four others in the requests under way: the run stores all five as synced, so the next
    run sends only the first (and sees no conflict in the others)."""
    _changed_in_mailbox(owner, sync_with)
    _patched(c4c, "etag_mismatch", _email(0))
    unauthorized = RECORDED["unauthorized"]
    c4c.faults.add(
        Fault(path=r"ContactCollection\(", method="GET", status=unauthorized["status"],
              body=unauthorized["body"], content_type=unauthorized["headers"]["Content-Type"])
    )  # fmt: skip
    c4c.latency = LATENCY
    c4c.log.clear()
    c4c.overlap.reset()
    try:
        run = sync_with(in_flight=3, c4c_batch_size=2)
    finally:
        c4c.latency = 0.0

    assert (run.outcome, run.error_code) == (RunOutcome.FAILED, IssueCode.AUTH), run.error_message
    assert _changes_in_batches(c4c) == [2, 2, 2]
    assert c4c.overlap.most == 3, "the three requests of changes in flight together"
    landed = {email for email, title in _titles(c4c).items() if title}
    assert landed == {_email(n) for n in range(1, CHANGED)}
    assert run.updated == CHANGED - 1, "stored as the run ended"
    synced = [i for i in _contacts(session, mailbox) if i.title != "Ann Buyer0"]
    assert all(i.mailbox_hash == i.content_hash for i in synced), "nothing left to send"
    c4c.log.clear()

    again = sync_with(in_flight=3)

    assert again.outcome is RunOutcome.SUCCEEDED, again.error_message
    assert again.updated == 1
    assert (_changes_in_batches(c4c), _plain_patches(c4c)) == ([], 1), "only the refused one"
    assert again.issues_opened == 0, "no conflict made of a change that landed"
    assert _titles(c4c) == {_email(n): f"Buyer {n}" for n in range(CHANGED)}


def test_changes_whose_answer_was_lost_are_found_held_by_c4c_not_in_conflict(
    owner: MailboxOwner, c4c: C4CEmulator, session, tenant, mailbox, sync_with: Sync
) -> None:
    """Contacts go up only (the run reads no C4C changes of them). The request of six changes
    lands, but its answer never comes and the run gives up on C4C. The next run sends them
    again with the ETags it knew: C4C answers 412 to each, the run reads each contact, finds
    that it holds the mailbox's version already, and marks it synced: no conflict, no issue,
    nothing written twice."""
    contacts_go_up_only(session, tenant)
    _changed_in_mailbox(owner, sync_with)
    c4c.faults.add(
        Fault(path=BATCH, method="POST", hang=True, after_app=True, times=10**6,
              containing="PATCH ")
    )  # fmt: skip

    lost = sync_with(**LIMITS)

    assert lost.outcome is RunOutcome.FAILED
    assert _titles(c4c) == {_email(n): f"Buyer {n}" for n in range(CHANGED)}, "landed"
    c4c.faults.clear()
    c4c.log.clear()

    again = sync_with(**AFTER)

    assert again.outcome is RunOutcome.SUCCEEDED, again.error_message
    assert (again.updated, again.failed, again.issues_opened) == (0, 0, 0)
    assert (_changes_in_batches(c4c), _plain_patches(c4c)) == ([CHANGED], 0), "none sent twice"
    assert {i.state for i in _contacts(session, mailbox)} == {SyncItemState.SYNCED}
    c4c.log.clear()
    quiet = sync_with()
    assert (quiet.updated, quiet.issues_opened) == (0, 0)
    assert [e.method for e in c4c.log.entries() if e.method != "GET"] == [], "writes nothing"


def test_a_request_of_changes_refused_as_a_whole_rolls_none_of_them_back(
    owner: MailboxOwner, c4c: C4CEmulator, session, tenant, mailbox, sync_with: Sync
) -> None:
    """The tenant rolls back a change SAP forbids. C4C refuses the whole ``$batch`` of six
    changes with a 403: that names no record, so no edit is rolled back (nor an item unlinked);
    each change fails for now, and goes up on the next run, C4C taking it."""
    config = tenant.config
    config.forbidden_policy = {"UPDATE": ForbiddenPolicy.ROLL_BACK}
    tenant.config = config
    session.commit()
    contacts = _changed_in_mailbox(owner, sync_with)
    _refused(c4c, "read_only", containing="PATCH ")

    run = sync_with(in_flight=3)

    assert (run.outcome, run.updated, run.failed) == (RunOutcome.SUCCEEDED, 0, CHANGED)
    assert [owner.contact(c).job_title for c in contacts] == [f"Buyer {n}" for n in range(6)]
    assert set(_titles(c4c).values()) == {None}, "C4C unchanged"
    assert {i.missing_side for i in _contacts(session, mailbox)} == {None}
    failed = _contacts(session, mailbox)
    assert {(i.state, i.temporary_failures) for i in failed} == {(SyncItemState.FAILED, 1)}
    assert session.scalars(select(Issue)).all() == [], "temporary: no issue before it repeats"

    again = sync_with(in_flight=3)

    assert (again.outcome, again.updated) == (RunOutcome.SUCCEEDED, CHANGED)
    assert _titles(c4c) == {_email(n): f"Buyer {n}" for n in range(CHANGED)}


def test_a_create_sent_again_whose_answer_is_lost_is_found_next_run_not_made_twice(
    owner: MailboxOwner, c4c: C4CEmulator, session, mailbox, sync_with: Sync
) -> None:
    """SAP refused a contact (no last name); the user adds one and the run sends it again, but
    the answer never comes and the run gives up on C4C. The contact is in SAP: the next run must
    find it by its reference rather than create it a second time."""
    contact = owner.add_contact("Ann", None, email="ann@fabrikam.test")
    refused = sync_with()
    assert (refused.created, refused.failed) == (0, 1), refused.error_message
    owner.later()
    owner.edit_contact(contact, last="Customer")
    _answers_lost(c4c)

    lost = sync_with(**LIMITS)

    assert (lost.outcome, lost.error_code) == (RunOutcome.FAILED, IssueCode.TEMPORARY)
    _each_once_in_c4c(c4c, 1)
    [item] = _contacts(session, mailbox)
    assert item.state is SyncItemState.PENDING, "sent again: unsure until C4C is asked"

    c4c.faults.clear()
    again = sync_with(**AFTER)

    assert (again.outcome, again.created) == (RunOutcome.SUCCEEDED, 0), again.error_message
    _each_once_in_c4c(c4c, 1)
    _nothing_unrecorded(session, mailbox, c4c)


@pytest.mark.parametrize("landed", [True, False], ids=["create-landed", "create-refused"])
def test_a_contact_deleted_in_the_mailbox_while_its_create_was_unsure_leaves_nothing_behind(
    owner: MailboxOwner, c4c: C4CEmulator, session, mailbox, sync_with: Sync, landed: bool
) -> None:
    """The run never heard whether a contact's create landed (its answer was lost, or its
    batch failed as a whole); the user deletes the contact. Two runs later the row is gone and,
    when the create had landed, so is the contact in SAP (the tenant deletes copies): looked
    up by our reference, not left there nor failing every run."""
    contact = owner.add_contact("Ann", "Customer", email="ann@fabrikam.test")
    if landed:
        _answers_lost(c4c)
    else:
        _refused(c4c, "dump")
    unsure = sync_with(**LIMITS)
    assert unsure.outcome is (RunOutcome.FAILED if landed else RunOutcome.SUCCEEDED)
    assert [i.state for i in _contacts(session, mailbox)] == [SyncItemState.PENDING]
    _each_once_in_c4c(c4c, 1 if landed else 0)
    c4c.faults.clear()
    owner.delete_contact(contact)

    missed = sync_with(**AFTER)
    deleted = sync_with(**AFTER)

    assert (missed.outcome, deleted.outcome) == (RunOutcome.SUCCEEDED,) * 2, deleted.error_message
    assert (missed.failed, deleted.failed) == (0, 0)
    assert deleted.deleted == (1 if landed else 0)
    assert c4c.service.store.all("ContactCollection") == []
    assert _contacts(session, mailbox) == []
