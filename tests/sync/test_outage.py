"""A tenant whose C4C (or Exchange server) dies: one cycle of all its mailboxes costs little, the
outage is reported in plain words blaming the right service, and the next cycle after it comes
back syncs what waited. Timeouts are short settings; the circuits run on a clock of the test's.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.extensions import Resources
from backend.models import Issue, Mailbox, Run, ServiceHealth, Tenant, User
from backend.models.issue import Source
from backend.models.mailbox import HealthStatus, Provider
from backend.models.run import RunOutcome, Trigger
from backend.models.types import IssueCode
from backend.settings import Settings
from backend.sync.engine import Engine
from backend.sync.runs import execute_run
from backend.tenants.onboarding import add_user
from emulators.base import Fault
from emulators.c4c import C4CEmulator
from emulators.ews import EwsEmulator
from emulators.ews.seed import add_contact
from tests.support.clock import Clock
from tests.support.owners import OutlookOwner
from tests.support.web import sign_in

COLLEAGUES = ("ben", "carla", "dirk")
BACK_OFF = 300


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limits(resources: Resources) -> Settings:
    """A second to connect and to answer (short, yet long enough for an emulator on a busy
    machine); a run gives up after two seconds lost waiting."""
    return dataclasses.replace(
        resources.settings,
        connect_timeout_seconds=1.0,
        read_timeout_seconds=1.0,
        service_give_up_seconds=2.0,
        circuit_open_seconds=BACK_OFF,
    )


@pytest.fixture
def team(
    session: Session, resources: Resources, tenant: Tenant, ews: EwsEmulator, mailbox: Mailbox
) -> list[Mailbox]:
    """Anna and three colleagues of the tenant, each with a contact in their Exchange mailbox."""
    boxes = [mailbox]
    add_contact(ews.store.mailbox(mailbox.address), "Erik", "Anna-Customer", "erik@anna.test")
    for name in COLLEAGUES:
        address = f"{name}@contoso.test"
        box = ews.store.add_mailbox(address, f"{name}-pass")
        add_contact(box, "Erik", f"{name.title()}-Customer", f"erik@{name}.test")
        secret = {"username": address, "password": f"{name}-pass"}
        user = add_user(session, tenant, email=address, name=name.title(), cipher=resources.cipher,
                        provider=Provider.EXCHANGE, mailbox_credentials=secret)  # fmt: skip
        session.flush()
        boxes.append(session.query(Mailbox).filter_by(user_id=user.id).one())
    session.commit()
    return boxes


@pytest.fixture
def cycle(
    session: Session, resources: Resources, limits: Settings, clock: Clock
) -> Callable[[list[Mailbox]], tuple[float, list[Run]]]:
    """Every mailbox once, one after the other, as one worker runs what the scheduler queued."""

    def run_all(boxes: list[Mailbox]) -> tuple[float, list[Run]]:
        runs, started = [], time.monotonic()
        for box in boxes:
            session.refresh(box)
            engine = Engine(
                resources.cipher, limits, resources.redis, sleep=lambda _s: None, clock=clock
            )
            runs.append(
                execute_run(session, box, engine, trigger=Trigger.SCHEDULE, settings=limits)
            )
        return time.monotonic() - started, runs

    return run_all


def _all_succeeded(runs: list[Run]) -> None:
    assert [run.outcome for run in runs] == [RunOutcome.SUCCEEDED] * len(runs), [
        run.error_message for run in runs
    ]


def _new_contact_each(ews: EwsEmulator, boxes: list[Mailbox]) -> None:
    """One contact per mailbox that C4C does not have yet: a write waiting for C4C."""
    for box in boxes:
        add_contact(ews.store.mailbox(box.address), "Waiting", box.address.split("@")[0].title(),
                    f"waiting@{box.address.split('@')[0]}.test")  # fmt: skip


def _statuses(session: Session, boxes: list[Mailbox]) -> Counter:
    session.expire_all()
    return Counter(session.get(Mailbox, box.id).status for box in boxes)


def _one_each_in_c4c(c4c: C4CEmulator, count: int) -> None:
    contacts = c4c.service.store.all("ContactCollection")
    assert len(contacts) == count
    assert max(Counter(c["ExternalID"] for c in contacts).values()) == 1, "no duplicate"
    assert max(Counter(c["Email"] for c in contacts).values()) == 1, "no duplicate"


@pytest.fixture
def c4c_down(c4c: C4CEmulator) -> Iterator[C4CEmulator]:
    """C4C, to take down (connections refused) and bring back; it is back after the test."""
    yield c4c
    if c4c._held is not None:
        c4c.come_back()


def test_a_tenant_against_a_c4c_that_never_answers_costs_one_give_up_not_every_timeout(
    app, client, session, c4c: C4CEmulator, ews: EwsEmulator, team, cycle, clock: Clock
) -> None:
    _seconds, first = cycle(team)
    _all_succeeded(first)
    _new_contact_each(ews, team)
    c4c.faults.add(Fault(hang=True, times=10**6))
    c4c.log.clear()

    seconds, runs = cycle(team)

    # Without the circuit each run waited 4 tries of 1 s plus back-offs (about 9 s each).
    assert seconds < 5, f"the cycle of {len(team)} mailboxes took {seconds:.1f} s"
    assert c4c.log.count() == 2, "only the first run talked to C4C, twice, then gave up"
    assert [(r.outcome, r.error_code, r.error_source) for r in runs] == [
        (RunOutcome.FAILED, IssueCode.TEMPORARY, Source.C4C)
    ] * len(team)
    assert runs[0].error_message == "SAP Cloud for Customer did not answer within 1 s"
    for later in runs[1:]:
        assert later.error_message.startswith(
            "SAP Cloud for Customer did not answer within 1 s (not answering since "
        )
        assert "circuit open" in (later.error_detail or "")
    assert "Read timed out" in (runs[0].error_detail or ""), "the detail keeps the technical text"
    assert HealthStatus.FAILED_AUTH not in _statuses(session, team)
    health = session.get(ServiceHealth, (team[0].tenant_id, "C4C"))
    assert health.failing_since is not None and health.last_ok_at is not None

    page = sign_in(app, client, session.get(User, team[0].user_id)).get("/").get_data(as_text=True)
    assert 'id="c4c-pill">Not reachable<' in page
    assert "SAP Cloud for Customer did not answer within 1 s. Since " in page
    assert 'id="mailbox-pill">Waiting for SAP<' in page
    assert "Read timed out" not in page and "HTTPConnectionPool" not in page

    c4c.faults.clear()
    _seconds, skipped = cycle(team)
    assert {run.outcome for run in skipped} == {RunOutcome.FAILED}, "back-off not over yet"
    clock.now += BACK_OFF + 1
    _seconds, back = cycle(team)
    _all_succeeded(back)
    _one_each_in_c4c(c4c, 2 * len(team))
    session.expire_all()
    health = session.get(ServiceHealth, (team[0].tenant_id, "C4C"))
    assert (health.failing_since, health.problem) == (None, None)
    assert Counter(session.get(Mailbox, b.id).status for b in team) == {
        HealthStatus.ACTIVE: len(team)
    }
    page = client.get("/").get_data(as_text=True)
    assert 'id="c4c-pill">Connected<' in page and 'id="mailbox-pill">Synced<' in page


def test_a_tenant_against_a_c4c_that_is_down_fails_fast_and_recovers_on_the_first_answer(
    session, c4c_down: C4CEmulator, ews: EwsEmulator, team, cycle, clock: Clock
) -> None:
    c4c = c4c_down
    _seconds, first = cycle(team)
    _all_succeeded(first)
    _new_contact_each(ews, team)
    c4c.go_down()

    seconds, runs = cycle(team)

    assert seconds < 3, f"the cycle of {len(team)} mailboxes took {seconds:.1f} s"
    assert {(r.outcome, r.error_code, r.error_source) for r in runs} == {
        (RunOutcome.FAILED, IssueCode.TEMPORARY, Source.C4C)
    }
    assert runs[0].error_message == (
        "SAP Cloud for Customer refused the connection: it is down or not at its address"
    )
    assert HealthStatus.FAILED_AUTH not in _statuses(session, team)

    c4c.come_back()
    clock.now += BACK_OFF + 1
    _seconds, back = cycle(team)
    _all_succeeded(back)
    _one_each_in_c4c(c4c, 2 * len(team))


def test_a_shared_exchange_server_that_never_answers_is_given_up_once_for_the_tenant(
    app, client, session, c4c: C4CEmulator, ews: EwsEmulator, team, cycle, clock: Clock
) -> None:
    _seconds, first = cycle(team)
    _all_succeeded(first)
    ews.faults.add(Fault(path="/EWS/", hang=True, times=10**6))
    c4c.log.clear()
    ews.log.clear()

    seconds, runs = cycle(team)

    assert seconds < 5, f"the cycle of {len(team)} mailboxes took {seconds:.1f} s"
    assert {(r.error_code, r.error_source) for r in runs} == {
        (IssueCode.TEMPORARY, Source.EXCHANGE)
    }
    assert runs[0].error_message == "The Exchange server did not answer within 1 s"
    assert all("not answering since" in run.error_message for run in runs[1:])
    assert ews.log.count(path="/EWS/") == 2, "the other mailboxes did not wait for it"
    # C4C was asked nothing but the tenant's feeds, which a run on PostgreSQL reads beside the
    # mailbox (and keeps, whatever the mailbox did); on SQLite a run reads them after it.
    feeds = {"CorporateAccountCollection", "ContactCollection", "TasksCollection",
             "AppointmentCollection"}  # fmt: skip
    asked = {(entry.method, entry.path.rsplit("/", 1)[1]) for entry in c4c.log.entries()}
    assert asked <= {("GET", name) for name in feeds}, asked
    if session.get_bind().dialect.name == "sqlite":
        assert not asked
    assert HealthStatus.FAILED_AUTH not in _statuses(session, team)
    page = sign_in(app, client, session.get(User, team[1].user_id)).get("/").get_data(as_text=True)
    assert 'id="mailbox-pill">Sync failed<' in page
    assert "The Exchange server did not answer within 1 s" in page
    assert 'id="c4c-pill">Connected<' in page

    ews.faults.clear()
    clock.now += BACK_OFF + 1
    _seconds, back = cycle(team)
    _all_succeeded(back)


def test_a_c4c_that_hangs_on_writes_costs_one_timeout_and_the_writes_wait_for_the_next_run(
    session, c4c: C4CEmulator, ews: EwsEmulator, mailbox, cycle, clock: Clock
) -> None:
    """The four changes go up in one ``$batch``, which C4C takes in and never answers: the run
    waits out one timeout (not one per change), counts the four as failed for now and goes on;
    the next run, C4C answering again, sends each once."""
    owner = OutlookOwner(ews, mailbox.address, "anna-pass")
    contacts = [owner.add_contact("Ann", f"Customer{n}", email=f"c{n}@fabrikam.test")
                for n in range(4)]  # fmt: skip
    _seconds, first = cycle([mailbox])
    _all_succeeded(first)
    for number, contact in enumerate(contacts):
        owner.edit_contact(contact, job_title=f"Buyer {number}")
    c4c.faults.add(Fault(path=r"/\$batch$", method="POST", containing="PATCH ", hang=True,
                         times=10**6))  # fmt: skip
    c4c.log.clear()

    seconds, (run,) = cycle([mailbox])

    assert (run.outcome, run.updated, run.failed) == (RunOutcome.SUCCEEDED, 0, 4)
    assert c4c.log.count("POST", r"/\$batch$") == 1 and c4c.log.count("PATCH") == 0
    assert seconds < 4, "one timeout of a second, not four"
    assert not any(c.get("JobTitle") for c in c4c.service.store.all("ContactCollection"))
    assert session.scalars(select(Issue)).all() == [], "temporary: no issue before it repeats"

    c4c.faults.clear()
    clock.now += BACK_OFF + 1
    _seconds, (again,) = cycle([mailbox])
    _all_succeeded([again])
    assert again.updated == 4
    titles = sorted(c["JobTitle"] for c in c4c.service.store.all("ContactCollection"))
    assert titles == [f"Buyer {n}" for n in range(4)], "every waiting write arrived"
    _one_each_in_c4c(c4c, 4)


def test_the_failure_mail_of_an_outage_says_it_in_plain_words(
    session, mail, c4c: C4CEmulator, ews: EwsEmulator, team, cycle, tenant
) -> None:
    config = tenant.config
    config.notify_failure_threshold = 2
    tenant.config = config
    session.commit()
    _seconds, first = cycle(team[:1])
    _all_succeeded(first)
    c4c.faults.add(Fault(hang=True, times=10**6))

    cycle(team[:1])
    cycle(team[:1])

    [sent] = [m for m in mail.messages if "failed 2 times" in m.subject]
    assert "Last error: SAP Cloud for Customer did not answer within 1 s" in sent.body
    for raw in ("HTTPConnectionPool", "Read timed out", "Traceback", "Error:"):
        assert raw not in sent.body
