"""Deletes: an item missed on one side is unlinked at once and its copy deleted only when it is
still missing on the next run (per the tenant's policy). Mailbox deletes never notify attendees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.db import utcnow
from backend.models import SyncItem
from backend.models.issue import Operation, Resolution, Source
from backend.models.types import Direction, IssueCode
from backend.sync import issues
from backend.sync.planner import C4C, MAILBOX, allows_down, allows_up

if TYPE_CHECKING:
    from backend.sync.writer import TypeWriter


def recheck(writer: TypeWriter, item: SyncItem, side: str | None) -> None:
    """The ``side`` of ``item`` was missing last run: delete the copy if it still is."""
    if side == MAILBOX:
        _recheck_mailbox(writer, item)
    elif side == C4C:
        _recheck_c4c(writer, item)


def _recheck_mailbox(writer: TypeWriter, item: SyncItem) -> None:
    ctx = writer.ctx
    try:
        ctx.provider.get(writer.mapping.item_type, item.mailbox_item_id)
    except Exception as error:
        found = ctx.classify_mailbox(error)
        if found.code is not IssueCode.NOT_FOUND:
            writer._fail(item, found, ctx.mailbox_source, Direction.UP, Operation.READ)
            return
    else:
        _came_back(writer, item)
        return
    if not (ctx.tenant.config.delete_copies and allows_up(writer.settings.direction)):
        unlink(writer, item)
        return
    try:
        ctx.c4c.delete(writer.mapping.entity_set, item.c4c_object_id)
    except Exception as error:
        found = ctx.classify_c4c(error)
        if found.code is not IssueCode.NOT_FOUND:
            writer._fail(item, found, Source.C4C, Direction.UP, Operation.DELETE)
            return
    ctx.run.deleted += 1
    unlink(writer, item)


def _recheck_c4c(writer: TypeWriter, item: SyncItem) -> None:
    ctx = writer.ctx
    try:
        ctx.c4c.get(writer.mapping.entity_set, item.c4c_object_id)
    except Exception as error:
        found = ctx.classify_c4c(error)
        if found.code is not IssueCode.NOT_FOUND:
            writer._fail(item, found, Source.C4C, Direction.DOWN, Operation.READ)
            return
    else:
        _came_back(writer, item)
        return
    if not (
        ctx.tenant.config.delete_copies and allows_down(writer.settings.direction, writer.mapping)
    ):
        unlink(writer, item, clear_markers=True)
        return
    try:
        ctx.provider.delete(writer.mapping.item_type, item.mailbox_item_id)
    except Exception as error:
        found = ctx.classify_mailbox(error)
        if found.code is not IssueCode.NOT_FOUND:
            writer._fail(item, found, ctx.mailbox_source, Direction.DOWN, Operation.DELETE)
            return
    ctx.run.deleted += 1
    unlink(writer, item)


def _came_back(writer: TypeWriter, item: SyncItem) -> None:
    item.missing_side = None
    item.missed_runs = 0
    issues.resolve(
        writer.ctx.session, writer.ctx.mailbox, writer._ref(item), how=Resolution.AUTO,
        now=utcnow(), codes=[IssueCode.NOT_FOUND],
    )  # fmt: skip
    writer._commit()


def unlink(writer: TypeWriter, item: SyncItem, *, clear_markers: bool = False) -> None:
    """Forget the pairing: its issues are resolved, and markers cleared if the item stays."""
    ctx = writer.ctx
    if clear_markers and item.marker_detail and item.mailbox_item_id:
        try:
            ctx.provider.clear_markers(writer.mapping.item_type, item.mailbox_item_id)
        except Exception as error:
            found = ctx.classify_mailbox(error)
            if found.is_mailbox_level:
                raise
    ctx.run.issues_resolved += issues.resolve(
        ctx.session, ctx.mailbox, writer._ref(item), how=Resolution.AUTO, now=utcnow()
    )
    ctx.session.delete(item)
    writer._commit()
