"""The sync items of a mailbox as the database holds them now."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import Mailbox, SyncItem
from backend.models.types import ItemType


def items_of(session: Session, mailbox: Mailbox, item_type: ItemType) -> list[SyncItem]:
    """The mailbox's items of ``item_type``, read again (not as the session last saw them)."""
    session.expire_all()
    return list(
        session.scalars(
            select(SyncItem).where(
                SyncItem.mailbox_id == mailbox.id, SyncItem.item_type == item_type
            )
        )
    )
