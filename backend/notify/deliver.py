"""Deliver a notification at most once per (kind, incident): store it, then send it.

The stored row is claimed first (a unique key on kind and incident), so two workers that
decide to send the same notice send it once. A failed send keeps the row with its error and
no ``sent_at``; :func:`retry_unsent` tries those again later.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.models import Notification
from backend.models.notification import NotificationKind
from backend.notify.mailer import MailNotSent, send_mail
from backend.settings import Settings
from backend.storage.db import utcnow

log = logging.getLogger(__name__)


def deliver_once(
    session: Session,
    settings: Settings,
    *,
    kind: NotificationKind,
    incident_key: str,
    tenant_id: int,
    mailbox_id: int | None,
    recipients: list[str],
    subject: str,
    body: str,
) -> Notification | None:
    """Store and send a notification unless one exists for ``(kind, incident_key)``.

    Returns:
        The new notification (sent or with its error), or None when it existed already.
    """
    notification = Notification(
        tenant_id=tenant_id,
        mailbox_id=mailbox_id,
        kind=kind,
        incident_key=incident_key,
        recipients=sorted(set(recipients)),
        subject=subject,
    )
    try:
        with session.begin_nested():
            session.add(notification)
    except IntegrityError:
        return None
    session.commit()
    _send(session, settings, notification, body)
    return notification


def _send(session: Session, settings: Settings, notification: Notification, body: str) -> None:
    try:
        send_mail(settings, notification.recipients, notification.subject, body)
    except MailNotSent as error:
        log.warning("notification %s not sent: %s", notification.id, error)
        notification.error = str(error)[:1000]
    else:
        notification.sent_at = utcnow()
        notification.error = None
    notification.body = body
    session.commit()


def retry_unsent(session: Session, settings: Settings) -> int:
    """Send again the stored notifications whose sending failed; returns how many went out."""
    pending = session.scalars(
        select(Notification).where(Notification.sent_at.is_(None), Notification.body.is_not(None))
    ).all()
    for notification in pending:
        _send(session, settings, notification, notification.body or "")
    return sum(1 for notification in pending if notification.sent_at is not None)
