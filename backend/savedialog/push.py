"""The two writes of a save: the mailbox item first, then C4C at once.

The mailbox is written with the change key the item was read with; if someone changed the item
in between, it is read again and the typed values laid over the fresh copy once more. C4C gets
a create when the item is not linked yet (after looking for a create that may already have
landed, and for an existing object to pair with, as the engine does), else an update guarded by
the ETag; a changed ETag is read again and the person's save applied once more, since they
chose these values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from backend.crm.errors import C4CHTTPError
from backend.crm.values import etag_of
from backend.mailbox.base import ItemRecord
from backend.models import SyncItem
from backend.models.issue import Operation
from backend.models.sync_item import SyncItemState
from backend.models.types import IssueCode
from backend.savedialog import sides
from backend.savedialog.changes import c4c_values, updated_record
from backend.savedialog.item import ItemContext
from backend.sync import connect, creates, employees
from backend.sync.errors import Classification, SyncError
from backend.sync.linker import Linker
from backend.sync.mapping import Links


class WriteFailed(Exception):
    """One side refused a write, or could not be reached.

    Attributes:
        side: ``MAILBOX`` or ``C4C``.
        found: the classification of the failure.
        error: the raw error (C4C's per-field messages are read from it).
        operation: what was being done.
    """

    def __init__(
        self, side: str, found: Classification, error: BaseException, operation: Operation
    ) -> None:
        super().__init__(f"{side}: {found.code}: {found.message}")
        self.side = side
        self.found = found
        self.error = error
        self.operation = operation

    @property
    def messages(self) -> dict[str, str]:
        """C4C's own message per property it complained about."""
        return self.error.field_messages if isinstance(self.error, C4CHTTPError) else {}


def write_mailbox(
    ctx: ItemContext, changed: Mapping[str, Any], described: Mapping[str, Any] | None
) -> tuple[ItemRecord, ItemRecord]:
    """Write the typed values (and a picked account's name, where kept; else the account SAP
    moved the item to, :attr:`ItemContext.carried`) into the mailbox item.

    Args:
        ctx: the item.
        changed: the C4C values the person changed.
        described: properties describing a picked related object, if any.

    Returns:
        The item as read last and as now written (the same record when nothing changed).

    Raises:
        WriteFailed: the mailbox refused the write (or changed twice under us).
        SaveDialogError: the item is gone or the mailbox cannot be read again.
    """
    base = ctx.record
    for attempt in range(2):
        start = base if described else ctx.carried_down(base)
        record = updated_record(ctx.mapping, start, ctx.current(base), changed, described)
        if record is base:
            return base, base
        try:
            ref = ctx.provider.update(ctx.mapping.item_type, record, base.change_key or "")
        except Exception as error:
            found = ctx.classify_mailbox(error)
            if found.code is IssueCode.CONFLICT and attempt == 0:
                base = sides.read_record(
                    ctx.provider, ctx.mailbox, ctx.mapping.item_type, base.id or ""
                )
                continue
            raise WriteFailed("MAILBOX", found, error, Operation.UPDATE) from error
        return base, replace(record, id=ref.id, change_key=ref.change_key)
    raise AssertionError("unreachable")


def pairing_row(ctx: ItemContext, record: ItemRecord) -> SyncItem:
    """The item's ``SyncItem`` row (made if missing), committed before anything goes to C4C.

    Our reference (``ExternalID``) is stored before a create is sent, as the engine does, so a
    create whose answer is lost is found again instead of made twice.
    """
    item = creates.pairing_row(ctx.session, ctx.mailbox.id, ctx.mapping.item_type, record, ctx.item)
    ctx.item = item
    ctx.session.commit()
    return item


def push(
    ctx: ItemContext,
    item: SyncItem,
    record: ItemRecord,
    links: Links,
    changed: Mapping[str, Any],
) -> tuple[str, str | None]:
    """Send the item to C4C now.

    Args:
        ctx: the item.
        item: its pairing row.
        record: the mailbox item as written.
        links: the links to write.
        changed: the C4C values the person changed.

    Returns:
        The C4C ``ObjectID`` and ETag of the item.

    Raises:
        WriteFailed: C4C refused the item or could not be reached.
    """
    values = c4c_values(
        ctx.mapping, record, links, changed, ctx.linked if item.c4c_object_id else None
    )
    operation = Operation.UPDATE if item.c4c_object_id else Operation.CREATE
    try:
        if item.c4c_object_id:
            sent = item.c4c_object_id, _update(ctx, item.c4c_object_id, values, item.c4c_etag)
        else:
            sent = _create(ctx, item, record, links, values)
        ctx.linked = {**(ctx.linked or {}), **values}  # what C4C holds now, as the form shows
        return sent
    except SyncError as refused:
        raise WriteFailed("C4C", refused.classification, refused, operation) from refused
    except Exception as error:
        found = connect.classify_c4c(error)
        raise WriteFailed("C4C", found, error, operation) from error


def _create(
    ctx: ItemContext, item: SyncItem, record: ItemRecord, links: Links, values: dict[str, Any]
) -> tuple[str, str | None]:
    entity_set = ctx.mapping.entity_set
    existing = None
    if item.state is SyncItemState.PENDING:
        existing = ctx.c4c.find_by_external_id(entity_set, item.external_id)
    if existing is None:
        existing = Linker(ctx.c4c).existing(record, links)
    if existing is not None:
        object_id = existing["ObjectID"]
        item_type = ctx.mapping.item_type
        if creates.paired_already(ctx.session, ctx.mailbox.id, item_type, {object_id}):
            raise SyncError(creates.DUPLICATE[item_type])  # another mailbox item has it
        return object_id, _update(ctx, object_id, values, etag_of(existing))
    values = creates.owned(ctx.mapping, values, employees.of_mailbox(ctx.session, ctx.mailbox))
    created = ctx.c4c.create(entity_set, values, item.external_id)
    return created["ObjectID"], etag_of(created)


def _update(
    ctx: ItemContext, object_id: str, values: dict[str, Any], etag: str | None
) -> str | None:
    entity_set = ctx.mapping.entity_set
    try:
        return ctx.c4c.update(entity_set, object_id, values, etag) or etag
    except Exception as error:
        if connect.classify_c4c(error).code is not IssueCode.CONFLICT:
            raise
    fresh = etag_of(ctx.c4c.get(entity_set, object_id))
    return ctx.c4c.update(entity_set, object_id, values, fresh) or fresh
