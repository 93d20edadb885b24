"""What people do to a mailbox connection from the web: each action checked and audited.

Users act on their own mailbox (pause, resume, force, re-activate, revoke); key users on any
mailbox of their tenant (also reset, relaunch, enable and approve a held mass change); an
operator on the server's command line (``flask sync approve``, audited as :data:`OPERATOR`).
Status changes go through :mod:`backend.sync.status`; this module adds the audit and the side
effects (queueing a run, revoking a token at the provider).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import gettext
from redis import Redis
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from backend.actions.retry import request_retry
from backend.auth import addin_tokens
from backend.auth.credentials import mailbox_credentials, store_mailbox_credentials
from backend.auth.crypto import TokenCipher
from backend.auth.revocation import RevocationFailed
from backend.jobs.schedule import enqueue_sync
from backend.models import Issue, Mailbox, User
from backend.models.audit import record_audit
from backend.models.mailbox import HealthStatus
from backend.models.run import Trigger
from backend.settings import Settings
from backend.storage.db import utcnow
from backend.sync import status
from backend.sync.engine import MASS_CHANGE_CODE

OPERATOR = "operator"
"""Who the audit log names for an action run on the server's command line."""

REVOKED = "revoked"
"""``status_reason`` of a mailbox whose access a person revoked."""

Revoker = Callable[[dict[str, Any]], bool]
"""Revokes stored OAuth credentials at their provider; True when a token was revoked.
May raise :class:`RevocationFailed`."""


class ActionRefused(Exception):
    """The action does not apply to the mailbox in its current state; the message says why, in
    the reader's language (a transition :mod:`backend.sync.status` refuses: in its words)."""


def _audit(
    session: Session, mailbox: Mailbox, actor: User | str, action: str, **details: Any
) -> None:
    record_audit(
        session,
        tenant_id=mailbox.tenant_id,
        actor=actor,
        action=f"mailbox.{action}",
        target_type="mailbox",
        target_id=str(mailbox.id),
        details={"address": mailbox.address, **details},
    )


@contextmanager
def _refused_as_action() -> Iterator[None]:
    """A transition the mailbox's state does not allow becomes a refusal a person can read."""
    try:
        yield
    except status.ForcedTooSoon:
        raise
    except status.TransitionError as error:
        raise ActionRefused(str(error)) from None


def pause(session: Session, mailbox: Mailbox, actor: User) -> None:
    with _refused_as_action():
        status.pause(mailbox, utcnow())
    _audit(session, mailbox, actor, "pause")


def resume(session: Session, mailbox: Mailbox, actor: User) -> None:
    with _refused_as_action():
        status.resume(mailbox, utcnow())
    _audit(session, mailbox, actor, "resume")


def force(
    session: Session, connection: Redis, mailbox: Mailbox, actor: User, settings: Settings
) -> None:
    """Queue a run now; at most once per ``FORCE_SYNC_MIN_INTERVAL_SECONDS`` per mailbox.

    Raises:
        ActionRefused: too soon after the last one (the message says how long to wait), or the
            mailbox is paused or needs re-activation.
    """
    interval = timedelta(seconds=settings.force_sync_min_interval_seconds)
    try:
        with _refused_as_action():
            status.force(mailbox, utcnow(), interval)
    except status.ForcedTooSoon as error:
        raise ActionRefused(
            gettext(
                "A sync was started less than a minute ago; try again in %(seconds)s s.",
                seconds=error.seconds_left,
            )
        ) from None
    _audit(session, mailbox, actor, "force_sync")
    session.commit()
    enqueue_sync(connection, mailbox.id, Trigger.FORCED, settings.sync_job_timeout_seconds)


class AlreadyResolved(ActionRefused):
    """Retry on an issue that is resolved already."""


ALREADY_RESOLVED = "This issue is already resolved: the item is in sync, nothing to retry."


