"""C4C's changes are written over the mailbox's versions of their items, read together: one
GetItem, one JSON batch or one ``people:batchGet`` for a run's changes of a type, not a read
each. What was not read together is read alone by its write, which meets its own error.

The world is the demo's (its emulators seeded as ``flask demo`` seeds them, Contoso made by the
demo's seed), so the runs are the ones the demo and production make.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.demo.data import DEMO_USERS
from backend.models import Run, SyncItem
from backend.models.mailbox import Provider
from backend.models.run import RunOutcome
from backend.models.sync_item import SyncItemState
from backend.models.types import ItemType
from emulators.base import Emulator, Fault, LoggedRequest
from tests.support.demo_world import DemoWorld, mailbox_of
from tests.support.writes import writes

CHANGED = 2
"""Contacts changed in C4C."""
TITLE = "Head of Procurement"
PEOPLE = {person.provider: person for person in reversed(DEMO_USERS) if person.syncs}
EMULATORS = {Provider.EXCHANGE: "exchange", Provider.GMAIL: "gmail", Provider.GRAPH: "graph"}
TOGETHER = {
    Provider.EXCHANGE: ("POST", r"/EWS/Exchange\.asmx$", b"GetItem"),
    Provider.GRAPH: ("POST", r"/v1\.0/\$batch$", b""),
    Provider.GMAIL: ("GET", r"/v1/people:batchGet$", b""),
}
"""How each mail system is asked for several items in one request."""
ALONE = {
    Provider.EXCHANGE: None,  # EWS reads one item with the same GetItem: counted above
    Provider.GRAPH: re.compile(r"^GET /v1\.0/me/contacts/[^/]+$"),
    Provider.GMAIL: re.compile(r"^GET /v1/people/c\d+$"),
}
"""A request that reads one contact."""


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


def _together(provider: Provider, entry: LoggedRequest) -> bool:
    method, path, body = TOGETHER[provider]
    return entry.method == method and bool(re.search(path, entry.path)) and body in entry.body


def _alone(provider: Provider, entry: LoggedRequest) -> bool:
    pattern = ALONE[provider]
    return pattern is not None and bool(pattern.match(f"{entry.method} {entry.path}"))


def _mail(contoso: DemoWorld, provider: Provider) -> Emulator:
    return contoso.emulators()[EMULATORS[provider]]


@pytest.mark.parametrize("provider", list(EMULATORS), ids=[p.lower() for p in EMULATORS])
def test_changes_from_c4c_read_their_mailbox_items_in_one_request(
    contoso: DemoWorld,
    contoso_sync: Callable[[str], Run],
    session: Session,
    provider: Provider,
) -> None:
    email = PEOPLE[provider].email
    _quiet(contoso_sync)
    _change_in_c4c(contoso, session, email)
    contoso.clear_logs()

    run = contoso_sync(email)

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert (run.updated, run.failed, run.issues_opened) == (CHANGED, 0, 0)
    entries = _mail(contoso, provider).log.entries()
    assert len([e for e in entries if _together(provider, e)]) == 1, "one read for the changes"
    assert not [e.path for e in entries if _alone(provider, e)], "no item read alone"
    assert len(writes(_mail(contoso, provider))) == CHANGED, "one write a change"
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
    _quiet(contoso_sync)
    _change_in_c4c(contoso, session, email)
    contoso.clear_logs()
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
    assert len(writes(mail)) == CHANGED
