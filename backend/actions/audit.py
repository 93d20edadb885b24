"""Writing the audit log: every admin action and every Save dialog submit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from backend.models import AuditEvent, User


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
