"""Deliver a notification at most once per (kind, incident): store it, then send it.

The stored row is claimed first (a unique key on kind and incident), with the message itself,
so two workers that decide to send the same notice send it once. A failed send keeps the row
with its error and no ``sent_at``, and so does a worker killed between the claim and the send;
:func:`retry_unsent` sends those once they are older than :data:`RESEND_AFTER` (a claim that
young may still be sending).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.models import Notification
from backend.models.notification import NotificationKind
from backend.notify.mailer import MailNotSent, send_mail
from backend.settings import Settings
from backend.storage.db import utcnow

log = logging.getLogger(__name__)

RESEND_AFTER = timedelta(minutes=5)
"""How old an unsent notification must be before it is sent again: younger, the worker that
claimed it may be sending it right now."""


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
    html: str | None = None,
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
        body=body,
        html=html,
    )
    try:
        with session.begin_nested():
            session.add(notification)
    except IntegrityError:
        return None
    session.commit()
    _send(session, settings, notification)
    return notification


def _send(session: Session, settings: Settings, notification: Notification) -> None:
    try:
        send_mail(settings, notification.recipients, notification.subject,
                  notification.body or "", notification.html)  # fmt: skip
    except MailNotSent as error:
        log.warning("notification %s not sent: %s", notification.id, error)
        notification.error = str(error)[:1000]
    else:
        notification.sent_at = utcnow()
        notification.error = None
    session.commit()


def retry_unsent(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Send the stored notifications that did not go out (a failed send, a worker killed
    before it sent) once they are older than :data:`RESEND_AFTER`; returns how many went out."""
    settled = (now or utcnow()) - RESEND_AFTER
    pending = session.scalars(
        select(Notification).where(
            Notification.sent_at.is_(None),
            Notification.body.is_not(None),
            Notification.created_at <= settled,
        )
    ).all()
    for notification in pending:
        _send(session, settings, notification)
    return sum(1 for notification in pending if notification.sent_at is not None)
