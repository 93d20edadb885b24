"""AuditEvent: who did what to which object, for every admin action and Save dialog submit;
:func:`record_audit` writes one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.models.user import User
from backend.storage.db import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def record_audit(
    session: Session,
    *,
    tenant_id: int | None,
    actor: User | str | None,
    action: str,
    target_type: str | None,
    target_id: str | None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to ``session`` (committed with the change it records).

    ``actor`` is the person who acted, the name of who else did (``"operator"`` for a command
    run on the server), or ``None`` for the product itself (``"system"``).
    """
    person = actor if isinstance(actor, User) else None
    event = AuditEvent(
        tenant_id=tenant_id,
        actor_user_id=person.id if person is not None else None,
        actor=person.email if person is not None else actor or "system",
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details or {},
    )
    session.add(event)
    return event
