"""A removed person's row, mailbox and issues stay for the retention period, then go; what they
did stays in the audit log, by address."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.jobs.maintenance import purge_removed_users
from backend.jobs.runtime import use_app
from backend.models import AuditEvent, Mailbox, User
from backend.models.audit import record_audit
from backend.storage.db import utcnow
from tests.support import factories


def test_removed_people_go_when_the_retention_ends_and_the_audit_keeps_their_address(
    app, session, resources
) -> None:
    tenant = factories.tenant(session, resources.cipher)
    old = factories.mailbox(session, resources.cipher, tenant, "old@contoso.test")
    recent = factories.mailbox(session, resources.cipher, tenant, "recent@contoso.test")
    factories.mailbox(session, resources.cipher, tenant, "current@contoso.test")
    days = resources.settings.issue_retention_days
    session.get(User, old.user_id).removed_at = utcnow() - timedelta(days=days + 1)
    session.get(User, recent.user_id).removed_at = utcnow() - timedelta(days=days - 1)
    record_audit(session, tenant_id=tenant.id, actor=session.get(User, old.user_id),
                 action="issue.retry", target_type="issue", target_id="1")  # fmt: skip
    session.commit()

    use_app(app)
    assert purge_removed_users() == 1
    session.expire_all()
    left = session.scalars(select(Mailbox.address).order_by(Mailbox.address)).all()
    assert left == ["current@contoso.test", "recent@contoso.test"]
    event = session.scalars(select(AuditEvent)).one()
    assert (event.actor, event.actor_user_id) == ("old@contoso.test", None)
    assert purge_removed_users() == 0
