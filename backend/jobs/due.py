"""Which mailboxes are due: one definition for the scheduler's tick and for the metrics of how
late the waiting ones are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, select

from backend.models import Mailbox, MailboxItemState, Tenant
from backend.models.mailbox import Stage
from backend.sync import status


def due_conditions(now: datetime) -> list[ColumnElement[bool]]:
    """What makes a mailbox due at ``now``: syncable, its next sync time come, not running, and
    its tenant connected. A tenant whose SAP connection is not set up, or refuses its
    integration user, waits; so does a mailbox nobody connected yet (no next sync time)."""
    ongoing = exists().where(
        MailboxItemState.mailbox_id == Mailbox.id, MailboxItemState.stage == Stage.ONGOING
    )
    connected = select(Tenant.id).where(
        Tenant.c4c_base_url.is_not(None), Tenant.c4c_refused_since.is_(None)
    )
    return [
        Mailbox.status.in_(status.SYNCABLE),
        Mailbox.next_sync_at <= now,
        Mailbox.tenant_id.in_(connected),
        and_(~ongoing),
    ]
