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
) -> set[tuple]:
    """Every mailbox quiet, then ``CHANGED`` of ``email``'s contacts changed in C4C and the
    emulators' logs cleared: the issues open before the change."""
    _quiet(contoso_sync)
    before = _open_issues(session, email)
    _change_in_c4c(contoso, session, email)
    contoso.clear_logs()
    return before


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
    mail.faults.add(Fault(path=path, method=method, containing=body.decode(), status=503))

    run = contoso_sync(email)

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.updated, run.failed, run.issues_opened) == (CHANGED, 0, 0)
    [refused] = [e for e in mail.log.entries() if e.fault]
    assert _together(provider, refused)
    after = [e for e in mail.log.entries() if e.at >= refused.at and not e.fault]
    reads = [e for e in after if _together(provider, e) or _alone(provider, e)]
    assert len(reads) == CHANGED, "each write read its own item"


TOGETHER_IN_ONE = list(WRITTEN_TOGETHER)


@pytest.mark.parametrize("provider", TOGETHER_IN_ONE, ids=[p.lower() for p in TOGETHER_IN_ONE])
def test_a_write_together_that_fails_as_a_whole_loses_nothing(
    contoso: DemoWorld,
    contoso_sync: Callable[[str], Run],
    session: Session,
    provider: Provider,
) -> None:
    email = PEOPLE[provider].email
    before = _changed_after_quiet_runs(contoso, contoso_sync, session, email)
    method, path, body = WRITTEN_TOGETHER[provider]
    mail = _mail(contoso, provider)
    mail.faults.add(Fault(path=path, method=method, containing=body, status=503))

    failed = contoso_sync(email)

    assert [e for e in mail.log.entries() if e.fault], "the write together was refused"
    assert failed.updated == 0
    assert [w for e in mail.log.entries() if not e.fault for w in writes_of(e)] == [], (
        "nothing of it was written"
    )
    again = contoso_sync(email)
    assert again.outcome is RunOutcome.SUCCEEDED, again.error_message
    assert (again.updated, again.failed) == (CHANGED, 0), "the next run writes them"
    assert _open_issues(session, email) == before, "what the failure opened is resolved"
    contoso.clear_logs()
    assert contoso_sync(email).updated == 0, "and the run after it finds nothing to write"
    assert writes(mail) == []


def _edited_after_the_read(
    contoso: DemoWorld, monkeypatch: pytest.MonkeyPatch, item: SyncItem, field: str
) -> Account:
    """The Exchange user's account, in which they set ``field`` of ``item`` to "Edited in
    Outlook" just after the run read its items together (before it writes them)."""
    person = PEOPLE[Provider.EXCHANGE]
    account = bare_account(contoso.ews.endpoint, person.email, person.password)
    read_together = ExchangeProvider.get_many

    def read_then_edited(self, item_type, item_ids):
        found = read_together(self, item_type, item_ids)
        [contact] = account.fetch(ids=[(item.mailbox_item_id, None)])
        setattr(contact, field, "Edited in Outlook")
        contact.save(update_fields=[field])
        return found

    monkeypatch.setattr(ExchangeProvider, "get_many", read_then_edited)
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
