"""Mailbox status transitions, table-driven: one row per (start state, transition)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from backend.models.mailbox import HealthStatus, Mailbox, MailboxItemState, Provider, Stage
from backend.models.types import IssueCode, ItemType
from backend.sync import status

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
INTERVAL = timedelta(minutes=5)
H = HealthStatus


def mailbox(
    health: HealthStatus = H.ACTIVE,
    stage: Stage = Stage.PENDING,
    failures: int = 0,
    synced: bool = True,
) -> Mailbox:
    box = Mailbox(
        provider=Provider.EXCHANGE,
        address="a@contoso.test",
        status=health,
        consecutive_failures=failures,
        last_synced_at=NOW - timedelta(hours=1) if synced else None,
    )
    box.item_states = [
        MailboxItemState(
            item_type=item_type, stage=stage, stage_started_at=NOW - timedelta(hours=2)
        )
        for item_type in (ItemType.CONTACT, ItemType.EMAIL)
    ]
    return box


@dataclass
class Row:
    name: str
    start: Mailbox
    act: object
    status: HealthStatus | None = None
    stage: Stage | None = None
    failures: int | None = None
    next_sync_in: timedelta | str | None = "unchecked"
    raises: type[Exception] | None = None


def _failed(code: IssueCode):
    return lambda box: status.mark_failed(box, code, NOW, INTERVAL, "boom")


ROWS = [
    Row("schedule pending", mailbox(), lambda b: status.mark_scheduled(b, NOW), H.ACTIVE, Stage.SCHEDULED),
    Row("schedule scheduled stays", mailbox(stage=Stage.SCHEDULED), lambda b: status.mark_scheduled(b, NOW), H.ACTIVE, Stage.SCHEDULED),
    Row("schedule ongoing refused", mailbox(stage=Stage.ONGOING), lambda b: status.mark_scheduled(b, NOW), raises=status.TransitionError),
    Row("schedule paused refused", mailbox(H.PAUSED), lambda b: status.mark_scheduled(b, NOW), raises=status.TransitionError),
    Row("schedule failed auth refused", mailbox(H.FAILED_AUTH), lambda b: status.mark_scheduled(b, NOW), raises=status.TransitionError),
    Row("ongoing from scheduled", mailbox(stage=Stage.SCHEDULED), lambda b: status.mark_ongoing(b, NOW), H.ACTIVE, Stage.ONGOING),
    Row("ongoing twice refused", mailbox(stage=Stage.ONGOING), lambda b: status.mark_ongoing(b, NOW), raises=status.TransitionError),
    Row("ongoing when disabled refused", mailbox(H.DISABLED), lambda b: status.mark_ongoing(b, NOW), raises=status.TransitionError),
    Row("ongoing retries failed unknown", mailbox(H.FAILED_UNKNOWN, failures=3), lambda b: status.mark_ongoing(b, NOW), H.FAILED_UNKNOWN, Stage.ONGOING, 3),
    Row("completed", mailbox(H.NOT_SYNCED, Stage.ONGOING, synced=False), lambda b: status.mark_completed(b, NOW, INTERVAL), H.ACTIVE, Stage.PENDING, 0, INTERVAL),
    Row("completed clears failures", mailbox(H.FAILED_UNKNOWN, Stage.ONGOING, failures=7), lambda b: status.mark_completed(b, NOW, INTERVAL), H.ACTIVE, Stage.PENDING, 0, INTERVAL),
    Row("failed auth", mailbox(stage=Stage.ONGOING), _failed(IssueCode.AUTH), H.FAILED_AUTH, Stage.PENDING, 1, None),
    Row("failed disabled", mailbox(stage=Stage.ONGOING), _failed(IssueCode.ACCOUNT_DISABLED), H.DISABLED, Stage.PENDING, 1, None),
    Row("failed temporary backs off", mailbox(stage=Stage.ONGOING, failures=1), _failed(IssueCode.TEMPORARY), H.FAILED_UNKNOWN, Stage.PENDING, 2, INTERVAL * 2),
    Row("failed backoff capped", mailbox(H.FAILED_UNKNOWN, Stage.ONGOING, failures=9), _failed(IssueCode.UNKNOWN), H.FAILED_UNKNOWN, Stage.PENDING, 10, INTERVAL * 6),
    Row("pause", mailbox(), lambda b: status.pause(b, NOW), H.PAUSED, Stage.PENDING, next_sync_in=None),
    Row("pause twice", mailbox(H.PAUSED), lambda b: status.pause(b, NOW), H.PAUSED),
    Row("pause failed auth refused", mailbox(H.FAILED_AUTH), lambda b: status.pause(b, NOW), raises=status.TransitionError),
    Row("resume synced", mailbox(H.PAUSED), lambda b: status.resume(b, NOW), H.ACTIVE, next_sync_in=timedelta(0)),
    Row("resume never synced", mailbox(H.PAUSED, synced=False), lambda b: status.resume(b, NOW), H.NOT_SYNCED, next_sync_in=timedelta(0)),
    Row("resume active refused", mailbox(), lambda b: status.resume(b, NOW), raises=status.TransitionError),
    Row("reactivate after auth", mailbox(H.FAILED_AUTH, failures=4), lambda b: status.reactivate(b, NOW), H.ACTIVE, failures=0, next_sync_in=timedelta(0)),
    Row("reactivate keeps pause", mailbox(H.PAUSED), lambda b: status.reactivate(b, NOW), H.PAUSED),
    Row("reset", mailbox(H.FAILED_AUTH, failures=4), lambda b: status.reset(b, NOW), H.NOT_SYNCED, Stage.PENDING, 0, timedelta(0)),
    Row("reset while ongoing refused", mailbox(stage=Stage.ONGOING), lambda b: status.reset(b, NOW), raises=status.TransitionError),
    Row("sweep dead run", mailbox(stage=Stage.ONGOING), lambda b: status.sweep_dead(b, NOW), H.ACTIVE, Stage.PENDING, next_sync_in=timedelta(0)),
    Row("sweep idle changes nothing", mailbox(stage=Stage.PENDING), lambda b: status.sweep_dead(b, NOW), H.ACTIVE, Stage.PENDING),
    Row("sweep paused keeps it unscheduled", mailbox(H.PAUSED, Stage.ONGOING), lambda b: status.sweep_dead(b, NOW), H.PAUSED, Stage.PENDING, next_sync_in=None),
    Row("relaunch failed", mailbox(H.FAILED_UNKNOWN, failures=5), lambda b: status.relaunch(b, NOW), H.FAILED_UNKNOWN, failures=5, next_sync_in=timedelta(0)),
    Row("force", mailbox(), lambda b: status.force(b, NOW, timedelta(minutes=1)), H.ACTIVE, next_sync_in=timedelta(0)),
    Row("force when paused refused", mailbox(H.PAUSED), lambda b: status.force(b, NOW, timedelta(minutes=1)), raises=status.TransitionError),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_transition(row: Row) -> None:
    box = row.start
    if row.raises is not None:
        before = (box.status, [s.stage for s in box.item_states], box.consecutive_failures)
        with pytest.raises(row.raises):
            row.act(box)  # type: ignore[operator]
        assert before == (box.status, [s.stage for s in box.item_states], box.consecutive_failures)
        return
    row.act(box)  # type: ignore[operator]
    if row.status is not None:
        assert box.status is row.status
    if row.stage is not None:
        assert {state.stage for state in box.item_states} == {row.stage}
    if row.failures is not None:
        assert box.consecutive_failures == row.failures
    if row.next_sync_in != "unchecked":
        expected = None if row.next_sync_in is None else NOW + row.next_sync_in
        assert box.next_sync_at == expected


def test_completed_reports_recovery_only_after_failures() -> None:
    assert status.mark_completed(mailbox(H.FAILED_UNKNOWN, Stage.ONGOING, 3), NOW, INTERVAL)
    assert not status.mark_completed(mailbox(H.ACTIVE, Stage.ONGOING), NOW, INTERVAL)


def test_a_scheduled_run_keeps_the_cadence_of_its_due_time() -> None:
    box = mailbox(stage=Stage.ONGOING)
    due = NOW - timedelta(seconds=40)
    status.mark_completed(box, NOW, INTERVAL, due)
    assert box.next_sync_at == due + INTERVAL, "due one interval after this one was due"
    long_ago = NOW - 3 * INTERVAL  # a run longer than the interval
    status.mark_completed(box, NOW, INTERVAL, long_ago)
    assert box.next_sync_at == NOW + INTERVAL / 10, "not at once, a tenth of an interval later"


def test_completed_stamps_the_types_that_ran() -> None:
    box = mailbox(stage=Stage.ONGOING)
    status.mark_completed(box, NOW, INTERVAL)
    assert {state.last_synced_at for state in box.item_states} == {NOW}


def test_auth_failure_records_when() -> None:
    box = mailbox(stage=Stage.ONGOING)
    status.mark_failed(box, IssueCode.AUTH, NOW, INTERVAL, "password changed")
    assert box.auth_failed_at == NOW
    assert box.status_reason == "password changed"


def test_reset_forgets_cursors() -> None:
    box = mailbox()
    for state in box.item_states:
        state.cursor = "state-1"
        state.c4c_seq = 7
    status.reset(box, NOW)
    assert {(s.cursor, s.c4c_seq, s.last_synced_at) for s in box.item_states} == {
        (None, None, None)
    }


def test_force_is_allowed_once_a_minute() -> None:
    box = mailbox()
    status.force(box, NOW, timedelta(minutes=1))
    with pytest.raises(status.ForcedTooSoon) as raised:
        status.force(box, NOW + timedelta(seconds=20), timedelta(minutes=1))
    assert raised.value.seconds_left == 40
    status.force(box, NOW + timedelta(seconds=61), timedelta(minutes=1))
    assert box.last_forced_at == NOW + timedelta(seconds=61)
