"""Upkeep jobs: runs that died without ending, resolved issues past their retention."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from backend.jobs.runtime import job_session
from backend.jobs.single_flight import AlreadyRunning, MailboxLock
from backend.models import Issue, Mailbox, MailboxItemState, Run, Tenant, User
from backend.models.mailbox import Stage
from backend.models.run import RunOutcome
from backend.notify.deliver import retry_unsent
from backend.storage.db import utcnow
from backend.sync import digest, status, warnings

log = logging.getLogger(__name__)


def sweep_dead(session: Session, connection: Redis, lock_ttl: int, now: datetime) -> int:
    """End the runs whose worker died: their mailbox is ``ONGOING`` but its run lock is free.

    A live run holds the lock from before ``ONGOING`` until after it ends, renewing it while
    it works; a killed worker stops renewing it, so it frees itself one lock TTL after the
    death. The sweeper takes the lock itself before it touches the mailbox, so it never ends a
    run that is alive.

    Returns:
        How many mailboxes were unstuck (each is due at once).
    """
    candidates = session.scalars(
        select(MailboxItemState.mailbox_id)
        .where(MailboxItemState.stage == Stage.ONGOING)
        .distinct()
    ).all()
    swept = 0
    for mailbox_id in candidates:
        try:
            with MailboxLock(connection, mailbox_id, lock_ttl):
                session.expire_all()
                mailbox = session.get(Mailbox, mailbox_id)
                if mailbox is None or not status.sweep_dead(mailbox, now):
                    continue
                session.execute(
                    update(Run)
                    .where(Run.mailbox_id == mailbox_id, Run.outcome == RunOutcome.RUNNING)
                    .values(outcome=RunOutcome.INTERRUPTED, finished_at=now)
                )
                session.commit()
                swept += 1
        except AlreadyRunning:
            continue
    if swept:
        log.warning("unstuck %d mailbox run(s) whose worker died", swept)
    return swept


def retry_unsent_notifications() -> int:
    """Send again the notifications whose first sending failed; returns how many went out."""
    with job_session() as (found, session):
        return retry_unsent(session, found.settings)


def check_warnings() -> int:
    """Look for what will break a sync ahead (credentials ending, issues piling up unseen) in
    every tenant; returns how many warnings are open."""
    with job_session() as (found, session):
        now, open_now = utcnow(), 0
        for tenant_id in session.scalars(select(Tenant.id).order_by(Tenant.id)).all():
            try:
                tenant = session.get(Tenant, tenant_id)
                if tenant is not None:
                    open_now += len(warnings.check_tenant(session, found.settings, tenant, now))
            except Exception:  # one company's trouble must not stop the others' warnings
                session.rollback()
                log.exception("warnings of tenant %s not checked", tenant_id)
        return open_now


def send_weekly_digests() -> int:
    """Mail each tenant's weekly health digest once its day and hour have come; returns how
    many went out."""
    with job_session() as (found, session):
        return digest.send_due(session, found.settings, utcnow())


def purge_resolved_issues() -> int:
    """Delete issues resolved longer ago than ``ISSUE_RETENTION_DAYS``; returns how many."""
    return _purge(Issue, Issue.resolved_at)


def purge_removed_users() -> int:
    """Delete the users removed longer ago than ``ISSUE_RETENTION_DAYS``, with their mailbox,
    issues and runs (the audit log keeps what they did, by address); returns how many."""
    return _purge(User, User.removed_at)


def _purge(model: type, ended: Any) -> int:
    """Delete the rows of ``model`` whose ``ended`` time is older than the retention."""
    with job_session() as (found, session):
        cutoff = utcnow() - timedelta(days=found.settings.issue_retention_days)
        result = session.execute(delete(model).where(ended.is_not(None), ended < cutoff))
        session.commit()
        return result.rowcount or 0
