"""A person asked to retry one failed item: the next run reads it again and pushes it.

Items that failed for a reason other than a temporary one wait for a change before they are
tried again (PRODUCT.md section 4). "Retry" is that change, made by hand: the item is put back
into the states the planner retries (an unfinished create, or a failed write to try again).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import Issue, SyncItem
from backend.models.sync_item import SyncItemState


def request_retry(session: Session, issue: Issue) -> bool:
    """Make the next run retry the item of ``issue``; False if there is no item to retry."""
    if issue.item_type is None or not (issue.mailbox_item_id or issue.c4c_object_id):
        return False
    query = select(SyncItem).where(
        SyncItem.mailbox_id == issue.mailbox_id, SyncItem.item_type == issue.item_type
    )
    if issue.mailbox_item_id:
        query = query.where(SyncItem.mailbox_item_id == issue.mailbox_item_id)
    else:
        query = query.where(SyncItem.c4c_object_id == issue.c4c_object_id)
    item = session.scalars(query).first()
    if item is None or item.mailbox_item_id is None:
        return False
    if item.c4c_object_id is None:
        item.state = SyncItemState.PENDING
    else:
        item.state = SyncItemState.FAILED
        item.temporary_failures = max(item.temporary_failures, 1)
    return True
