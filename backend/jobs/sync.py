"""The sync job: one run of one mailbox, under its single-flight lock."""

from __future__ import annotations

import logging

from rq import get_current_job
from sqlalchemy.orm import Session

from backend.extensions import Resources
from backend.jobs import metrics
from backend.jobs.runtime import job_session
from backend.jobs.single_flight import AlreadyRunning, MailboxLock
from backend.logs import bind
from backend.models import Mailbox
from backend.models.run import Run, Trigger
from backend.sync.engine import Engine
from backend.sync.runs import execute_run
from backend.sync.status import TransitionError

log = logging.getLogger(__name__)


def locked_run(
    found: Resources, session: Session, mailbox_id: int, trigger: Trigger, job_id: str | None = None
) -> Run | None:
    """One run of ``mailbox_id`` under its single-flight lock: the job's and ``flask sync run``'s.

    Returns:
        The run, or ``None`` when the mailbox was deleted.

    Raises:
        AlreadyRunning: another worker (or operator) is running the mailbox.
        TransitionError: the mailbox's state allows no run (paused, failed on credentials).
    """
    with MailboxLock(found.redis, mailbox_id, found.settings.sync_lock_ttl_seconds):
        mailbox = session.get(Mailbox, mailbox_id)
        if mailbox is None:
            return None
        engine = Engine(found.cipher, found.settings, found.redis)
        due = mailbox.next_sync_at if trigger is Trigger.SCHEDULE else None
        run = execute_run(
            session, mailbox, engine, trigger=trigger, settings=found.settings, job_id=job_id,
            due_at=due,
        )  # fmt: skip
        metrics.record_run(
            found.redis, run, mailbox.provider.value, engine.observed, engine.requests
        )
        return run


def sync_mailbox(mailbox_id: int, trigger: str = Trigger.SCHEDULE) -> str:
    """Run one sync of ``mailbox_id`` unless another worker is running it.

    Returns:
        The run's outcome, or why no run happened.
    """
    job = get_current_job()
    job_id = job.id if job else None
    with job_session() as (found, session), bind(mailbox=mailbox_id, job=job_id):
        try:
            run = locked_run(found, session, mailbox_id, Trigger(trigger), job_id)
        except AlreadyRunning:
            log.info("skipped: another worker is running this mailbox")
            return "skipped: already running"
        except TransitionError as error:
            log.info("skipped: %s", error)
            return f"skipped: {error}"
        if run is None:
            return "skipped: mailbox deleted"
        log.info("run %s ended %s", run.id, run.outcome)
        return run.outcome
