"""Deletes: an item missed on one side is unlinked at once and its copy deleted only when it is
still missing on the next run (per the tenant's policy). Mailbox deletes never notify attendees.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from backend.models import SyncItem
from backend.models.issue import Operation, Resolution, Source
from backend.models.types import Direction, IssueCode
from backend.storage.db import utcnow
from backend.sync import issues
from backend.sync.errors import Classification, SyncError, ours
from backend.sync.planner import C4C, MAILBOX, SCOPE, allows_down, allows_up, up_hash
from backend.text import N_

if TYPE_CHECKING:
    from backend.sync.writer import TypeWriter


def recheck(writer: TypeWriter, item: SyncItem, side: str | None) -> None:
    """The ``side`` of ``item`` was missing last run: delete the copy if it still is."""
    ctx, mapping = writer.ctx, writer.mapping
    copies = ctx.tenant.config.delete_copies
    if side == MAILBOX:
        if item.c4c_object_id is None and not _landed_after_all(writer, item):
            return
        _recheck(
            writer, item,
            probe=lambda: ctx.provider.get(mapping.item_type, item.mailbox_item_id),
            probe_source=(ctx.classify_mailbox, ctx.mailbox_source),
            delete=lambda: ctx.c4c.delete(mapping.entity_set, item.c4c_object_id),
            delete_source=(ctx.classify_c4c, Source.C4C),
            allowed=copies and allows_up(writer.settings.direction),
            direction=Direction.UP,
        )  # fmt: skip
    elif side == SCOPE:
        leave(writer, item)
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


def _landed_after_all(writer: TypeWriter, item: SyncItem) -> bool:
    """Whether the create of ``item``, whose answer never came (it is ``PENDING`` and has no
    ``ObjectID``), landed after all: found by our reference, it is linked and can be deleted as
    any copy. Otherwise nothing in SAP is left to delete and the row is forgotten; a look-up
    that fails is recorded for the item."""
    ctx = writer.ctx
    try:
        found = ctx.c4c.find_by_external_id(writer.mapping.entity_set, item.external_id)
    except Exception as error:
        writer._fail(item, ctx.classify_c4c(error), Source.C4C, Direction.UP, Operation.READ)
        return False
    if found is None:
        unlink(writer, item)
        return False
    item.c4c_object_id = found["ObjectID"]
    return True


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
        came_back(writer, item)
        return True
    return False


def came_back(writer: TypeWriter, item: SyncItem) -> None:
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


LEFT_SCOPE = ours(
    IssueCode.NOT_FOUND,
    N_(
        "No longer yours in SAP (it was given to someone else); the copy leaves your mailbox on "
        "the next sync unless it is yours again"
    ),
    backend_code="LeftScope",
)
KEPT_EDITED = ours(
    IssueCode.CONFLICT,
    N_(
        "No longer yours in SAP, but you changed your copy: it was kept, and your changes go on "
        "syncing to SAP. Delete it yourself if you no longer need it"
    ),
    backend_code="LeftScopeEdited",
)


def left(writer: TypeWriter, item: SyncItem) -> None:
    """The record of a copy from SAP is no longer the user's: it goes next run unless it is
    theirs again by then."""
    item.missing_side = SCOPE
    item.missed_runs = 1
    writer._issue(item, LEFT_SCOPE, Source.C4C, Direction.DOWN, Operation.DELETE, True)
    writer._commit()


def leave(writer: TypeWriter, item: SyncItem) -> None:
    """Remove the copy whose record stayed someone else's, unless the user changed it since it
    came (then it stays theirs, linked, and an issue says so) or the tenant keeps copies."""
    ctx, mapping = writer.ctx, writer.mapping
    try:
        record = ctx.provider.get(mapping.item_type, item.mailbox_item_id)
    except Exception as error:
        found = ctx.classify_mailbox(error)
        if found.code is IssueCode.NOT_FOUND:
            unlink(writer, item)
        else:
            writer._fail(item, found, ctx.mailbox_source, Direction.DOWN, Operation.READ)
        return
    edited = item.changed_here or up_hash(mapping, record) != item.mailbox_hash
    allowed = ctx.tenant.config.delete_copies and allows_down(writer.settings.direction, mapping)
    if edited or not allowed:
        item.from_sap = False
        came_back(writer, item)
        if edited:
            writer._issue(item, KEPT_EDITED, Source.ENGINE, Direction.DOWN, Operation.DELETE, True)
            writer._commit()
        return
    delete = functools.partial(ctx.provider.delete, mapping.item_type, item.mailbox_item_id)
    mailbox = (ctx.classify_mailbox, ctx.mailbox_source)
    if _failed(writer, item, delete, mailbox, Direction.DOWN, Operation.DELETE, missing_ok=True):
        return
    ctx.run.deleted += 1
    unlink(writer, item)
