"""SAP refusing the company's integration user: a pause of the whole tenant, not a sign-in
failure of each mailbox.

When C4C answers 401 for the integration user, every mailbox of the tenant would fail the same
way, so :func:`refused` records it once on the tenant (``c4c_refused_since``): the scheduler
runs none of its mailboxes, every user's dashboard says why, and the key users get one e-mail
with a link to the connections page. :func:`resume` ends the pause when a connection test
gets through: the mailboxes it held are due again at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import Mailbox, Tenant, User
from backend.models.audit import record_audit
from backend.models.issue import Source
from backend.models.mailbox import HealthStatus
from backend.models.notification import NotificationKind
from backend.models.user import Role
from backend.notify import notices
from backend.notify.deliver import deliver_in_their_languages
from backend.settings import Settings
from backend.sync import status
from backend.text import N_

REASON = N_(
    "SAP refuses your company's integration user (its password may have changed); your key "
    "user is told and syncing waits until the connection works again."
)
"""What a mailbox held by the pause says."""


def refused(session: Session, tenant: Tenant, settings: Settings, now: datetime) -> bool:
    """Record that C4C refused the integration user; the first time, tell the key users.

    Returns:
        Whether this began the pause (False when the tenant was paused already).
    """
    if tenant.c4c_refused_since is not None:
        return False
    tenant.c4c_refused_since = now
    record_audit(
        session, tenant_id=tenant.id, actor=None, action="tenant.sap_refused",
        target_type="tenant", target_id=str(tenant.id),
    )  # fmt: skip
    session.commit()
    key_users = session.scalars(
        select(User.email).where(
            User.tenant_id == tenant.id, User.role == Role.KEY_USER, User.removed_at.is_(None)
        )
    ).all()
    link = f"{settings.public_base_url.rstrip('/')}/admin/connections/"
    deliver_in_their_languages(
        session, settings, words=lambda: notices.sap_refused(tenant.name, link),
        kind=NotificationKind.SAP_REFUSED, tenant_id=tenant.id, mailbox_id=None,
        incident_key=f"sap-refused:{tenant.id}:{now.isoformat()}",
        recipients=sorted({*key_users, *tenant.config.extra_recipients}),
    )  # fmt: skip
    return True


def resume(session: Session, tenant: Tenant, actor: User | str | None, now: datetime) -> bool:
    """End the pause: every mailbox it held is due now. Returns whether there was one."""
    if tenant.c4c_refused_since is None:
        return False
    since, tenant.c4c_refused_since = tenant.c4c_refused_since, None
    held = session.scalars(
        select(Mailbox).where(
            Mailbox.tenant_id == tenant.id,
            Mailbox.status == HealthStatus.FAILED_UNKNOWN,
            Mailbox.failing_source == Source.C4C,
        )
    )
    for mailbox in held:
        status.relaunch(mailbox, now)
    record_audit(
        session, tenant_id=tenant.id, actor=actor, action="tenant.sap_resumed",
        target_type="tenant", target_id=str(tenant.id),
        details={"paused_since": since.isoformat(timespec="seconds")},
    )  # fmt: skip
    return True
