"""A run always ends with a recorded outcome and the matching status transition."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from backend.extensions import Resources
from backend.models import Mailbox, Run, SyncItem
from backend.models.issue import Source
from backend.models.mailbox import HealthStatus, Stage
from backend.models.run import RunOutcome, Trigger
from backend.models.types import IssueCode, ItemType
from backend.sync import status
from backend.sync.errors import SyncError
from backend.sync.runs import DATABASE_LOST, UNEXPECTED, execute_run


@pytest.fixture
def _run(resources: Resources):
    def run(session: Session, box: Mailbox, body) -> Run:
        return execute_run(session, box, body, trigger=Trigger.CLI, settings=resources.settings)

    return run


def test_a_good_run_is_recorded_with_its_counts(session: Session, box: Mailbox, _run) -> None:
    def body(_session: Session, mailbox: Mailbox, run: Run) -> None:
        assert status.is_ongoing(mailbox)
        run.items_read, run.created = 12, 3

    run = _run(session, box, body)
    session.expire_all()
    stored = session.get(Run, run.id)
    assert (stored.outcome, stored.items_read, stored.created) == (RunOutcome.SUCCEEDED, 12, 3)
    assert stored.finished_at is not None
    mailbox = session.get(Mailbox, box.id)
    assert mailbox.status is HealthStatus.ACTIVE
    assert {state.stage for state in mailbox.item_states} == {Stage.PENDING}


def test_an_auth_failure_stops_the_mailbox(session: Session, box: Mailbox, _run) -> None:
    def body(*_args: object) -> None:
        raise SyncError.of(IssueCode.AUTH, "The password of the mailbox changed", http_status=401)

    run = _run(session, box, body)
    assert (run.outcome, run.error_code) == (RunOutcome.FAILED, IssueCode.AUTH)
    session.expire_all()
    mailbox = session.get(Mailbox, box.id)
    assert mailbox.status is HealthStatus.FAILED_AUTH
    assert mailbox.status_reason == "The password of the mailbox changed"
    assert mailbox.next_sync_at is None


def test_an_unexpected_error_rolls_back_the_body_and_is_recorded(
    session: Session, box: Mailbox, _run
) -> None:
    def body(session: Session, mailbox: Mailbox, _run: Run) -> None:
        session.add(SyncItem(mailbox_id=mailbox.id, item_type=ItemType.CONTACT, external_id="x"))
        session.flush()
        raise ValueError("unexpected answer")

    run = _run(session, box, body)
    assert run.outcome is RunOutcome.FAILED
    assert run.error_message == UNEXPECTED, "people read words, not the exception"
    assert run.error_detail == "ValueError: unexpected answer", "the detail is kept for key users"
    assert run.error_source is Source.ENGINE
    assert session.scalars(select(SyncItem)).all() == []
    session.expire_all()
    mailbox = session.get(Mailbox, box.id)
    assert (mailbox.status, mailbox.consecutive_failures) == (HealthStatus.FAILED_UNKNOWN, 1)
    assert mailbox.status_reason == UNEXPECTED
    assert (mailbox.failing_since, mailbox.failing_source) == (run.finished_at, Source.ENGINE)


def test_a_lost_database_connection_reads_as_plain_words(
    session: Session, box: Mailbox, _run
) -> None:
    def body(*_args: object) -> None:
        raise OperationalError(
            "SELECT 1", {}, Exception("server closed the connection unexpectedly")
        )

    run = _run(session, box, body)
    assert (run.outcome, run.error_code) == (RunOutcome.FAILED, IssueCode.TEMPORARY)
    assert run.error_message == DATABASE_LOST
    assert "OperationalError" not in run.error_message
    assert "server closed the connection" in (run.error_detail or "")
    session.expire_all()
    assert session.get(Mailbox, box.id).status_reason == DATABASE_LOST


def test_a_good_run_clears_what_the_failures_recorded(session: Session, box: Mailbox, _run) -> None:
    def failing(*_args: object) -> None:
        raise SyncError.of(IssueCode.TEMPORARY, "SAP did not answer", source=Source.C4C)

    first = _run(session, box, failing)
    _run(session, box, failing)
    session.expire_all()
    mailbox = session.get(Mailbox, box.id)
    assert (mailbox.failing_since, mailbox.failing_source) == (first.finished_at, Source.C4C)
    _run(session, box, lambda *_args: None)
    session.expire_all()
    mailbox = session.get(Mailbox, box.id)
    assert (mailbox.failing_since, mailbox.failing_source, mailbox.status_reason) == (
        None, None, None,
    )  # fmt: skip


def test_a_mailbox_already_running_is_refused_without_a_run(
    session: Session, box: Mailbox, _run
) -> None:
    status.mark_ongoing(box, box.created_at)
    session.commit()
    with pytest.raises(status.TransitionError):
        _run(session, box, lambda *_args: None)
    assert session.scalars(select(Run)).all() == []
