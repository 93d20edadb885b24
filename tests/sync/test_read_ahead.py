"""A run reads the tenant's C4C feeds while it reads the mailbox, where the database takes two
writers at once (PostgreSQL); on SQLite it reads them one after the other, as before.

The world is the demo's (its emulators seeded as ``flask demo`` seeds them, Contoso made by the
demo's seed), so the runs are the ones the demo and production make. The mailbox's first
request of a run is held for a while; C4C hearing the feed's reads before it is answered is
what shows the reads side by side, whatever the machine's speed.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from backend.demo.data import DEMO_USERS
from backend.models import Run
from backend.models.issue import Source
from backend.models.mailbox import Provider
from backend.models.run import RunOutcome
from backend.sync.read_ahead import THREAD_NAME
from emulators.base import Emulator, Fault, LoggedRequest
from tests.support.demo_world import DemoWorld
from tests.support.threads import alive
from tests.support.writes import writes

HELD = 3.0
"""Seconds the mailbox's first request of the run is held."""
EMULATORS = {Provider.EXCHANGE: "exchange", Provider.GMAIL: "gmail", Provider.GRAPH: "graph"}
PEOPLE = {
    person.provider: person for person in reversed(DEMO_USERS) if person.syncs
}  # one syncing person a mail system: the first of each in the demo's order
FEEDS = ("CorporateAccountCollection", "ContactCollection", "TasksCollection",
         "AppointmentCollection")  # fmt: skip


@pytest.fixture
def app_config(contoso: DemoWorld) -> dict[str, object]:
    return contoso.app_config()


def _postgresql(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the feeds are read side by side on PostgreSQL; the suite runs on SQLite")


def _feed_reads(contoso: DemoWorld) -> list[LoggedRequest]:
    return [
        entry
        for entry in contoso.c4c.log.entries("GET")
        if entry.path.endswith(FEEDS) and "EntityLastChangedOn" in entry.query
    ]


def _held_read(contoso: DemoWorld, provider: Provider) -> Emulator:
    """The mailbox's emulator, its next request (the run's first: its accounts' read) held."""
    emulator = contoso.emulators()[EMULATORS[provider]]
    emulator.faults.add(Fault(delay=HELD))
    return emulator


def _quiet(contoso_sync: Callable[[str], Run]) -> None:
    """Every syncing mailbox synced, then synced again (nothing left to write)."""
    for _round in range(2):
        for person in DEMO_USERS:
            if person.syncs:
                contoso_sync(person.email)


@pytest.mark.parametrize("provider", list(EMULATORS), ids=[p.lower() for p in EMULATORS])
def test_the_feeds_are_read_while_the_mailbox_is_read(
    contoso: DemoWorld,
    contoso_sync: Callable[[str], Run],
    session: Session,
    provider: Provider,
) -> None:
    _postgresql(session)
    _quiet(contoso_sync)
    contoso.clear_logs()
    mail = _held_read(contoso, provider)

    run = contoso_sync(PEOPLE[provider].email)

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    [first] = [entry for entry in mail.log.entries() if entry.fault]
    answered = first.at + HELD
    reads = _feed_reads(contoso)
    assert [entry.path.rsplit("/", 1)[1] for entry in reads] == list(FEEDS), "in the run's order"
    assert reads[0].at < answered, "C4C was read while the mailbox's first read was held"
    written = {name: writes(emulator) for name, emulator in contoso.emulators().items()}
    assert written == {name: [] for name in written}, "a quiet run writes nothing"
    assert not alive(THREAD_NAME), "nothing of the run goes on after it"


def test_on_sqlite_the_feeds_are_read_after_the_mailbox(
    contoso: DemoWorld, contoso_sync: Callable[[str], Run], session: Session
) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite takes one writer at a time; the suite runs on PostgreSQL")
    _quiet(contoso_sync)
    contoso.clear_logs()
    mail = _held_read(contoso, Provider.EXCHANGE)

    run = contoso_sync(PEOPLE[Provider.EXCHANGE].email)

    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    [first] = [entry for entry in mail.log.entries() if entry.fault]
    assert _feed_reads(contoso)[0].at >= first.at + HELD, "after the mailbox's read answered"
    assert not alive(THREAD_NAME), "no thread read them"


def test_a_feed_read_ahead_that_fails_ends_the_run_as_reading_it_did(
    contoso: DemoWorld,
    contoso_sync: Callable[[str], Run],
    session: Session,
) -> None:
    """The contacts' feed fails (C4C refuses the run's credentials for it): the run fails at the
    contacts, as C4C's failure, with the feeds after it unread and no thread left; the next run,
    C4C answering again, is quiet."""
    _postgresql(session)
    _quiet(contoso_sync)
    person = PEOPLE[Provider.EXCHANGE]
    contoso.c4c.log.clear()
    contoso.c4c.faults.add(
        Fault(path="ContactCollection$", method="GET", status=401, body="{}", times=1)
    )

    run = contoso_sync(person.email)

    assert (run.outcome, run.error_source) == (RunOutcome.FAILED, Source.C4C), run.error_message
    reads = [entry.path.rsplit("/", 1)[1] for entry in _feed_reads(contoso)]
    assert reads == ["CorporateAccountCollection", "ContactCollection"], "none after it"
    assert not alive(THREAD_NAME)

    contoso.clear_logs()
    again = contoso_sync(person.email)
    assert again.outcome is RunOutcome.SUCCEEDED, again.error_message
    written = {name: writes(emulator) for name, emulator in contoso.emulators().items()}
    assert written == {name: [] for name in written}
