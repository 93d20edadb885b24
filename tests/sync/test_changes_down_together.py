"""C4C's changes go into the mailbox together: their items read in one request (one GetItem,
one JSON batch, one ``people:batchGet``), and written in one where the mail system takes
several (one UpdateItem, one JSON batch of PATCHes; Gmail writes a person a request). What was
not read together is read alone by its write; a write refused among others is that item's
alone; a write together that fails as a whole loses nothing.

The world is the demo's (its emulators seeded as ``flask demo`` seeds them, Contoso made by the
demo's seed), so the runs are the ones the demo and production make.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from exchangelib import Account
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.demo.data import DEMO_USERS
from backend.mailbox.ews.provider import ExchangeProvider
from backend.models import Issue, Run, SyncItem
from backend.models.mailbox import Provider
from backend.models.run import RunOutcome
from backend.models.sync_item import SyncItemState
from backend.models.types import IssueCode, ItemType
from backend.sync.backoff import Backoff
from emulators.base import Emulator, Fault, LoggedRequest
from tests.support.demo_world import DemoWorld, mailbox_of
from tests.support.outlook import bare_account
from tests.support.writes import writes, writes_of

CHANGED = 2
"""Contacts changed in C4C."""
TITLE = "Head of Procurement"
PEOPLE = {person.provider: person for person in reversed(DEMO_USERS) if person.syncs}
EMULATORS = {Provider.EXCHANGE: "exchange", Provider.GMAIL: "gmail", Provider.GRAPH: "graph"}
TOGETHER = {
    Provider.EXCHANGE: ("POST", r"/EWS/Exchange\.asmx$", b"GetItem"),
    Provider.GRAPH: ("POST", r"/v1\.0/\$batch$", b'"method": "GET"'),
    Provider.GMAIL: ("GET", r"/v1/people:batchGet$", b""),
}
"""How each mail system is asked for several items in one request."""
ALONE = {
    Provider.EXCHANGE: None,  # EWS reads one item with the same GetItem: counted above
    Provider.GRAPH: re.compile(r"^GET /v1\.0/me/contacts/[^/]+$"),
    Provider.GMAIL: re.compile(r"^GET /v1/people/c\d+$"),
}
"""A request that reads one contact."""
WRITE_REQUESTS = {Provider.EXCHANGE: 1, Provider.GRAPH: 1, Provider.GMAIL: CHANGED}
"""Requests that write the changes: Gmail's people are written one a request."""
WRITTEN_TOGETHER = {
    Provider.EXCHANGE: ("POST", r"/EWS/Exchange\.asmx$", "UpdateItem"),
    Provider.GRAPH: ("POST", r"/v1\.0/\$batch$", "PATCH"),
}
"""How each mail system that takes several writes in one request is sent them."""


@pytest.fixture
def app_config(contoso: DemoWorld) -> dict[str, object]:
    return contoso.app_config()


def _quiet(contoso_sync: Callable[[str], Run]) -> None:
    """Every syncing mailbox synced, then synced again (nothing left to write)."""
    for _round in range(2):
        for person in DEMO_USERS:
            if person.syncs:
                contoso_sync(person.email)


def _change_in_c4c(contoso: DemoWorld, session: Session, email: str) -> list[SyncItem]:
    """``CHANGED`` of the mailbox's contacts paired with C4C, their job title changed in C4C."""
    paired = session.scalars(
        select(SyncItem)
        .where(
            SyncItem.mailbox_id == mailbox_of(session, email).id,
            SyncItem.item_type == ItemType.CONTACT,
            SyncItem.state == SyncItemState.SYNCED,
            SyncItem.c4c_object_id.is_not(None),
        )
        .order_by(SyncItem.id)
    ).all()[:CHANGED]
    assert len(paired) == CHANGED, "the demo's mailbox holds contacts paired with C4C"
    for item in paired:
        contoso.c4c.service.store.update(
            "ContactCollection", item.c4c_object_id, {"JobTitle": TITLE}
        )
    return paired


