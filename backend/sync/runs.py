"""The life of one run: its ``Run`` row, the status transitions around it, its outcome.

The body (the engine) does the work and fills in the run's counters; whatever it raises is
classified once and ends the run as failed, so a run always ends with a recorded outcome. What
a person reads about a failed run is always plain words: an unexpected error or a lost database
connection is named, never quoted; its technical text goes to the log and to the run's
``error_detail`` (the admin panel's detail view). What the body saw of the tenant's shared
services (``body.observed``) feeds their health. Then :mod:`backend.sync.alerts` tells the
people concerned, if anything calls for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from backend.logs import bind
from backend.models import Mailbox, Run, Tenant
from backend.models.issue import Source
from backend.models.run import RunOutcome, Trigger
from backend.models.types import IssueCode
from backend.settings import Settings
from backend.storage.db import utcnow
from backend.sync import alerts, health, sap_refusal, status, warnings
from backend.sync.alerts import OUTAGE_WINDOW
from backend.sync.errors import Classification, SyncError, ours, own_words, stored_words
from backend.text import N_

log = logging.getLogger(__name__)

RunBody = Callable[[Session, Mailbox, Run], None]

UNEXPECTED = N_(
    "The sync stopped on an unexpected error; it is tried again with the next sync. Your key "
    "user can see the details in the admin panel."
)
DATABASE_LOST = N_(
    "The sync lost its connection to its database; it is tried again with the next sync."
)


def _unexpected(error: Exception) -> Classification:
    """A failure no classifier knows, in words for people, its text kept as the detail."""
    lost = isinstance(error, OperationalError | InterfaceError)
    words, code = (DATABASE_LOST, IssueCode.TEMPORARY) if lost else (UNEXPECTED, IssueCode.UNKNOWN)
    return ours(
        code,
        words,
        backend_code=type(error).__name__,
        detail=f"{type(error).__name__}: {error}"[:4000],
        source=Source.ENGINE,
    )


def execute_run(
    session: Session,
    mailbox: Mailbox,
    body: RunBody,
    *,
    trigger: Trigger,
    settings: Settings,
    job_id: str | None = None,
    due_at: datetime | None = None,
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
        due_at: when a scheduled run was due (for its scheduling lag).
        clock: the current time.

    Returns:
        The finished run.

    Raises:
        TransitionError: the mailbox cannot run now (paused, failed on credentials, ongoing).
    """
    interval = timedelta(seconds=settings.sync_interval_seconds)
    status.mark_ongoing(mailbox, clock())
    run = Run(
        mailbox_id=mailbox.id, trigger=trigger, job_id=job_id, started_at=clock(), due_at=due_at
    )
    session.add(run)
    session.commit()
    # Held for the whole run: the session keeps an object only while something refers to it,
    # and the work, the alerts and the warnings each look the tenant up (they all see its
    # settings as the run began, unless a failure rolled the session back).
    tenant = session.get(Tenant, mailbox.tenant_id)
    assert tenant is not None
    with bind(run=run.id, mailbox=mailbox.id, tenant=tenant.id):
        return _run(session, mailbox, run, body, settings, clock, interval)


def _run(
    session: Session,
    mailbox: Mailbox,
    run: Run,
    body: RunBody,
    settings: Settings,
    clock: Callable[[], datetime],
    interval: timedelta,
) -> Run:
    """The run's work and its end (outcome, status, service health, alerts)."""
    outage = None
    try:
        body(session, mailbox, run)
    except SyncError as error:
        session.rollback()
        found = error.classification
        log.warning("run %s failed: %s [%s]", run.id, found.message, found.detail or found.code)
        outage = _fail(session, run, mailbox, found, settings, clock())
    except Exception as error:
        session.rollback()
        log.exception("run %s of mailbox %s failed unexpectedly", run.id, mailbox.id)
        outage = _fail(session, run, mailbox, _unexpected(error), settings, clock())
    else:
        status.mark_completed(mailbox, clock(), interval, run.due_at)
        if run.outcome is RunOutcome.RUNNING:
            run.outcome = RunOutcome.SUCCEEDED
        run.finished_at = clock()
    session.commit()
    health.record(session, mailbox.tenant_id, getattr(body, "observed", ()), clock())
    session.commit()
    alerts.after_run(session, settings, mailbox, run, clock(), outage)
    warnings.after_run(session, settings, mailbox, clock())
    return run


def _fail(
    session: Session,
    run: Run,
    mailbox: Mailbox,
    found: Classification,
    settings: Settings,
    now: datetime,
) -> tuple[int, int] | None:
    """End ``run`` as failed; returns (failing, total) when this looks like a provider outage."""
    interval = timedelta(seconds=settings.sync_interval_seconds)
    message, source, code = found.message, found.source, found.code
    words = stored_words(found)
    outage = None
    if code is IssueCode.AUTH and source is Source.C4C:
        # The company's integration user, not this mailbox: pause the tenant, not each mailbox.
        sap_refusal.refused(session, session.get(Tenant, mailbox.tenant_id), settings, now)
        code, message = IssueCode.TEMPORARY, sap_refusal.REASON
        words = own_words(sap_refusal.REASON)
    elif code is IssueCode.AUTH:
        outage = alerts.provider_outage(session, mailbox, now)
    if outage is None:
        status.mark_failed(mailbox, code, now, interval, message, source, words)
    else:
        status.mark_failed_in_outage(mailbox, now, interval, message, source, words)
        for other in session.scalars(
            select(Mailbox).where(
                Mailbox.tenant_id == mailbox.tenant_id,
                Mailbox.id != mailbox.id,
                Mailbox.auth_failed_at >= now - OUTAGE_WINDOW,
            )
        ):
            status.release_in_outage(other, now, interval)
    run.outcome = RunOutcome.FAILED
    run.error_code = found.code
    run.error_message = message
    run.error_words = words
    run.error_detail = found.detail
    run.error_source = source
    run.finished_at = now
    return outage
