"""Writing the audit log: every admin action and every Save dialog submit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from backend.models import AuditEvent, User


def record_audit(
    session: Session,
    *,
    tenant_id: int | None,
    actor: User | None,
    action: str,
    target_type: str | None,
    target_id: str | None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to ``session`` (committed with the change it records)."""
    event = AuditEvent(
        tenant_id=tenant_id,
        actor_user_id=actor.id if actor is not None else None,
        actor=actor.email if actor is not None else "system",
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details or {},
    )
    session.add(event)
    return event