def _changed_after_quiet_runs(
    contoso: DemoWorld, contoso_sync: Callable[[str], Run], session: Session, email: str
) -> tuple[set[tuple], list[SyncItem]]:
    """Every mailbox quiet, then ``CHANGED`` of ``email``'s contacts changed in C4C and the
    emulators' logs cleared: the issues open before the change, and the contacts changed."""
    _quiet(contoso_sync)
    before = _open_issues(session, email)
    changed = _change_in_c4c(contoso, session, email)
    contoso.clear_logs()
    return before, changed


def _together(provider: Provider, entry: LoggedRequest) -> bool:
    method, path, body = TOGETHER[provider]
    return entry.method == method and bool(re.search(path, entry.path)) and body in entry.body


def _alone(provider: Provider, entry: LoggedRequest) -> bool:
    pattern = ALONE[provider]
    return pattern is not None and bool(pattern.match(f"{entry.method} {entry.path}"))


def _mail(contoso: DemoWorld, provider: Provider) -> Emulator:
    return contoso.emulators()[EMULATORS[provider]]


@pytest.mark.parametrize("provider", list(EMULATORS), ids=[p.lower() for p in EMULATORS])
def test_changes_from_c4c_read_and_write_their_mailbox_items_together(
    contoso: DemoWorld,
    contoso_sync: Callable[[str], Run],
    session: Session,
    provider: Provider,
) -> None:
    email = PEOPLE[provider].email
    _changed_after_quiet_runs(contoso, contoso_sync, session, email)

    run = contoso_sync(email)

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.updated, run.failed, run.issues_opened) == (CHANGED, 0, 0)
    entries = _mail(contoso, provider).log.entries()
    assert len([e for e in entries if _together(provider, e)]) == 1, "one read for the changes"
    assert not [e.path for e in entries if _alone(provider, e)], "no item read alone"
    written = [e for e in entries if e.method != "GET" and writes_of(e)]
    assert len(written) == WRITE_REQUESTS[provider], [e.path for e in written]
    contoso.clear_logs()
    assert contoso_sync(email).updated == 0, "the next run finds nothing to write"
    assert writes(_mail(contoso, provider)) == []


@pytest.mark.parametrize("provider", list(EMULATORS), ids=[p.lower() for p in EMULATORS])
def test_a_read_together_that_fails_leaves_each_write_to_read_its_item(
    contoso: DemoWorld,
    contoso_sync: Callable[[str], Run],
    session: Session,
    provider: Provider,
) -> None:
    email = PEOPLE[provider].email
    _changed_after_quiet_runs(contoso, contoso_sync, session, email)
    method, path, body = TOGETHER[provider]
    mail = _mail(contoso, provider)
    tries = Backoff().attempts  # refused at every try of the run's back-off
    mail.faults.add(
        Fault(path=path, method=method, containing=body.decode(), status=503, times=tries)
    )

    run = contoso_sync(email)

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.updated, run.failed, run.issues_opened) == (CHANGED, 0, 0)
    refused = [e for e in mail.log.entries() if e.fault]
    assert len(refused) == tries and all(_together(provider, e) for e in refused)
    after = [e for e in mail.log.entries() if e.at >= refused[-1].at and not e.fault]
    reads = [e for e in after if _together(provider, e) or _alone(provider, e)]
    assert len(reads) == CHANGED, "each write read its own item"


TOGETHER_IN_ONE = list(WRITTEN_TOGETHER)


@pytest.mark.parametrize("provider", TOGETHER_IN_ONE, ids=[p.lower() for p in TOGETHER_IN_ONE])
@pytest.mark.parametrize("refusals", [1, Backoff().attempts], ids=["once", "every-try"])
def test_a_write_together_refused_is_sent_again_then_alone(
    contoso: DemoWorld,
    contoso_sync: Callable[[str], Run],
    session: Session,
    provider: Provider,
    refusals: int,
) -> None:
    """Refused once (503), the write together is sent again after the run's back-off; refused
    at each of its tries, each change goes alone, in turn, and lands on its own."""
    email = PEOPLE[provider].email
    _changed_after_quiet_runs(contoso, contoso_sync, session, email)
    method, path, body = WRITTEN_TOGETHER[provider]
    mail = _mail(contoso, provider)
    mail.faults.add(Fault(path=path, method=method, containing=body, status=503, times=refusals))

    run = contoso_sync(email)

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.updated, run.failed, run.issues_opened) == (CHANGED, 0, 0)
    sent = [e for e in mail.log.entries() if writes_of(e)]
    assert [e.fault for e in sent][:refusals] == [True] * refusals
    assert len(sent) == refusals + (1 if refusals == 1 else CHANGED), [e.path for e in sent]
    contoso.clear_logs()
    assert contoso_sync(email).updated == 0, "the next run finds nothing to write"
    assert writes(mail) == []


