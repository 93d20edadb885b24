"""Deletes: an item missed on one side is unlinked at once and its copy deleted only when it is
still missing on the next run (per the tenant's policy). Mailbox deletes never notify attendees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from backend.models import SyncItem
from backend.models.issue import Operation, Resolution, Source
from backend.models.types import Direction, IssueCode
from backend.storage.db import utcnow
from backend.sync import issues
from backend.sync.errors import Classification, SyncError
from backend.sync.planner import C4C, MAILBOX, allows_down, allows_up

if TYPE_CHECKING:
    from backend.sync.writer import TypeWriter


def recheck(writer: TypeWriter, item: SyncItem, side: str | None) -> None:
    """The ``side`` of ``item`` was missing last run: delete the copy if it still is."""
    ctx, mapping = writer.ctx, writer.mapping
    copies = ctx.tenant.config.delete_copies
    if side == MAILBOX:
        _recheck(
            writer, item,
            probe=lambda: ctx.provider.get(mapping.item_type, item.mailbox_item_id),
            probe_source=(ctx.classify_mailbox, ctx.mailbox_source),
            delete=lambda: ctx.c4c.delete(mapping.entity_set, item.c4c_object_id),
            delete_source=(ctx.classify_c4c, Source.C4C),
            allowed=copies and allows_up(writer.settings.direction),
            direction=Direction.UP,
        )  # fmt: skip
    elif side == C4C:
        _recheck(
            writer, item,
            probe=lambda: ctx.c4c.get(mapping.entity_set, item.c4c_object_id),
            probe_source=(ctx.classify_c4c, Source.C4C),
            delete=lambda: ctx.provider.delete(mapping.item_type, item.mailbox_item_id),
            delete_source=(ctx.classify_mailbox, ctx.mailbox_source),
            allowed=copies and allows_down(writer.settings.direction, mapping),
            direction=Direction.DOWN,
        )  # fmt: skip


Origin = tuple[Callable[[BaseException], Classification], Source]
"""How to classify a failure of one side, and the source an issue names."""


def _recheck(
    writer: TypeWriter,
    item: SyncItem,
    *,
    probe: Callable[[], object],
    probe_source: Origin,
    delete: Callable[[], object],
    delete_source: Origin,
    allowed: bool,
    direction: Direction,
) -> None:
    """Probe the missing side; if it is still gone, delete the copy (when ``allowed``)."""
    if _failed(writer, item, probe, probe_source, direction, Operation.READ, missing_ok=True):
        return
    if not allowed:
        unlink(writer, item, clear_markers=direction is Direction.DOWN)
        return
    if _failed(writer, item, delete, delete_source, direction, Operation.DELETE, missing_ok=True):
        return
    writer.ctx.run.deleted += 1
    unlink(writer, item)


def _failed(
    writer: TypeWriter,
    item: SyncItem,
    call: Callable[[], object],
    source: Origin,
    direction: Direction,
    operation: Operation,
    *,
    missing_ok: bool,
) -> bool:
    """Run ``call``; True when the recheck must stop (it failed, or the probed side is back)."""
    classify, where = source
    try:
        call()
    except Exception as error:
        found = classify(error)
        if found.code is IssueCode.NOT_FOUND and missing_ok:
            return False
        writer._fail(item, found, where, direction, operation)
        return True
    if operation is Operation.READ:
        _came_back(writer, item)
        return True
    return False


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
            if found.ends_run:
                raise SyncError(found) from error
    ctx.run.issues_resolved += issues.resolve(
        ctx.session, ctx.mailbox, writer._ref(item), how=Resolution.AUTO, now=utcnow()
    )
    ctx.session.delete(item)
    writer._commit()
