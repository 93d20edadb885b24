"""The life of one run: its ``Run`` row, the status transitions around it, its outcome.

The body (the engine) does the work and fills in the run's counters; whatever it raises is
classified once and ends the run as failed, so a run always ends with a recorded outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from backend.db import utcnow
from backend.models import Mailbox, Run
from backend.models.run import RunOutcome, Trigger
from backend.models.types import IssueCode
from backend.sync import status
from backend.sync.errors import SyncError

log = logging.getLogger(__name__)

RunBody = Callable[[Session, Mailbox, Run], None]


def execute_run(
    session: Session,
    mailbox: Mailbox,
    body: RunBody,
    *,
    trigger: Trigger,
    interval: timedelta,
    job_id: str | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Run:
    """Run ``body`` for ``mailbox`` between ``mark_ongoing`` and ``mark_completed``/``failed``.

    Args:
        session: the session the run is recorded in; committed at start and end.
        mailbox: the mailbox to sync.
        body: the work; it may commit as it goes and raises to fail the run.
        trigger: why the run happens.
        interval: the mailbox's sync cadence, for the next run's time.
        job_id: the RQ job, for the record.
        clock: the current time.

    Returns:
        The finished run.

    Raises:
        TransitionError: the mailbox cannot run now (paused, failed on credentials, ongoing).
    """
    status.mark_ongoing(mailbox, clock())
    run = Run(mailbox_id=mailbox.id, trigger=trigger, job_id=job_id, started_at=clock())
    session.add(run)
    session.commit()
    try:
        body(session, mailbox, run)
    except SyncError as error:
        session.rollback()
        _fail(run, mailbox, error.code, error.classification.message, interval, clock())
    except Exception as error:
        session.rollback()
        log.exception("run %s of mailbox %s failed unexpectedly", run.id, mailbox.id)
        _fail(
            run, mailbox, IssueCode.UNKNOWN, f"{type(error).__name__}: {error}", interval, clock()
        )
    else:
        status.mark_completed(mailbox, clock(), interval)
        run.outcome = RunOutcome.SUCCEEDED
        run.finished_at = clock()
    session.commit()
    return run


def _fail(
    run: Run,
    mailbox: Mailbox,
    code: IssueCode,
    message: str,
    interval: timedelta,
    now: datetime,
) -> None:
    status.mark_failed(mailbox, code, now, interval, message)
    run.outcome = RunOutcome.FAILED
    run.error_code = code
    run.error_message = message
    run.finished_at = now
