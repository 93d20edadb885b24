"""Who wins a conflict, per policy: pure decisions, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.models.tenant import ConflictPolicy
from backend.sync.conflicts import Winner, decide
from backend.sync.guards import GuardLimits, trips

T = datetime(2026, 11, 2, 9, 0, 0, tzinfo=UTC)
LATER = T + timedelta(seconds=2)
SAME_SECOND = T + timedelta(milliseconds=700)


@pytest.mark.parametrize(
    ("policy", "mailbox_at", "c4c_at", "winner"),
    [
        (ConflictPolicy.C4C_WINS, LATER, T, Winner.C4C),
        (ConflictPolicy.MAILBOX_WINS, T, LATER, Winner.MAILBOX),
        (ConflictPolicy.NEWER_WINS, LATER, T, Winner.MAILBOX),
        (ConflictPolicy.NEWER_WINS, T, LATER, Winner.C4C),
        (ConflictPolicy.NEWER_WINS, T, SAME_SECOND, Winner.C4C),
        (ConflictPolicy.NEWER_WINS, None, T, Winner.C4C),
    ],
)
def test_decide(policy, mailbox_at, c4c_at, winner) -> None:
    assert decide(policy, mailbox_at, c4c_at) is winner


@pytest.mark.parametrize(
    ("destructive", "synced", "held"),
    [(24, 50, False), (25, 100, True), (25, 200, False), (30, 120, True), (0, 0, False)],
)
def test_mass_change_needs_both_the_share_and_the_minimum(destructive, synced, held) -> None:
    assert trips(destructive, synced, GuardLimits(share=0.2, minimum=25)) is held
