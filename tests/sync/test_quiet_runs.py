"""A run after a quiet period writes nothing, on either side nor in its own pairing rows, and
leaves every issue as it was.

The world is the demo's: its emulators seeded as ``flask demo`` seeds them and Contoso made by
the demo's seed, five mailboxes on three mail systems sharing one C4C. The first sync meets the
demo's issues; every later run with nothing changed must be a no-op, whatever order the
mailboxes run in, because C4C sends its newest rows again on every delta read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from exchangelib import Contact
from exchangelib.indexed_properties import PhoneNumber
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from backend.actions import mailbox as mailbox_actions
from backend.demo.data import DEMO_USERS
from backend.extensions import Resources
from backend.models import Issue, Mailbox, Run, User
from backend.models.mailbox import HealthStatus
from backend.models.run import RunOutcome
from backend.models.types import IssueCode, ItemType
from backend.sync import health
from tests.support.demo_world import DemoWorld, mailbox_of
from tests.support.outlook import bare_account
from tests.support.owners import GmailOwner, GraphOwner, OutlookOwner
from tests.support.statements import commits_sent, statements_run
from tests.support.writes import writes

QUIET_ROUNDS = 4
BEN = next(person for person in DEMO_USERS if person.email.startswith("ben."))
CHANGE_KEY_ONLY = re.compile(
    r"UPDATE sync_item SET mailbox_change_key=\S+ WHERE sync_item\.id = \S+"
)
"""The one write of the pairing rows the first quiet run makes (any database's placeholders)."""
COUNTERS = ("created", "updated", "deleted", "failed", "issues_opened", "issues_resolved")


@pytest.fixture
def app_config(contoso: DemoWorld) -> dict[str, object]:
    return contoso.app_config()


def _issues(session: Session) -> set[tuple]:
    session.expire_all()
    return {
        (i.id, i.mailbox_id, i.code, i.occurrences, i.last_seen_at, i.resolved_at)
        for i in session.scalars(select(Issue))
    }


SYNCING = tuple(person for person in DEMO_USERS if person.syncs)
"""The demo's people whose mailbox syncs (not Paul's, whose password changed, nor Dora's,
whose account is disabled)."""


def _first_sync(contoso_sync: Callable[[str], Run]) -> None:
    for person in SYNCING:
        run = contoso_sync(person.email)
        assert run.outcome is RunOutcome.SUCCEEDED, (person.email, run.error_message)


def test_quiet_runs_after_the_first_sync_write_nothing_and_change_no_issue(
    contoso: DemoWorld, contoso_sync: Callable[[str], Run], session: Session
) -> None:
    _first_sync(contoso_sync)
    opened = _issues(session)
    assert len([i for i in opened if i[5] is None]) == 17, "the demo's issues are open"
    people = [person.email for person in SYNCING]
    pairing_writes: list[str] = []

    def _pairing_write(_conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) and (
            " sync_item " in f" {statement} " or "sync_item\n" in statement
        ):
            pairing_writes.append(statement.split("\n")[0])

    event.listen(session.get_bind(), "before_cursor_execute", _pairing_write)
    for round_number in range(QUIET_ROUNDS):
        contoso.clear_logs()
        order = people[round_number:] + people[:round_number]
        if round_number % 2:
            order.reverse()
        for email in order:
            run = contoso_sync(email)
            assert run.outcome is RunOutcome.SUCCEEDED, (email, run.error_message)
            figures = {name: getattr(run, name) for name in COUNTERS}
            assert figures == dict.fromkeys(COUNTERS, 0), (round_number, email, figures)
            assert run.read_in_full is None, "every cursor was still valid"
        written = {name: writes(emulator) for name, emulator in contoso.emulators().items()}
        assert written == {name: [] for name in written}, f"round {round_number} wrote"
        assert _issues(session) == opened, f"round {round_number} changed an issue"
        # The first quiet run notes the change keys the first sync's markers gave the items it
        # marked; after that nothing of the pairing rows is written.
        written_rows = {
            statement for statement in pairing_writes
            if round_number > 0 or not CHANGE_KEY_ONLY.fullmatch(statement)
        }  # fmt: skip
        assert not written_rows, f"round {round_number} wrote the pairing rows: {written_rows}"
        pairing_writes.clear()
    event.remove(session.get_bind(), "before_cursor_execute", _pairing_write)


QUIET_STATEMENTS, QUIET_COMMITS = 35, 13
"""What a quiet run of the demo's mailboxes sends to the database at most: the run's own rows,
one look at the tenant's C4C feeds, and for each type read from SAP its feed's read (the row
under the lock, the records C4C sent again, the read's time) and its items with work."""


def test_a_quiet_run_sends_the_database_a_fixed_number_of_statements(
    contoso: DemoWorld,
    contoso_sync: Callable[[str], Run],
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A run STAMP_EVERY after the shared services' last stamp writes one more (a slow machine's).
    monkeypatch.setattr(health, "STAMP_EVERY", timedelta(days=1))
    _first_sync(contoso_sync)
    for person in SYNCING:
        contoso_sync(person.email)
    engine = session.get_bind()
    for person in SYNCING:
        with statements_run(engine) as sent, commits_sent(engine) as commits:
            run = contoso_sync(person.email)
        assert run.outcome is RunOutcome.SUCCEEDED, (person.email, run.error_message)
        assert len(sent) <= QUIET_STATEMENTS, (person.email, len(sent))
        assert len(commits) <= QUIET_COMMITS, (person.email, len(commits))
        asked = [s for s in sent if "c4c_record.seq <=" in s]
        assert not asked, "the feed holds nothing new: no mailbox's share of it is asked for"


def _northwind_in(contoso: DemoWorld) -> Contact:
    account = bare_account(contoso.ews.endpoint, BEN.email, BEN.password)
    folder = account.contacts / "SAP Accounts"
    [found] = [c for c in folder.all() if c.display_name == "Northwind Traders"]
    return found


def _forbidden(session: Session, mailbox: Mailbox) -> Issue:
    session.expire_all()
    return session.scalars(
        select(Issue).where(
            Issue.mailbox_id == mailbox.id,
            Issue.item_type == ItemType.ACCOUNT,
            Issue.code == IssueCode.FORBIDDEN,
        )
    ).one()


def test_a_refused_edit_of_a_read_only_account_is_kept_until_something_really_changes(
    contoso: DemoWorld, contoso_sync: Callable[[str], Run], session: Session
) -> None:
    """Ben's Northwind Traders: the mailbox wins for accounts, C4C refuses the change."""
    _first_sync(contoso_sync)
    ben = mailbox_of(session, BEN.email)
    issue = _forbidden(session, ben)
    assert issue.resolved_at is None
    seen = issue.occurrences
    for _ in range(QUIET_ROUNDS):
        for person in SYNCING:
            contoso_sync(person.email)
    northwind = _northwind_in(contoso)
    assert [e.email for e in northwind.email_addresses or []] == ["info@northwind.test"]
    assert "Sync Error" in (northwind.categories or [])
    still = _forbidden(session, ben)
    assert (still.resolved_at, still.occurrences) == (None, seen)

    store = contoso.c4c.service.store
    [row] = [r for r in store.all("CorporateAccountCollection") if r["Name"] == "Northwind Traders"]
    store.read_only.discard(row["ObjectID"])
    store.update("CorporateAccountCollection", row["ObjectID"], {"Phone": "+49 30 1234"})
    store.read_only.add(row["ObjectID"])
    run = contoso_sync(BEN.email)
    assert run.updated == 0, "the mailbox's edit wins for accounts, and C4C refuses it again"
    assert [e.email for e in _northwind_in(contoso).email_addresses or []] == [
        "info@northwind.test"
    ]
    again = _forbidden(session, ben)
    assert (again.resolved_at, again.occurrences) == (None, seen + 1)

    undone = _northwind_in(contoso)
    undone.email_addresses = None
    undone.phone_numbers = [PhoneNumber(label="BusinessPhone", phone_number="+49 30 1234")]
    undone.save(update_fields=["email_addresses", "phone_numbers"])
    run = contoso_sync(BEN.email)
    assert run.outcome is RunOutcome.SUCCEEDED and run.issues_resolved == 1
    assert _forbidden(session, ben).resolved_at is not None, "Ben undid his edit: in sync"
    assert "Sync Error" not in (_northwind_in(contoso).categories or [])


def test_what_colleagues_created_in_sap_reaches_its_owners_mailbox_on_the_first_sync(
    contoso: DemoWorld, contoso_sync: Callable[[str], Run]
) -> None:
    _first_sync(contoso_sync)
    people = {person.email.split(".")[0]: person for person in DEMO_USERS}
    ben, gina, olivia = people["ben"], people["gina"], people["olivia"]
    assert "Prepare the Fabrikam renewal" in (
        OutlookOwner(contoso.ews, ben.email, ben.password).task_subjects()
    )
    assert "Call Northwind about the delayed order" in (
        GraphOwner(contoso.graph, olivia.email, olivia.graph_token).task_subjects()
    )
    assert "Quarterly review with Northwind" in (
        GmailOwner(contoso.google, gina.email, gina.google_token).meeting_subjects()
    )
    bens = OutlookOwner(contoso.ews, ben.email, ben.password)
    assert "Quarterly review with Northwind" in bens.meeting_subjects(), "he is one of its parties"
    assert bens.invitations_sent() == 0
    anna = people["anna"]
    assert "Prepare the Fabrikam renewal" not in (
        OutlookOwner(contoso.ews, anna.email, anna.password).task_subjects()
    )


def test_pauls_changed_password_and_doras_disabled_account_stop_their_mailboxes(
    contoso: DemoWorld, contoso_sync: Callable[[str], Run], session: Session, resources: Resources
) -> None:
    people = {person.email.split(".")[0]: person for person in DEMO_USERS}
    paul, dora = people["paul"], people["dora"]
    stopped = contoso_sync(paul.email)
    assert (stopped.outcome, stopped.error_code) == (RunOutcome.FAILED, IssueCode.AUTH)
    assert mailbox_of(session, paul.email).status is HealthStatus.FAILED_AUTH
    disabled = contoso_sync(dora.email)
    assert (disabled.outcome, disabled.error_code) == (
        RunOutcome.FAILED, IssueCode.ACCOUNT_DISABLED,
    )  # fmt: skip
    assert mailbox_of(session, dora.email).status is HealthStatus.DISABLED
    assert session.scalars(select(Issue)).all() == [], "a stopped mailbox is no item's issue"
    assert writes(contoso.c4c) == [] and writes(contoso.ews) == []

    box = mailbox_of(session, paul.email)
    user = session.get(User, box.user_id)
    credentials = {"username": paul.email, "password": paul.server_password}
    mailbox_actions.reactivate(session, box, user, resources.cipher, credentials)
    session.commit()
    again = contoso_sync(paul.email)
    assert again.outcome is RunOutcome.SUCCEEDED, again.error_message
    assert mailbox_of(session, paul.email).status is HealthStatus.ACTIVE
