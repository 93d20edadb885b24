"""Every transition of a mailbox's health, stages and counters, and nothing else writes them.

Health (``Mailbox.status``) says whether the mailbox can sync; the stage of each item type says
where its sync is (``PENDING`` → ``SCHEDULED`` → ``ONGOING`` → ``PENDING``). Functions change the
objects in memory; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _

from backend.models.issue import Source
from backend.models.mailbox import HealthStatus, Mailbox, MailboxItemState, Stage
from backend.models.types import IssueCode, ItemType
from backend.sync.errors import own_words
from backend.text import N_

SYNCABLE = frozenset({HealthStatus.NOT_SYNCED, HealthStatus.ACTIVE, HealthStatus.FAILED_UNKNOWN})
"""Statuses in which the scheduler runs a mailbox."""

MAX_BACKOFF_FACTOR = 6
"""A failing mailbox is retried at most this many sync intervals apart."""


class TransitionError(Exception):
    """The mailbox is not in a state that allows the requested transition."""


class ForcedTooSoon(TransitionError):
    """A forced sync was asked for again before the minimum interval passed."""

    def __init__(self, seconds_left: int) -> None:
        super().__init__(f"a sync was forced recently; try again in {seconds_left} s")
        self.seconds_left = seconds_left


def _states(mailbox: Mailbox, item_types: Iterable[ItemType] | None) -> list[MailboxItemState]:
    if item_types is None:
        return list(mailbox.item_states)
    return [mailbox.item_state(item_type) for item_type in item_types]


def _require_syncable(mailbox: Mailbox, refusal: str) -> None:
    """``refusal``: the sentence that says what cannot be done, ``%(status)s`` for the status."""
    if mailbox.status not in SYNCABLE:
        raise TransitionError(_(refusal, status=mailbox.status.value))


def is_ongoing(mailbox: Mailbox) -> bool:
    return any(state.stage is Stage.ONGOING for state in mailbox.item_states)


def _idle_states(
    mailbox: Mailbox, item_types: Iterable[ItemType] | None, refusal: str
) -> list[MailboxItemState]:
    """The stages to move, after checking the mailbox may move (else ``refusal``) and none is
    ongoing."""
    _require_syncable(mailbox, refusal)
    states = _states(mailbox, item_types)
    if any(state.stage is Stage.ONGOING for state in states):
        raise TransitionError(_("a run of this mailbox is ongoing"))
    return states


def mark_scheduled(
    mailbox: Mailbox, now: datetime, item_types: Iterable[ItemType] | None = None
) -> None:
    """A run was queued: ``PENDING`` stages become ``SCHEDULED`` (already scheduled ones stay)."""
    for state in _idle_states(
        mailbox, item_types, N_("cannot schedule a mailbox in status %(status)s")
    ):
        if state.stage is Stage.PENDING:
            state.stage = Stage.SCHEDULED
            state.stage_started_at = now


def mark_ongoing(
    mailbox: Mailbox, now: datetime, item_types: Iterable[ItemType] | None = None
) -> None:
    """A run starts: its stages become ``ONGOING``."""
    for state in _idle_states(mailbox, item_types, N_("cannot run a mailbox in status %(status)s")):
        state.stage = Stage.ONGOING
        state.stage_started_at = now


def _end_stages(mailbox: Mailbox, now: datetime) -> None:
    for state in mailbox.item_states:
        if state.stage is not Stage.PENDING:
            state.stage = Stage.PENDING
            state.stage_started_at = now
        if state.creating is not None:  # a run that ended before its creates did
            state.creating, state.created = None, 0


def mark_completed(
    mailbox: Mailbox, now: datetime, interval: timedelta, due: datetime | None = None
) -> bool:
    """A run succeeded: healthy again, counters cleared, next run one interval later.

    A scheduled run keeps the cadence: its next run is due one interval after this one was due,
    not after it ended (else each run would be due just after the scheduler's tick and wait for
    the next one, and the cadence would stretch by a tick), but no sooner than a tenth of an
    interval from now (a run longer than the interval is not followed at once by another).

    Args:
        due: when this run was due (``None``: not a scheduled run; one interval from now).

    Returns:
        True when the mailbox had been failing (the caller sends the "all clear").
    """
    recovered = mailbox.consecutive_failures > 0 or mailbox.status is HealthStatus.FAILED_UNKNOWN
    for state in mailbox.item_states:
        if state.stage is Stage.ONGOING:
            state.last_synced_at = now
    _end_stages(mailbox, now)
    mailbox.status = HealthStatus.ACTIVE
    mailbox.status_reason = mailbox.status_words = None
    mailbox.consecutive_failures = 0
    mailbox.auth_failed_at = None
    _not_failing(mailbox)
    mailbox.last_synced_at = now
    mailbox.next_sync_at = (
        now + interval if due is None else max(due + interval, now + interval / 10)
    )
    return recovered


def _not_failing(mailbox: Mailbox) -> None:
    mailbox.failing_since = None
    mailbox.failing_source = None


def mark_failed(
    mailbox: Mailbox,
    code: IssueCode,
    now: datetime,
    interval: timedelta,
    reason: str,
    source: Source | None = None,
    words: dict[str, Any] | None = None,
) -> None:
    """A run failed as a whole with ``code``, blaming ``source`` (C4C, the mail system...);
    ``reason`` says why in English, ``words`` as the product's own words when they are.

    ``AUTH`` and ``ACCOUNT_DISABLED`` stop the mailbox until it is re-activated; any other code
    leaves it ``FAILED_UNKNOWN`` and retries with a back-off that grows with each failure.
    """
    _end_stages(mailbox, now)
    mailbox.consecutive_failures += 1
    mailbox.status_reason, mailbox.status_words = reason[:500], words
    mailbox.failing_since = mailbox.failing_since or now
    mailbox.failing_source = source
    if code is IssueCode.AUTH:
        mailbox.status = HealthStatus.FAILED_AUTH
        mailbox.auth_failed_at = now
        mailbox.next_sync_at = None
    elif code is IssueCode.ACCOUNT_DISABLED:
        mailbox.status = HealthStatus.DISABLED
        mailbox.next_sync_at = None
    else:
        mailbox.status = HealthStatus.FAILED_UNKNOWN
        factor = min(2 ** (mailbox.consecutive_failures - 1), MAX_BACKOFF_FACTOR)
        mailbox.next_sync_at = now + interval * factor


def mark_failed_in_outage(
    mailbox: Mailbox,
    now: datetime,
    interval: timedelta,
    reason: str,
    source: Source | None = None,
    words: dict[str, Any] | None = None,
) -> None:
    """Sign-in failed while most of the tenant's mailboxes fail too: retry, do not stop.

    The failure time is kept so that the mailbox counts towards the outage.
    """
    mark_failed(mailbox, IssueCode.TEMPORARY, now, interval, reason, source, words)
    mailbox.auth_failed_at = now


def release_in_outage(mailbox: Mailbox, now: datetime, interval: timedelta) -> bool:
    """A mailbox stopped for sign-in shortly before an outage was seen: retry it instead."""
    if mailbox.status is not HealthStatus.FAILED_AUTH:
        return False
    mailbox.status = HealthStatus.FAILED_UNKNOWN
    mailbox.next_sync_at = now + interval
    return True


def mark_revoked(mailbox: Mailbox, reason: str) -> None:
    """A person revoked the mailbox's access: stop until it is re-activated.

    Unlike a sign-in failure this is no incident: it neither counts as a failed run nor
    towards an outage.
    """
    mailbox.status = HealthStatus.FAILED_AUTH
    mailbox.status_reason, mailbox.status_words = reason, None
    mailbox.paused_at = None
    mailbox.next_sync_at = None


def await_connection(mailbox: Mailbox) -> None:
    """A new mailbox waits for its user to connect it: no run until :func:`reactivate`."""
    mailbox.status = HealthStatus.NOT_SYNCED
    mailbox.status_reason = mailbox.status_words = None
    mailbox.paused_at = None
    mailbox.next_sync_at = None


def disable(mailbox: Mailbox, reason: str) -> None:
    """Its user was removed: never run again unless they are added back and reconnect.
    ``reason``: English, marked for the catalogues (``N_``), worded for each reader."""
    mailbox.status = HealthStatus.DISABLED
    mailbox.status_reason, mailbox.status_words = reason, own_words(reason)
    mailbox.paused_at = None
    mailbox.next_sync_at = None


def pause(mailbox: Mailbox, now: datetime) -> None:
    """Stop scheduling the mailbox until :func:`resume`; pausing twice changes nothing."""
    if mailbox.status is HealthStatus.PAUSED:
        return
    if mailbox.status not in SYNCABLE:
        raise TransitionError(
            _("a mailbox in status %(status)s must be re-activated first",
              status=mailbox.status.value)
        )  # fmt: skip
    mailbox.status = HealthStatus.PAUSED
    mailbox.paused_at = now
    mailbox.next_sync_at = None


def resume(mailbox: Mailbox, now: datetime) -> None:
    """Schedule a paused mailbox again, at once."""
    if mailbox.status is not HealthStatus.PAUSED:
        raise TransitionError(
            _("cannot resume a mailbox in status %(status)s", status=mailbox.status.value)
        )
    mailbox.status = HealthStatus.ACTIVE if mailbox.last_synced_at else HealthStatus.NOT_SYNCED
    mailbox.paused_at = None
    mailbox.next_sync_at = now


def reactivate(mailbox: Mailbox, now: datetime) -> None:
    """Credentials were granted again: clear the failure and sync at once (a pause stays)."""
    mailbox.auth_failed_at = None
    mailbox.consecutive_failures = 0
    mailbox.status_reason = mailbox.status_words = None
    _not_failing(mailbox)
    if mailbox.status in (HealthStatus.FAILED_AUTH, HealthStatus.DISABLED):
        mailbox.status = HealthStatus.ACTIVE if mailbox.last_synced_at else HealthStatus.NOT_SYNCED
    if mailbox.status is not HealthStatus.PAUSED:
        mailbox.next_sync_at = now


def reset(mailbox: Mailbox, now: datetime) -> None:
    """Forget all progress: the next run reads everything again, as for a new mailbox."""
    if is_ongoing(mailbox):
        raise TransitionError(_("a run of this mailbox is ongoing; reset it when the run ends"))
    for state in mailbox.item_states:
        state.stage = Stage.PENDING
        state.stage_started_at = now
        state.cursor = None
        state.c4c_seq = None
        state.last_synced_at = None
    mailbox.status = HealthStatus.NOT_SYNCED
    mailbox.status_reason = mailbox.status_words = None
    mailbox.paused_at = None
    mailbox.auth_failed_at = None
    mailbox.consecutive_failures = 0
    _not_failing(mailbox)
    mailbox.last_synced_at = None
    mailbox.next_sync_at = now


def relaunch(mailbox: Mailbox, now: datetime) -> bool:
    """Run a ``FAILED_UNKNOWN`` mailbox at once instead of after its back-off."""
    if mailbox.status is not HealthStatus.FAILED_UNKNOWN:
        return False
    mailbox.next_sync_at = now
    return True


def force(mailbox: Mailbox, now: datetime, min_interval: timedelta) -> None:
    """A person asked for a sync now; allowed once per ``min_interval``.

    Raises:
        ForcedTooSoon: the previous forced sync is more recent than ``min_interval``.
        TransitionError: the mailbox is paused, failed on credentials or disabled.
    """
    _require_syncable(mailbox, N_("cannot force a sync of a mailbox in status %(status)s"))
    if mailbox.last_forced_at is not None and now - mailbox.last_forced_at < min_interval:
        left = min_interval - (now - mailbox.last_forced_at)
        raise ForcedTooSoon(max(1, int(left.total_seconds() + 0.999)))
    mailbox.last_forced_at = now
    mailbox.next_sync_at = now


def approve_mass_change(mailbox: Mailbox, now: datetime) -> None:
    """A key user approved a held mass change: the next run writes it, due at once."""
    mailbox.mass_change_approved_at = now
    if mailbox.status in SYNCABLE:
        mailbox.next_sync_at = now


def use_mass_change_approval(mailbox: Mailbox) -> bool:
    """Whether a key user approved the change this run would hold; the approval is used up."""
    approved = mailbox.mass_change_approved_at is not None
    mailbox.mass_change_approved_at = None
    return approved


def sweep_dead(mailbox: Mailbox, now: datetime) -> bool:
    """Put stages left ``ONGOING`` by a run whose worker died back to ``PENDING``, due at once.

    The caller holds the mailbox's run lock, so no live run owns these stages.

    Returns:
        True when such a stage was found.
    """
    stuck = [state for state in mailbox.item_states if state.stage is Stage.ONGOING]
    for state in stuck:
        state.stage = Stage.PENDING
        state.stage_started_at = now
        state.creating, state.created = None, 0
    if stuck and mailbox.status in SYNCABLE:
        mailbox.next_sync_at = now
    return bool(stuck)
