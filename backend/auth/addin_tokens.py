"""Add-in tokens: what the Outlook task pane sends as ``Authorization: Bearer ...``.

The pane gets one after an OpenID Connect sign-in in an Office dialog. A token is random (256
bits), short-lived (``ADDIN_TOKEN_MINUTES``), opens the add-in API only, and can be revoked:
by the user signing out of the pane, by a refresh (the old one ends), and, for every token of
a user, when a key user revokes that user's mailbox. Only its SHA-256 digest is stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, bindparam, select, update
from sqlalchemy.orm import Session

from backend.auth.crypto import secret_digest
from backend.models import AddinToken, User
from backend.storage.db import utcnow
from backend.text import N_

PREFIX = "ssa_"


class TokenRefused(Exception):
    """The bearer token does not open the add-in API.

    Attributes:
        error: the RFC 6750 error code, ``invalid_token`` (unknown, malformed, revoked) or
            ``token_expired`` (it was good; sign in again or refresh earlier).
    """

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error


@dataclass(frozen=True)
class Issued:
    """A new token: the secret (shown once, to the pane) and when it ends."""

    secret: str
    expires_at: datetime


def issue(session: Session, user: User, client: str, minutes: int) -> Issued:
    """Add a new token for ``user`` to ``session`` (the caller commits)."""
    secret = PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(minutes=minutes)
    session.add(
        AddinToken(
            user_id=user.id, token_hash=secret_digest(secret), client=client, expires_at=expires_at
        )
    )
    return Issued(secret, expires_at)


TOKEN_AND_USER = (
    select(AddinToken, User)
    .join(User, User.id == AddinToken.user_id)
    .where(AddinToken.token_hash == bindparam("digest"))
)
"""Built once: its cache key is the same for every call (parameter ``digest``). A caller that
needs more of the user's rows with the token reads them in the same statement: it adds them to
this one and hands it to :func:`verify`."""


def verify(session: Session, secret: str, read: Select[Any] = TOKEN_AND_USER) -> Row[Any]:
    """The live token row for ``secret`` with its user (``row.AddinToken``, ``row.User``), and
    whatever else ``read``, this module's statement or one built on it, selects: read in one
    statement, as every call of the task pane asks this first.

    Raises:
        TokenRefused: unknown, malformed, revoked or expired.
    """
    if not secret.startswith(PREFIX) or len(secret) > 100:
        raise TokenRefused("invalid_token", N_("This is not an add-in token. Sign in again."))
    found = session.execute(read, {"digest": secret_digest(secret)}).unique().one_or_none()
    if found is None or found.AddinToken.revoked_at is not None:
        raise TokenRefused("invalid_token", N_("This sign-in has ended. Sign in again."))
    if found.AddinToken.expires_at <= utcnow():
        raise TokenRefused("token_expired", N_("This sign-in has expired. Sign in again."))
    return found


def refresh(session: Session, row: AddinToken, user: User, minutes: int) -> Issued:
    """Swap a live token for a new one (the old one ends now)."""
    row.revoked_at = utcnow()
    return issue(session, user, row.client, minutes)


def revoke(row: AddinToken) -> None:
    row.revoked_at = row.revoked_at or utcnow()


def revoke_all(session: Session, user_id: int) -> int:
    """End every live token of a user; how many there were."""
    result = session.execute(
        update(AddinToken)
        .where(AddinToken.user_id == user_id, AddinToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0
