"""Markers (categories, labels, colours) as a projection of open issues.

The wanted state is computed from the open issues; the state on the item is journalled in
``SyncItem.marker_detail`` after each successful change. Setting and clearing markers are
idempotent, so after a crash between the mailbox write and the journal the next reconcile simply
does the same write again: markers never drift from issues for long.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from backend.mailbox.base import MailboxProvider
from backend.models import Issue, Mailbox, SyncItem
from backend.models.sync_item import items_among
from backend.models.types import IssueCode, ItemType
from backend.sync.errors import Classification, SyncError
from backend.sync.recommendations import marker_detail

log = logging.getLogger(__name__)

PRECEDENCE = (
    IssueCode.NEEDS_INPUT,
    IssueCode.FORBIDDEN,
    IssueCode.NOT_FOUND,
    IssueCode.UNKNOWN,
    IssueCode.TEMPORARY,
    IssueCode.CONFLICT,
)
"""When one item has several open issues, its marker speaks of the first code here."""


@dataclass
class MarkerStats:
    set: int = 0
    cleared: int = 0
    failed: int = 0


def wanted_markers(
    session: Session, mailbox_id: int, item_id: str | None = None
) -> dict[tuple[ItemType, str], str]:
    """The marker words each mailbox item (or only ``item_id``) should carry, from its open
    issues."""
    query = select(
        Issue.item_type, Issue.mailbox_item_id, Issue.code, Issue.fields, Issue.backend_code
    ).where(
        Issue.mailbox_id == mailbox_id,
        Issue.resolved_at.is_(None),
        Issue.informational.is_(False),
        Issue.mailbox_item_id.is_not(None),
        Issue.item_type.is_not(None),
    )
    if item_id is not None:
        query = query.where(Issue.mailbox_item_id == item_id)
    rows = session.execute(query).all()
    best: dict[tuple[ItemType, str], tuple[int, str]] = {}
    for item_type, item_id, code, fields, backend_code in rows:
        rank = PRECEDENCE.index(code) if code in PRECEDENCE else len(PRECEDENCE)
        key = (item_type, item_id)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, marker_detail(code, fields or [], backend_code))
    return {key: detail for key, (_rank, detail) in best.items()}


def to_reconcile(
    mailbox_id: int, wanted: dict[tuple[ItemType, str], str], item_id: str | None = None
) -> Select[tuple[SyncItem]]:
    """The items whose markers may have to change: those carrying markers and those ``wanted``
    names, each part found by an index (the marked ones by a partial index), so a run's cost does
    not grow with the mailbox."""
    by_type: dict[ItemType, list[str]] = {}
    for item_type, wanted_id in wanted:
        by_type.setdefault(item_type, []).append(wanted_id)
    mine = select(SyncItem.id).where(SyncItem.mailbox_id == mailbox_id)
    if item_id is not None:
        mine = mine.where(SyncItem.mailbox_item_id == item_id)
    parts = [mine.where(SyncItem.marker_detail.is_not(None))]
    parts += [
        mine.where(SyncItem.item_type == item_type, SyncItem.mailbox_item_id.in_(ids))
        for item_type, ids in by_type.items()
    ]
    return items_among(parts)


def reconcile(
    session: Session,
    mailbox: Mailbox,
    provider: MailboxProvider,
    classify: Callable[[BaseException], Classification],
    item_id: str | None = None,
) -> MarkerStats:
    """Set and clear markers until the mailbox (or only item ``item_id``, after a Save dialog
    submit) shows exactly the open issues.

    Raises:
        SyncError: the mailbox refused us as a whole (``AUTH``, ``ACCOUNT_DISABLED``).
    """
    wanted = wanted_markers(session, mailbox.id, item_id)
    rows = session.scalars(to_reconcile(mailbox.id, wanted, item_id)).all()
    stats = MarkerStats()
    for row in rows:
        if row.mailbox_item_id is None:
            continue
        want = wanted.get((row.item_type, row.mailbox_item_id))
        if want == row.marker_detail:
            continue
        try:
            if want is None:
                provider.clear_markers(row.item_type, row.mailbox_item_id)
                stats.cleared += 1
            else:
                provider.set_markers(row.item_type, row.mailbox_item_id, want)
                stats.set += 1
        except Exception as error:
            found = classify(error)
            if found.ends_run:
                raise SyncError(found) from error
            if found.code is not IssueCode.NOT_FOUND:
                log.warning("markers of item %s not changed: %s", row.id, found.message)
                stats.failed += 1
                continue
            want = None
        row.marker_detail = want
        session.commit()
    return stats
