"""Upkeep jobs: runs that died without ending, resolved issues past their retention."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, select, update

from backend.db import utcnow
from backend.jobs.runtime import job_session
from backend.jobs.single_flight import is_locked
from backend.models import Issue, Mailbox, MailboxItemState, Run
from backend.models.mailbox import Stage
from backend.models.run import RunOutcome
from backend.notify.deliver import retry_unsent
from backend.sync import status

log = logging.getLogger(__name__)


def sweep_stuck_runs() -> int:
    """End runs stuck in ``ONGOING`` for too long whose worker no longer holds the lock.

    Returns:
        How many mailboxes were unstuck.
    """
    with job_session() as (found, session):
        now = utcnow()
        max_age = timedelta(seconds=found.settings.stuck_run_seconds)
        candidates = session.scalars(
            select(Mailbox)
            .join(MailboxItemState)
            .where(
                MailboxItemState.stage == Stage.ONGOING,
                MailboxItemState.stage_started_at < now - max_age,
            )
            .distinct()
        ).all()
        swept = 0
        for mailbox in candidates:
            if is_locked(found.redis, mailbox.id):
                continue
            if status.sweep_stuck(mailbox, now, max_age):
                session.execute(
                    update(Run)
                    .where(Run.mailbox_id == mailbox.id, Run.outcome == RunOutcome.RUNNING)
                    .values(outcome=RunOutcome.INTERRUPTED, finished_at=now)
                )
                swept += 1
        session.commit()
        if swept:
            log.warning("unstuck %d mailbox run(s) whose worker died", swept)
        return swept


def retry_unsent_notifications() -> int:
    """Send again the notifications whose first sending failed; returns how many went out."""
    with job_session() as (found, session):
        return retry_unsent(session, found.settings)


def purge_resolved_issues() -> int:
    """Delete issues resolved longer ago than ``ISSUE_RETENTION_DAYS``; returns how many."""
    with job_session() as (found, session):
        cutoff = utcnow() - timedelta(days=found.settings.issue_retention_days)
        result = session.execute(
            delete(Issue).where(Issue.resolved_at.is_not(None), Issue.resolved_at < cutoff)
        )
        session.commit()
        return result.rowcount or 0
