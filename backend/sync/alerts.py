"""When a run ends, who is told what: threshold, sign-in failure, reminders, all clear, outage.

Incidents are keyed by the last good run before them (the "streak"), so each incident is
notified once however many runs fail, and the all-clear goes out only after an incident that
was notified.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import Issue, Mailbox, Notification, Run, Tenant, User
from backend.models.mailbox import HealthStatus
from backend.models.notification import NotificationKind
from backend.models.run import RunOutcome
from backend.models.tenant import Reminder
from backend.models.types import IssueCode
from backend.models.user import Role
from backend.notify import notices
from backend.notify.deliver import deliver_once
from backend.settings import Settings

OUTAGE_WINDOW = timedelta(hours=1)
OUTAGE_MIN_MAILBOXES = 3
"""Fewer failing mailboxes than this never count as an outage (one user's password is not)."""

REMINDER_PERIOD = {Reminder.DAILY: timedelta(days=1), Reminder.WEEKLY: timedelta(weeks=1)}


def recipients(session: Session, mailbox: Mailbox, tenant: Tenant) -> list[str]:
    """The mailbox's owner, the tenant's key users and the tenant's extra recipients."""
    owner = session.get(User, mailbox.user_id)
    key_users = session.scalars(
        select(User.email).where(User.tenant_id == tenant.id, User.role == Role.KEY_USER)
    ).all()
    found = [owner.email] if owner else []
    return sorted({*found, *key_users, *tenant.config.extra_recipients})


def provider_outage(session: Session, mailbox: Mailbox, now: datetime) -> tuple[int, int] | None:
    """(failing, total) when over half of the tenant's mailboxes failed sign-in within the hour.

    Counts ``mailbox`` as failing (it just did).
    """
    total = session.scalar(
        select(func.count(Mailbox.id)).where(
            Mailbox.tenant_id == mailbox.tenant_id, Mailbox.status != HealthStatus.PAUSED
        )
    )
    others = session.scalar(
        select(func.count(Mailbox.id)).where(
            Mailbox.tenant_id == mailbox.tenant_id,
            Mailbox.id != mailbox.id,
            Mailbox.auth_failed_at >= now - OUTAGE_WINDOW,
        )
    )
    failing = (others or 0) + 1
    if failing >= OUTAGE_MIN_MAILBOXES and failing * 2 > (total or 0):
        return failing, total or 0
    return None


def _streak(session: Session, run: Run) -> int:
    last_good = session.scalar(
        select(func.max(Run.id)).where(
            Run.mailbox_id == run.mailbox_id,
            Run.outcome == RunOutcome.SUCCEEDED,
            Run.id < run.id,
        )
    )
    return last_good or 0


def after_run(
    session: Session,
    settings: Settings,
    mailbox: Mailbox,
    run: Run,
    now: datetime,
    outage: tuple[int, int] | None = None,
) -> list[Notification]:
    """Send what the end of ``run`` calls for; returns the notifications sent now."""
    tenant = session.get(Tenant, mailbox.tenant_id)
    assert tenant is not None
    dashboard = f"{settings.public_base_url}/"
    prefix = f"mailbox:{mailbox.id}:after-run:{_streak(session, run)}"
    sent: list[Notification | None] = []

    def deliver(kind: NotificationKind, key: str, notice: notices.Notice, to: list[str]) -> None:
        sent.append(
            deliver_once(
                session,
                settings,
                kind=kind,
                incident_key=key,
                tenant_id=tenant.id,
                mailbox_id=mailbox.id,
                recipients=to,
                subject=notice.subject,
                body=notice.body,
            )
        )

    people = recipients(session, mailbox, tenant)
    if outage is not None:
        key_users = [p for p in people if p != _owner_email(session, mailbox)] or people
        hour = now.strftime("%Y-%m-%dT%H")
        deliver(
            NotificationKind.PROVIDER_OUTAGE,
            f"tenant:{tenant.id}:outage:{hour}",
            notices.provider_outage(tenant.name, *outage),
            key_users,
        )
    if run.outcome is RunOutcome.SUCCEEDED:
        if _notified(session, prefix):
            deliver(
                NotificationKind.ALL_CLEAR,
                f"{prefix}:all-clear",
                notices.all_clear(mailbox),
                people,
            )
        return [n for n in sent if n is not None]
    reason = run.error_message or "unknown error"
    if run.error_code is IssueCode.AUTH and mailbox.status is HealthStatus.FAILED_AUTH:
        stamp = mailbox.auth_failed_at.isoformat() if mailbox.auth_failed_at else "now"
        deliver(
            NotificationKind.AUTH_FAILED,
            f"{prefix}:auth:{stamp}",
            notices.auth_failed(mailbox, reason, dashboard),
            people,
        )
    threshold = tenant.config.notify_failure_threshold or settings.notify_failure_threshold
    failures = mailbox.consecutive_failures
    if failures == threshold:
        deliver(
            NotificationKind.FAILURE_THRESHOLD,
            f"{prefix}:failing",
            notices.failing(mailbox, failures, reason, dashboard),
            people,
        )
    elif failures > threshold and tenant.config.reminder in REMINDER_PERIOD:
        period = REMINDER_PERIOD[tenant.config.reminder]
        last = _last_notified_at(session, prefix)
        if last is not None and now - last >= period:
            deliver(
                NotificationKind.REMINDER,
                f"{prefix}:reminder:{now.date().isoformat()}",
                notices.reminder(mailbox, failures, reason, dashboard),
                people,
            )
    return [n for n in sent if n is not None]


def mass_change_held(
    session: Session,
    settings: Settings,
    mailbox: Mailbox,
    hold: Issue,
    destructive: int,
    synced: int,
) -> Notification | None:
    """Ask the tenant's key users, once per hold, to approve a large change."""
    key_users = session.scalars(
        select(User.email).where(User.tenant_id == mailbox.tenant_id, User.role == Role.KEY_USER)
    ).all()
    notice = notices.mass_change_held(mailbox, destructive, synced)
    return deliver_once(
        session,
        settings,
        kind=NotificationKind.MASS_CHANGE_HELD,
        incident_key=f"mailbox:{mailbox.id}:hold:{hold.id}",
        tenant_id=mailbox.tenant_id,
        mailbox_id=mailbox.id,
        recipients=list(key_users),
        subject=notice.subject,
        body=notice.body,
    )


def _owner_email(session: Session, mailbox: Mailbox) -> str | None:
    owner = session.get(User, mailbox.user_id)
    return owner.email if owner else None


def _notified(session: Session, prefix: str) -> bool:
    return _last_notified_at(session, prefix) is not None


def _last_notified_at(session: Session, prefix: str) -> datetime | None:
    return session.scalar(
        select(func.max(Notification.created_at)).where(
            Notification.incident_key.startswith(prefix + ":"),
            Notification.kind.in_(
                [
                    NotificationKind.FAILURE_THRESHOLD,
                    NotificationKind.REMINDER,
                    NotificationKind.AUTH_FAILED,
                ]
            ),
        )
    )
