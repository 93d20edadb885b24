"""Creating the user's C4C records in the mailbox, where the product keeps them.

Each copy's ``SyncItem`` (C4C's ``ObjectID``, no mailbox id yet, and the fingerprint of the
record about to be written) is committed before the mailbox is written to, ``CHUNK`` at a
time. A worker killed between the two leaves the row without a mailbox id; the next run reads
the mailbox's changes first, finds the copy by that fingerprint and links it (``ADOPT``)
instead of making another.

A record the mailbox already has a copy of by then (paired with a mailbox item this run sent up)
is left alone. Appointments are written without attendees: nobody is invited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from backend.crm.values import etag_of
from backend.mailbox.base import ItemRecord
from backend.models import SyncItem
from backend.models.issue import Operation, Resolution, Source
from backend.models.sync_item import SyncItemState
from backend.models.types import Direction, IssueCode
from backend.storage.db import utcnow
from backend.sync import issues
from backend.sync.creates import new_reference
from backend.sync.planner import Step, down_hash, up_hash

CHUNK = 50
"""Copies whose rows are committed together before their mailbox writes."""

if TYPE_CHECKING:
    from backend.sync.writer import TypeWriter


def create_all(writer: TypeWriter, steps: list[Step]) -> None:
    """Copy the C4C record of each of ``steps`` into the mailbox, ``CHUNK`` rows committed
    together before their mailbox writes."""
    if not steps:
        return
    copied = _copied(writer)
    for start in range(0, len(steps), CHUNK):
        rows = [_row(writer, step, copied) for step in steps[start : start + CHUNK]]
        writer.ctx.session.commit()
        for item, record in (row for row in rows if row is not None):
            _write(writer, item, record)
        writer.progressed(len(rows))


def _row(writer: TypeWriter, step: Step, copied: set[str]) -> tuple[SyncItem, ItemRecord] | None:
    """The copy's row, with what is about to be written (``None``: nothing to copy)."""
    ctx, mapping = writer.ctx, writer.mapping
    assert mapping.to_record is not None
    item = step.item
    entity = step.entity or (item is not None and _current(writer, item))
    if not entity:
        return None
    if item is None:
        if entity["ObjectID"] in copied:
            return None
        copied.add(entity["ObjectID"])
        item = SyncItem(
            mailbox_id=ctx.mailbox.id,
            item_type=mapping.item_type,
            state=SyncItemState.PENDING,
            c4c_object_id=entity["ObjectID"],
            external_id=new_reference(ctx.mailbox.id),
            from_sap=True,
        )
        ctx.session.add(item)
        ctx.rows_added += 1
    record = mapping.to_record(entity, None)
    item.title = record.title or item.title
    item.c4c_etag = etag_of(entity)
    item.c4c_hash = down_hash(mapping, entity)
    item.mailbox_hash = up_hash(mapping, record)
    writer.links_seen(item, record, entity)
    return item, record


def _write(writer: TypeWriter, item: SyncItem, record: ItemRecord) -> None:
    ctx = writer.ctx
    try:
        made = ctx.provider.create(writer.mapping.item_type, record)
    except Exception as error:
        found = ctx.classify_mailbox(error)
        writer._fail(item, found, ctx.mailbox_source, Direction.DOWN, Operation.CREATE)
        return
    unlinked = writer._ref(item)
    item.mailbox_item_id, item.mailbox_change_key = made.id, made.change_key
    ctx.run.created += 1
    _resolve(writer, unlinked)
    writer._synced(item, item.mailbox_hash)


def _current(writer: TypeWriter, item: SyncItem) -> dict[str, Any] | None:
    """C4C's record of a copy whose create did not finish; ``None`` when it cannot be read (a
    failure is recorded) or is gone (then nothing is left to copy: the row goes)."""
    ctx = writer.ctx
    try:
        return ctx.c4c.get(writer.mapping.entity_set, item.c4c_object_id)
    except Exception as error:
        found = ctx.classify_c4c(error)
        if found.code is IssueCode.NOT_FOUND:
            ctx.session.delete(item)
            ctx.session.commit()
        else:
            writer._fail(item, found, Source.C4C, Direction.DOWN, Operation.READ)
        return None


def adopt(writer: TypeWriter, step: Step) -> None:
    """Link the mailbox item of ``step`` to the C4C record whose copy it is."""
    item, record = step.item, step.record
    assert item is not None and record is not None
    unlinked = writer._ref(item)
    item.mailbox_item_id, item.mailbox_change_key = record.id, record.change_key
    item.title = record.title or item.title
    _resolve(writer, unlinked)
    writer._synced(item, up_hash(writer.mapping, record))


def _resolve(writer: TypeWriter, unlinked: issues.ItemRef) -> None:
    """Close what was open about the copy before it had a mailbox id (issues are keyed by it)."""
    if writer.ctx.may_have_issues(unlinked):
        writer.ctx.run.issues_resolved += issues.resolve(
            writer.ctx.session, writer.ctx.mailbox, unlinked, how=Resolution.AUTO, now=utcnow()
        )


def _copied(writer: TypeWriter) -> set[str]:
    """The C4C objects the mailbox has a copy of (some paired on the way up in this run)."""
    ctx = writer.ctx
    linked = select(SyncItem.c4c_object_id).where(
        SyncItem.mailbox_id == ctx.mailbox.id,
        SyncItem.item_type == writer.mapping.item_type,
        SyncItem.c4c_object_id.is_not(None),
    )
    return set(ctx.session.scalars(linked))
