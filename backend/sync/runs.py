"""The life of one run: its ``Run`` row, the status transitions around it, its outcome.

The body (the engine) does the work and fills in the run's counters; whatever it raises is
classified once and ends the run as failed, so a run always ends with a recorded outcome.
Then :mod:`backend.sync.alerts` tells the people concerned, if anything calls for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import utcnow
from backend.models import Mailbox, Run
from backend.models.run import RunOutcome, Trigger
from backend.models.types import IssueCode
from backend.settings import Settings
from backend.sync import alerts, status
from backend.sync.alerts import OUTAGE_WINDOW
from backend.sync.errors import SyncError

log = logging.getLogger(__name__)

RunBody = Callable[[Session, Mailbox, Run], None]


def execute_run(
    session: Session,
    mailbox: Mailbox,
    body: RunBody,
    *,
    trigger: Trigger,
    settings: Settings,
    job_id: str | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Run:
    """Run ``body`` for ``mailbox`` between ``mark_ongoing`` and ``mark_completed``/``failed``.

    Args:
        session: the session the run is recorded in; committed at start and end.
        mailbox: the mailbox to sync.
        body: the work; it may commit as it goes and raises to fail the run.
        trigger: why the run happens.
        settings: cadence and notification thresholds.
        job_id: the RQ job, for the record.
        clock: the current time.

    Returns:
        The finished run.

    Raises:
        TransitionError: the mailbox cannot run now (paused, failed on credentials, ongoing).
    """
    interval = timedelta(seconds=settings.sync_interval_seconds)
    status.mark_ongoing(mailbox, clock())
    run = Run(mailbox_id=mailbox.id, trigger=trigger, job_id=job_id, started_at=clock())
    session.add(run)
    session.commit()
    outage = None
    try:
        body(session, mailbox, run)
    except SyncError as error:
        session.rollback()
        outage = _fail(session, run, mailbox, error, interval, clock())
    except Exception as error:
        session.rollback()
        log.exception("run %s of mailbox %s failed unexpectedly", run.id, mailbox.id)
        unexpected = SyncError.of(IssueCode.UNKNOWN, f"{type(error).__name__}: {error}")
        outage = _fail(session, run, mailbox, unexpected, interval, clock())
    else:
        status.mark_completed(mailbox, clock(), interval)
        if run.outcome is RunOutcome.RUNNING:
            run.outcome = RunOutcome.SUCCEEDED
        run.finished_at = clock()
    session.commit()
    alerts.after_run(session, settings, mailbox, run, clock(), outage)
    return run


def _fail(
    session: Session,
    run: Run,
    mailbox: Mailbox,
    error: SyncError,
    interval: timedelta,
    now: datetime,
) -> tuple[int, int] | None:
    """End ``run`` as failed; returns (failing, total) when this looks like a provider outage."""
    message = error.classification.message
    outage = None
    if error.code is IssueCode.AUTH:
        outage = alerts.provider_outage(session, mailbox, now)
    if outage is None:
        status.mark_failed(mailbox, error.code, now, interval, message)
    else:
        status.mark_failed_in_outage(mailbox, now, interval, message)
        for other in session.scalars(
            select(Mailbox).where(
                Mailbox.tenant_id == mailbox.tenant_id,
                Mailbox.id != mailbox.id,
                Mailbox.auth_failed_at >= now - OUTAGE_WINDOW,
            )
        ):
            status.release_in_outage(other, now, interval)
    run.outcome = RunOutcome.FAILED
    run.error_code = error.code
    run.error_message = message
    run.finished_at = now
    return outage
