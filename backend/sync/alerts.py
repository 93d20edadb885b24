"""When a run ends, who is told what: threshold, sign-in failure, reminders, all clear, outage.

:func:`decide` is the decision (pure, over a :class:`RunEnd`); :func:`after_run` reads what it
needs and sends what it decided.

Incidents are keyed by the last good run before them (the "streak"), so each incident is
notified once however many runs fail, and the all-clear goes out only after an incident that
was notified.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.mailbox.base import FolderChange
from backend.models import Issue, Mailbox, Notification, Run, Tenant, User
from backend.models.mailbox import HealthStatus
from backend.models.notification import NotificationKind
from backend.models.run import RunOutcome
from backend.models.tenant import Reminder
from backend.models.types import IssueCode
from backend.models.user import Role
from backend.notify import notices
from backend.notify.deliver import deliver_in_their_languages
from backend.settings import Settings
from backend.sync.errors import in_words

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


class Audience(StrEnum):
    """Who an alert goes to."""

    EVERYONE = "everyone"
    """The mailbox's owner, the tenant's key users and its extra recipients."""
    KEY_USERS = "key_users"
    """Everyone but the owner (a tenant-wide problem is not one person's to fix)."""


@dataclass(frozen=True)
class RunEnd:
    """What the end of a run looks like to the alerts, read from the database."""

    tenant_id: int
    mailbox_id: int
    outcome: RunOutcome
    error_code: IssueCode | None
    status: HealthStatus
    auth_failed_at: datetime | None
    failures: int
    threshold: int
    reminder: Reminder
    streak: int
    """The last good run before this one: an incident is keyed by it."""
    notified_at: datetime | None
    """When this incident was last notified (threshold, reminder or sign-in failure)."""
    outage: tuple[int, int] | None
    now: datetime


@dataclass(frozen=True)
class Alert:
    """One notification the end of a run calls for, sent at most once per incident key."""

    kind: NotificationKind
    incident_key: str
    audience: Audience


def decide(end: RunEnd) -> list[Alert]:
    """What the end of a run calls for (pure): outage, all clear, sign-in failure, threshold,
    reminder."""
    prefix = f"mailbox:{end.mailbox_id}:after-run:{end.streak}"
    found: list[Alert] = []
    if end.outage is not None:
        hour = end.now.strftime("%Y-%m-%dT%H")
        key = f"tenant:{end.tenant_id}:outage:{hour}"
        found.append(Alert(NotificationKind.PROVIDER_OUTAGE, key, Audience.KEY_USERS))
    if end.outcome is RunOutcome.SUCCEEDED:
        if end.notified_at is not None:
            key = f"{prefix}:all-clear"
            found.append(Alert(NotificationKind.ALL_CLEAR, key, Audience.EVERYONE))
        return found
    if end.error_code is IssueCode.AUTH and end.status is HealthStatus.FAILED_AUTH:
        stamp = end.auth_failed_at.isoformat() if end.auth_failed_at else "now"
        key = f"{prefix}:auth:{stamp}"
        found.append(Alert(NotificationKind.AUTH_FAILED, key, Audience.EVERYONE))
    if end.error_code is IssueCode.ACCOUNT_DISABLED and end.status is HealthStatus.DISABLED:
        # The mail system stopped the account (someone left, a licence ended): the key users'
        # to act on; the mailbox does not run again until one of them enables it.
        key = f"{prefix}:disabled"
        found.append(Alert(NotificationKind.MAILBOX_DISABLED, key, Audience.KEY_USERS))
    if end.failures == end.threshold:
        key = f"{prefix}:failing"
        found.append(Alert(NotificationKind.FAILURE_THRESHOLD, key, Audience.EVERYONE))
    elif end.failures > end.threshold and end.reminder in REMINDER_PERIOD:
        last = end.notified_at
        if last is not None and end.now - last >= REMINDER_PERIOD[end.reminder]:
            key = f"{prefix}:reminder:{end.now.date().isoformat()}"
            found.append(Alert(NotificationKind.REMINDER, key, Audience.EVERYONE))
    return found


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
    streak = _streak(session, run)
    end = RunEnd(
        tenant_id=tenant.id,
        mailbox_id=mailbox.id,
        outcome=run.outcome,
        error_code=run.error_code,
        status=mailbox.status,
        auth_failed_at=mailbox.auth_failed_at,
        failures=mailbox.consecutive_failures,
        threshold=tenant.config.notify_failure_threshold or settings.notify_failure_threshold,
        reminder=tenant.config.reminder,
        streak=streak,
        notified_at=_last_notified_at(session, f"mailbox:{mailbox.id}:after-run:{streak}"),
        outage=outage,
        now=now,
    )
    found = decide(end)
    if not found:
        return []
    people = recipients(session, mailbox, tenant)
    key_users = [p for p in people if p != _owner_email(session, mailbox)] or people
    dashboard = f"{settings.public_base_url}/"

    def words(kind: NotificationKind) -> notices.Notice:
        reason = in_words(run.error_words, run.error_message) or "unknown error"
        match kind:
            case NotificationKind.PROVIDER_OUTAGE:
                assert outage is not None
                return notices.provider_outage(tenant.name, *outage)
            case NotificationKind.ALL_CLEAR:
                return notices.all_clear(mailbox)
            case NotificationKind.AUTH_FAILED:
                return notices.auth_failed(mailbox, reason, dashboard)
            case NotificationKind.FAILURE_THRESHOLD:
                return notices.failing(mailbox, end.failures, reason, dashboard)
            case NotificationKind.REMINDER:
                return notices.reminder(mailbox, end.failures, reason, dashboard)
            case NotificationKind.MAILBOX_DISABLED:
                admin = f"{settings.public_base_url}/admin/mailboxes/{mailbox.id}"
                return notices.mailbox_disabled(mailbox, reason, admin)
        raise ValueError(f"no words for {kind}")

    sent = []
    for alert in found:
        sent += deliver_in_their_languages(
            session,
            settings,
            words=functools.partial(words, alert.kind),
            kind=alert.kind,
            incident_key=alert.incident_key,
            tenant_id=tenant.id,
            mailbox_id=mailbox.id,
            recipients=key_users if alert.audience is Audience.KEY_USERS else people,
        )
    return sent


def mass_change_held(
    session: Session,
    settings: Settings,
    mailbox: Mailbox,
    hold: Issue,
    destructive: int,
    synced: int,
) -> list[Notification]:
    """Ask the tenant's key users, once per hold, to approve a large change."""
    key_users = session.scalars(
        select(User.email).where(User.tenant_id == mailbox.tenant_id, User.role == Role.KEY_USER)
    ).all()
    return deliver_in_their_languages(
        session,
        settings,
        words=lambda: notices.mass_change_held(mailbox, destructive, synced),
        kind=NotificationKind.MASS_CHANGE_HELD,
        incident_key=f"mailbox:{mailbox.id}:hold:{hold.id}",
        tenant_id=mailbox.tenant_id,
        mailbox_id=mailbox.id,
        recipients=list(key_users),
    )


def _owner_email(session: Session, mailbox: Mailbox) -> str | None:
    owner = session.get(User, mailbox.user_id)
    return owner.email if owner else None


def _last_notified_at(session: Session, prefix: str) -> datetime | None:
    return session.scalar(
        select(func.max(Notification.created_at)).where(
            Notification.incident_key.startswith(prefix + ":"),
            Notification.kind.in_(
                [
                    NotificationKind.FAILURE_THRESHOLD,
                    NotificationKind.REMINDER,
                    NotificationKind.AUTH_FAILED,
                    NotificationKind.MAILBOX_DISABLED,
                ]
            ),
        )
    )


def folder_changed(
    session: Session, settings: Settings, mailbox: Mailbox, run: Run, change: FolderChange
) -> Notification | None:
    """Tell the mailbox's user, once, that the sync followed a folder they renamed or put back
    one they deleted."""
    owner = _owner_email(session, mailbox)
    if owner is None:
        return None
    sent = deliver_in_their_languages(
        session,
        settings,
        words=lambda: notices.folder_changed(
            mailbox, change.name, change.renamed_to, f"{settings.public_base_url}/"
        ),
        kind=NotificationKind.FOLDER_CHANGED,
        incident_key=_folder_incident(mailbox, run, change),
        tenant_id=mailbox.tenant_id,
        mailbox_id=mailbox.id,
        recipients=[owner],
    )
    return sent[0] if sent else None


def _folder_incident(mailbox: Mailbox, run: Run, change: FolderChange) -> str:
    """A rename is one incident per new name (a provider that looks the folder up only when
    it writes sees it again in later runs); a folder put back, one per run that put it back."""
    folder = f"mailbox:{mailbox.id}:folder:{change.name}"
    if change.renamed_to is not None:
        return f"{folder}:renamed:{change.renamed_to}"[:200]
    return f"{folder}:put-back:run:{run.id}"
