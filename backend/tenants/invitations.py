"""Invitations: the e-mail that brings a new user to sign in and connect their mailbox.

The link holds a random secret; only its SHA-256 is stored, so the database alone opens no
invitation. A link works once and until it expires (``INVITATION_DAYS``); a new invitation
for the same user makes the older ones unusable. What a user's row says follows from these:
``activated`` (an invitation was used or the user has signed in), ``invited``, ``expired``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.auth.crypto import secret_digest
from backend.models import Invitation, Tenant, User
from backend.models.audit import record_audit
from backend.notify.mailer import MailNotSent, send_mail
from backend.settings import Settings
from backend.storage.db import utcnow

PATH = "/invitation/"


class InvitationState(StrEnum):
    NOT_INVITED = "not invited"
    INVITED = "invited"
    EXPIRED = "expired"
    ACTIVATED = "activated"


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    link: str
    """The link to send; it exists only here and in the e-mail."""


def invite(
    session: Session,
    tenant: Tenant,
    user: User,
    *,
    actor: User | str,
    settings: Settings,
    now: datetime,
) -> NewInvitation:
    """A new invitation of ``user`` (older ones stop working), audited; the caller commits and
    then sends it with :func:`send`."""
    session.execute(
        update(Invitation)
        .where(Invitation.user_id == user.id, Invitation.used_at.is_(None))
        .values(expires_at=now)
    )
    secret = secrets.token_urlsafe(32)
    invitation = Invitation(
        tenant_id=tenant.id,
        user_id=user.id,
        token_hash=secret_digest(secret),
        invited_by=actor.email if isinstance(actor, User) else actor,
        created_at=now,
        expires_at=now + timedelta(days=settings.invitation_days),
    )
    session.add(invitation)
    session.flush()
    record_audit(
        session, tenant_id=tenant.id, actor=actor, action="user.invite", target_type="user",
        target_id=str(user.id), details={"email": user.email, "expires_at": _iso(invitation)},
    )  # fmt: skip
    link = f"{settings.public_base_url.rstrip('/')}{PATH}{secret}"
    return NewInvitation(invitation, link)


def _iso(invitation: Invitation) -> str:
    return invitation.expires_at.isoformat(timespec="seconds")


def send(settings: Settings, tenant: Tenant, user: User, sent: NewInvitation) -> None:
    """E-mail the invitation to its user.

    Raises:
        MailNotSent: the SMTP server could not be reached or refused it.
    """
    until = sent.invitation.expires_at.strftime("%d %B %Y, %H:%M UTC")
    body = (
        f"Hello {user.name},\n\n"
        f"{tenant.name} uses ssi-sync to keep your mailbox in step with SAP Cloud for Customer.\n"
        "Open this link to sign in with your company account and connect your mailbox:\n\n"
        f"{sent.link}\n\n"
        f"The link works once, until {until}. If it has expired, ask your key user for a new "
        "one.\n"
    )
    send_mail(settings, [user.email], f"{tenant.name}: connect your mailbox to SAP", body)


def invite_and_send(
    session: Session, tenant: Tenant, user: User, *, actor: User | str, settings: Settings
) -> MailNotSent | None:
    """Invite ``user``, commit, then e-mail the link; the mail server's refusal, if any (the
    invitation stays stored: it can be sent again)."""
    sent = invite(session, tenant, user, actor=actor, settings=settings, now=utcnow())
    session.commit()
    try:
        send(settings, tenant, user, sent)
    except MailNotSent as error:
        return error
    return None


def find(session: Session, secret: str) -> Invitation | None:
    """The invitation whose link holds ``secret`` (usable or not)."""
    if not secret or len(secret) > 128:
        return None
    return session.scalars(
        select(Invitation).where(Invitation.token_hash == secret_digest(secret))
    ).one_or_none()


def state_of(user: User, latest: Invitation | None, now: datetime) -> InvitationState:
    """Where ``user`` stands, from their latest invitation and whether they ever signed in."""
    if user.last_login_at is not None or (latest is not None and latest.used_at is not None):
        return InvitationState.ACTIVATED
    if latest is None:
        return InvitationState.NOT_INVITED
    return InvitationState.INVITED if latest.usable(now) else InvitationState.EXPIRED


def latest_of(session: Session, user_ids: list[int]) -> dict[int, Invitation]:
    """Each user's latest invitation, by user id."""
    latest: dict[int, Invitation] = {}
    rows = session.scalars(
        select(Invitation).where(Invitation.user_id.in_(user_ids)).order_by(Invitation.id)
    )
    for invitation in rows:
        latest[invitation.user_id] = invitation
    return latest
