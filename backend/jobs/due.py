"""Which mailboxes are due, and claiming them: one definition for the scheduler's tick and for
the metrics of how late the waiting ones are.

A mailbox whose run is queued is ``SCHEDULED`` and not due again, so a backlog never makes a tick
pick the same mailboxes again while others wait. If its job is lost (Redis lost its queues), the
next tick finds the claim without a waiting or running job (:func:`lost_claims`) and queues it
again; a claim also goes stale after :data:`STALE_CLAIM_INTERVALS` sync intervals, whatever Redis
says.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from redis import Redis
from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.orm import Session

from backend.jobs import queues
from backend.jobs.single_flight import pending_runs
from backend.models import Mailbox, MailboxItemState, Tenant
from backend.models.mailbox import Stage
from backend.sync import status

STALE_CLAIM_INTERVALS = 2
"""A queued run not started after this many sync intervals is taken as lost."""


def stale_after(interval: timedelta) -> timedelta:
    """How long a claim lasts before its mailbox is due again."""
    return interval * STALE_CLAIM_INTERVALS


def due_conditions(now: datetime, stale: timedelta) -> list[ColumnElement[bool]]:
    """What makes a mailbox due at ``now``: syncable, its next sync time come, neither running
    nor queued since less than ``stale``, and its tenant connected. A tenant whose SAP connection
    is not set up, or refuses its integration user, waits; so does a mailbox nobody connected
    yet (no next sync time)."""
    busy = exists().where(
        MailboxItemState.mailbox_id == Mailbox.id,
        or_(
            MailboxItemState.stage == Stage.ONGOING,
            and_(
                MailboxItemState.stage == Stage.SCHEDULED,
                MailboxItemState.stage_started_at > now - stale,
            ),
        ),
    )
    connected = select(Tenant.id).where(
        Tenant.c4c_base_url.is_not(None), Tenant.c4c_refused_since.is_(None)
    )
    return [
        Mailbox.status.in_(status.SYNCABLE),
        Mailbox.next_sync_at <= now,
        Mailbox.tenant_id.in_(connected),
        and_(~busy),
    ]


def claim_due(session: Session, now: datetime, interval: timedelta, limit: int) -> list[int]:
    """The ids of up to ``limit`` due mailboxes, oldest due first, marked ``SCHEDULED``.

    One statement selects them and one marks them, whatever their number; on PostgreSQL the
    selected rows are locked and rows another claim holds are skipped, so two schedulers never
    claim one mailbox. The caller queues their runs.
    """
    query = (
        select(Mailbox.id)
        .where(*due_conditions(now, stale_after(interval)))
        .order_by(Mailbox.next_sync_at, Mailbox.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Mailbox)
    claimed = list(session.scalars(query))
    if claimed:
        session.execute(
            update(MailboxItemState)
            .where(
                MailboxItemState.mailbox_id.in_(claimed),
                MailboxItemState.stage.in_((Stage.PENDING, Stage.SCHEDULED)),
            )
            .values(stage=Stage.SCHEDULED, stage_started_at=now)
        )
    session.commit()
    return claimed


def lost_claims(session: Session, connection: Redis, now: datetime) -> list[int]:
    """Claimed mailboxes (``SCHEDULED``, syncable) whose job is neither waiting nor running: Redis
    lost it, or it ended without running the mailbox (it was paused or failed meanwhile, and is
    syncable again). One statement, and one pipelined read of their jobs."""
    claimed = list(
        session.scalars(
            select(MailboxItemState.mailbox_id)
            .join(Mailbox, Mailbox.id == MailboxItemState.mailbox_id)
            .where(MailboxItemState.stage == Stage.SCHEDULED, Mailbox.status.in_(status.SYNCABLE))
            .distinct()
            .order_by(MailboxItemState.mailbox_id)
        )
    )
    if not claimed:
        return []
    queue = queues.queue(queues.SYNC, connection)
    pending = pending_runs(queue, claimed, now)
    return [mailbox_id for mailbox_id, runs in zip(claimed, pending, strict=True) if not runs]
