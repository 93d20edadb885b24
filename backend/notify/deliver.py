"""Deliver a notification once per (kind, incident): store it, then send it.

The stored row is claimed first (a unique key on kind and incident), with the message itself,
so two workers that decide to send the same notice send it once. A failed send keeps the row
with its error and no ``sent_at``, and so does a worker killed between the claim and the send:
:func:`retry_unsent` sends those once their last attempt is older than :data:`RESEND_AFTER`
(younger, a worker may still be sending it), each retry claiming the row first, so two retry
jobs never send the same notice. Nothing is lost; the one case of a notice sent twice is a
worker killed after the mail server took the message and before it could record that.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask_babel import force_locale
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.i18n import DEFAULT_LANGUAGE, language_of
from backend.models import Notification, User
from backend.models.notification import NotificationKind
from backend.notify.mailer import MailNotSent, send_mail
from backend.notify.notices import Notice
from backend.settings import Settings
from backend.storage.db import utcnow

log = logging.getLogger(__name__)

KEY_LENGTH = 200
"""The longest incident key kept (``notification.incident_key``)."""
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
        attempted_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(notification)
    except IntegrityError:
        return None
    session.commit()
    _send(session, settings, notification)
    return notification


def deliver_in_their_languages(
    session: Session,
    settings: Settings,
    *,
    words: Callable[[], Notice],
    recipients: list[str],
    incident_key: str,
    **fields: Any,
) -> list[Notification]:
    """:func:`deliver_once` to each language of ``recipients``: each person gets the notice in
    the language they chose (English for an address that is nobody's in the product).

    ``words`` is called once per language, inside it. The English e-mail keeps
    ``incident_key``; one in another language adds ``:<language>`` to it
    (:func:`language_key`), so each is sent once.

    Returns:
        The notifications sent now (none for a language that had its e-mail already).
    """
    sent = []
    for language, group in by_language(session, recipients).items():
        with force_locale(language):
            notice = words()
        delivered = deliver_once(
            session, settings, incident_key=language_key(incident_key, language),
            recipients=group, subject=notice.subject, body=notice.body, html=notice.html,
            **fields,
        )  # fmt: skip
        if delivered is not None:
            sent.append(delivered)
    return sent


def by_language(session: Session, recipients: list[str]) -> dict[str, list[str]]:
    """``recipients`` grouped by the language each chose, languages sorted."""
    chosen = dict(
        session.execute(select(User.email, User.language).where(User.email.in_(recipients))).all()
    )
    groups: dict[str, list[str]] = {}
    for address in recipients:
        language = language_of(chosen.get(address)) or DEFAULT_LANGUAGE
        groups.setdefault(language, []).append(address)
    return dict(sorted(groups.items()))


def language_key(incident_key: str, language: str) -> str:
    """The incident key of a notice's e-mail in ``language``."""
    suffix = "" if language == DEFAULT_LANGUAGE else f":{language}"
    return incident_key[: KEY_LENGTH - len(suffix)] + suffix


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
    moment = now or utcnow()
    attempted = Notification.attempted_at
    due = (
        Notification.sent_at.is_(None),
        Notification.body.is_not(None),
        or_(attempted.is_(None), attempted <= moment - RESEND_AFTER),
    )
    pending = session.scalars(select(Notification).where(*due)).all()
    sent = []
    for notification in pending:
        taken = session.execute(
            update(Notification).where(Notification.id == notification.id, *due)
            .values(attempted_at=moment)
        ).rowcount  # fmt: skip
        session.commit()
        if taken:  # another retry did not take it meanwhile
            session.refresh(notification)
            _send(session, settings, notification)
            sent.append(notification)
    return sum(1 for notification in sent if notification.sent_at is not None)