def test_writes_together_to_an_exchange_that_keeps_failing_lose_nothing(
    contoso: DemoWorld, contoso_sync: Callable[[str], Run], session: Session
) -> None:
    """Exchange answers every UpdateItem 503: the write together, then each alone, fail; the
    run stores nothing of them as written, and once Exchange answers again the next run writes
    them, and what the failure opened is resolved."""
    email = PEOPLE[Provider.EXCHANGE].email
    before, _changed = _changed_after_quiet_runs(contoso, contoso_sync, session, email)
    method, path, body = WRITTEN_TOGETHER[Provider.EXCHANGE]
    contoso.ews.faults.add(Fault(path=path, method=method, containing=body, status=503, times=50))

    failed = contoso_sync(email)

    assert failed.updated == 0
    assert [w for e in contoso.ews.log.entries() if not e.fault for w in writes_of(e)] == []
    contoso.ews.faults.clear()
    again = contoso_sync(email)
    assert again.outcome is RunOutcome.SUCCEEDED, again.error_message
    assert (again.updated, again.failed) == (CHANGED, 0), "the next run writes them"
    assert _open_issues(session, email) == before, "what the failure opened is resolved"
    contoso.clear_logs()
    assert contoso_sync(email).updated == 0, "and the run after it finds nothing to write"
    assert writes(contoso.ews) == []


def _edited_after_the_read(
    contoso: DemoWorld,
    monkeypatch: pytest.MonkeyPatch,
    item: SyncItem,
    field: str,
    again: bool = False,
) -> Account:
    """The Exchange user's account, in which they set ``field`` of ``item`` to "Edited in
    Outlook" just after the run read its items together (before it writes them); ``again``,
    once more just after the run read it again alone."""
    person = PEOPLE[Provider.EXCHANGE]
    account = bare_account(contoso.ews.endpoint, person.email, person.password)
    read_together, read_alone = ExchangeProvider.get_many, ExchangeProvider.get
    edits = iter(
        ["Edited in Outlook", "Edited in Outlook again"] if again else ["Edited in Outlook"]
    )

    def edit() -> None:
        value = next(edits, None)
        if value is not None:
            [contact] = account.fetch(ids=[(item.mailbox_item_id, None)])
            setattr(contact, field, value)
            contact.save(update_fields=[field])

    def read_then_edited(self, item_type, item_ids):
        found = read_together(self, item_type, item_ids)
        edit()
        return found

    def read_alone_then_edited(self, item_type, item_id):
        found = read_alone(self, item_type, item_id)
        if item_id == item.mailbox_item_id:
            edit()
        return found

    monkeypatch.setattr(ExchangeProvider, "get_many", read_then_edited)
    monkeypatch.setattr(ExchangeProvider, "get", read_alone_then_edited)
    return account