def retry_item(session: Session, connection: Redis, issue: Issue, settings: Settings) -> bool:
    """ "Retry" on an issue: its item goes back to the states the planner retries and a run is
    queued at once; False (nothing changed) when the issue is about no item.

    The Save dialog's three homes (dashboard, Outlook pane, Gmail card) all call this.

    Raises:
        AlreadyResolved: the issue was resolved meanwhile (an old card or page); nothing changes.
    """
    if issue.resolved_at is not None:
        raise AlreadyResolved(ALREADY_RESOLVED)
    if not request_retry(session, issue):
        return False
    session.commit()
    enqueue_sync(connection, issue.mailbox_id, Trigger.FORCED, settings.sync_job_timeout_seconds)
    return True


def reset(session: Session, mailbox: Mailbox, actor: User) -> None:
    with _refused_as_action():
        status.reset(mailbox, utcnow())
    _audit(session, mailbox, actor, "reset")


def relaunch(session: Session, mailbox: Mailbox, actor: User) -> None:
    if not status.relaunch(mailbox, utcnow()):
        raise ActionRefused(gettext("Only mailboxes whose sync failed can be relaunched."))
    _audit(session, mailbox, actor, "relaunch")


def enable(session: Session, mailbox: Mailbox, actor: User) -> None:
    """Let a disabled mailbox sync again (a key user fixed its licence or account)."""
    if mailbox.status is not HealthStatus.DISABLED:
        raise ActionRefused(gettext("Only disabled mailboxes can be enabled."))
    status.reactivate(mailbox, utcnow())
    _audit(session, mailbox, actor, "enable")


def mass_change_held(session: Session, mailbox: Mailbox) -> bool:
    """Whether a run of the mailbox stopped before a mass change and waits for approval."""
    held = exists().where(
        Issue.mailbox_id == mailbox.id,
        Issue.backend_code == MASS_CHANGE_CODE,
        Issue.resolved_at.is_(None),
    )
    return bool(session.scalar(select(held)))


def approve(session: Session, mailbox: Mailbox, actor: User | str) -> None:
    """Let a held mass change go ahead on the next run.

    Raises:
        ActionRefused: no mass change is held (approving now would wave through the next one).
    """
    if not mass_change_held(session, mailbox):
        raise ActionRefused(gettext("no mass change is held for approval"))
    status.approve_mass_change(mailbox, utcnow())
    _audit(session, mailbox, actor, "approve_mass_change")


@dataclass(frozen=True)
class Revoked:
    """What a revoke did at the provider: whether a token was revoked there, or why not."""

    at_provider: bool
    provider_error: str | None = None


def revoke(
    session: Session, mailbox: Mailbox, actor: User, cipher: TokenCipher, revoker: Revoker
) -> Revoked:
    """Give up the mailbox's data access: revoke the token at its provider, forget it, stop,
    and end its owner's signed-in sessions and add-in sign-ins.

    The stored credentials are deleted even when the provider refuses or cannot be reached
    (the audit records its answer), so access ends on our side in every case.

    Raises:
        ActionRefused: the access is already revoked.
    """
    if mailbox.credentials_encrypted is None:
        raise ActionRefused(gettext("its access is already revoked"))
    credentials = mailbox_credentials(mailbox, cipher) or {}
    try:
        outcome = Revoked(revoker(credentials))
    except RevocationFailed as error:
        outcome = Revoked(False, str(error))
    store_mailbox_credentials(mailbox, None, cipher)
    status.mark_revoked(mailbox, REVOKED)
    addin_sign_ins = addin_tokens.revoke_all(session, mailbox.user_id)
    owner = session.get(User, mailbox.user_id) if mailbox.user_id is not None else None
    if owner is not None:
        owner.end_sessions()
    _audit(
        session, mailbox, actor, "revoke",
        at_provider=outcome.at_provider, provider_error=outcome.provider_error,
        addin_sign_ins_ended=addin_sign_ins,
    )  # fmt: skip
    return outcome


def reactivate(
    session: Session, mailbox: Mailbox, actor: User, cipher: TokenCipher, credentials: dict
) -> None:
    """Store newly granted credentials and sync at once."""
    store_mailbox_credentials(mailbox, credentials, cipher)
    status.reactivate(mailbox, utcnow())
    _audit(session, mailbox, actor, "reactivate", kind=credentials.get("kind", "password"))