def test_an_item_edited_between_its_read_and_the_write_together_gets_the_change_over_the_edit(
    contoso: DemoWorld,
    contoso_sync: Callable[[str], Run],
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The user edits one of the contacts in Outlook between the run's read and its write:
    Exchange refuses that item's change alone (its change key went stale) and the other lands.
    The run reads it again and writes SAP's change over the user's edit, which it keeps (the
    department does not sync with C4C): neither side's change is lost."""
    person = PEOPLE[Provider.EXCHANGE]
    _quiet(contoso_sync)
    first, second = _change_in_c4c(contoso, session, person.email)
    account = _edited_after_the_read(contoso, monkeypatch, second, "department")
    contoso.clear_logs()

    run = contoso_sync(person.email)

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.updated, run.failed, run.issues_opened) == (CHANGED, 0, 0)
    changes = [e.body.count(b"<t:ItemChange>") for e in contoso.ews.log.entries()]
    assert changes.count(CHANGED) == 1, "the run's changes went in one UpdateItem"
    assert changes.count(1) == 2, "the user's edit, then the refused change again, alone"
    [mine, theirs] = account.fetch(ids=[(i.mailbox_item_id, None) for i in (first, second)])
    assert mine.job_title == theirs.job_title == TITLE, "SAP's change is in both"
    assert theirs.department == "Edited in Outlook", "and the user's edit stays"
    monkeypatch.undo()
    contoso.clear_logs()
    after = contoso_sync(person.email)
    assert (after.outcome, after.updated, after.issues_opened) == (RunOutcome.SUCCEEDED, 0, 0)
    assert writes(contoso.ews) == [], "the next run finds nothing to write"


def test_an_item_whose_synced_fields_were_edited_meanwhile_is_a_conflict_the_policy_settles(
    contoso: DemoWorld,
    contoso_sync: Callable[[str], Run],
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The user changes the job title in Outlook between the run's read and its write: both
    sides changed what syncs, so the tenant's conflict policy decides, as when the run reads
    both changes (an informational issue says which side was kept), and the sides agree."""
    person = PEOPLE[Provider.EXCHANGE]
    _quiet(contoso_sync)
    _first, second = _change_in_c4c(contoso, session, person.email)
    account = _edited_after_the_read(contoso, monkeypatch, second, "job_title")

    run = contoso_sync(person.email)

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.failed, run.issues_opened) == (0, 1)
    [conflict] = session.scalars(
        select(Issue).where(
            Issue.mailbox_id == mailbox_of(session, person.email).id,
            Issue.mailbox_item_id == second.mailbox_item_id,
        )
    ).all()
    assert conflict.code is IssueCode.CONFLICT
    [kept] = account.fetch(ids=[(second.mailbox_item_id, None)])
    in_c4c = contoso.c4c.service.store.get("ContactCollection", second.c4c_object_id)
    assert kept.job_title == in_c4c["JobTitle"], "the sides agree on the side kept"
    monkeypatch.undo()
    contoso.clear_logs()
    after = contoso_sync(person.email)
    assert (after.outcome, after.updated, after.issues_opened) == (RunOutcome.SUCCEEDED, 0, 0)
    written = {name: writes(emulator) for name, emulator in contoso.emulators().items()}
    assert written == {name: [] for name in written}, "the next run writes nothing"


def test_an_item_edited_again_while_the_change_goes_again_is_tried_on_the_next_run(
    contoso: DemoWorld,
    contoso_sync: Callable[[str], Run],
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The user edits the contact after the run read it, and again after the run read it
    again: the change fails for now (no issue yet), and the next run writes SAP's change over
    the user's edits, which stay."""
    email = PEOPLE[Provider.EXCHANGE].email
    before, (_first, second) = _changed_after_quiet_runs(contoso, contoso_sync, session, email)
    account = _edited_after_the_read(contoso, monkeypatch, second, "department", again=True)

    run = contoso_sync(email)

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.updated, run.failed, run.issues_opened) == (1, 1, 0)
    monkeypatch.undo()
    after = contoso_sync(email)
    assert (after.outcome, after.updated, after.failed) == (RunOutcome.SUCCEEDED, 1, 0)
    [kept] = account.fetch(ids=[(second.mailbox_item_id, None)])
    assert (kept.job_title, kept.department) == (TITLE, "Edited in Outlook again")
    assert _open_issues(session, email) == before
    contoso.clear_logs()
    assert contoso_sync(email).updated == 0, "the run after it finds nothing to write"
    assert writes(contoso.ews) == []


def _open_issues(session: Session, email: str) -> set[tuple]:
    session.expire_all()
    return {
        (issue.item_key, issue.code)
        for issue in session.scalars(
            select(Issue).where(
                Issue.mailbox_id == mailbox_of(session, email).id, Issue.resolved_at.is_(None)
            )
        )
    }
