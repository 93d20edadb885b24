"""Creating mailbox items in C4C: pair with what C4C has, else create in ``$batch`` requests.

Every new item gets its ``SyncItem`` row and our reference (``ExternalID``) committed before
anything is sent. An item still ``PENDING`` from a run that was cut short is looked up by that
reference first, so a worker killed mid-run never leaves a duplicate in C4C.

C4C's failures on the way are classified like those of reads: a look-up or link read that fails
marks its item (or ends the run when C4C stopped answering); a ``$batch`` that fails as a whole
(a 500, no answer, or a refusal of the request itself, which names no record) leaves its items
``PENDING`` with the failure counted, so the next run looks their references up before sending
them again, and the run goes on with the other batches.

Several ``$batch`` requests are in flight at once (``C4C_WRITES_IN_FLIGHT``,
:mod:`backend.sync.in_flight`); their answers are stored in order, here. When one ends the run,
no more are sent, and what the others under way created is stored before the run ends.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from backend.crm.batch import BatchResult
from backend.crm.values import etag_of
from backend.mailbox.base import ItemRecord
from backend.models import SyncItem
from backend.models.issue import Operation, Source
from backend.models.sync_item import SyncItemState, synced_values
from backend.models.types import Direction, IssueCode, ItemType
from backend.storage.db import insert_together, update_together
from backend.sync.classifiers.c4c import as_a_whole
from backend.sync.errors import Classification, SyncError, ours
from backend.sync.in_flight import InFlight
from backend.sync.linker import pairing_keys
from backend.sync.mapping import Links, TypeMapping
from backend.sync.planner import Step, down_hash, up_hash
from backend.text import N_

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from backend.sync.writer import TypeWriter

LOOKUP_CHUNK = 40
CHUNK = 1000
"""New items whose rows are committed together before they are looked up and sent (ten
``$batch`` requests of the default size)."""
NO_LINK = ours(
    IssueCode.NEEDS_INPUT,
    N_("No contact or account in SAP matches the sender or the recipients"),
    backend_code="NoRelatedObject",
    fields=("AccountID",),
)
SAME_IN_MAILBOX = N_(
    "Another item in your mailbox is already synced with the SAP record this one matches"
)
"""A second mailbox contact with an address (or account with a name) another one has: it is
not paired with the same SAP record, nor created in SAP a second time."""
DUPLICATE = {
    item_type: ours(
        IssueCode.NEEDS_INPUT, SAME_IN_MAILBOX, backend_code="DuplicateInMailbox", fields=(field,)
    )
    for item_type, field in ((ItemType.CONTACT, "Email"), (ItemType.ACCOUNT, "Name"))
}


def new_reference(mailbox_id: int) -> str:
    """Our ``ExternalID`` for a new C4C object: unique, at most 40 characters."""
    return f"ssi-{mailbox_id}-{uuid.uuid4().hex[:24]}"


def owned(mapping: TypeMapping, values: dict[str, Any], employee: str | None) -> dict[str, Any]:
    """``values`` of a new C4C object, made the user's (their employee its owner) when known."""
    if employee is None or not mapping.owners:
        return values
    return {**values, mapping.owners[0]: employee}


def pairing_row(
    session: Session,
    mailbox_id: int,
    item_type: ItemType,
    record: ItemRecord,
    item: SyncItem | None,
) -> SyncItem:
    """The mailbox item's row, made with a fresh reference (``ExternalID``) and added if it has
    none yet; the caller commits it before anything goes to C4C, so a create whose answer is
    lost is found again by that reference instead of made twice."""
    if item is None:
        item = SyncItem(**new_row(mailbox_id, item_type, record))
        session.add(item)
    item.title = record.title or item.title
    item.mailbox_change_key = record.change_key
    return item


def new_row(mailbox_id: int, item_type: ItemType, record: ItemRecord) -> dict[str, Any]:
    """The values of a new mailbox item's row: ``PENDING``, under a fresh reference."""
    return {
        "mailbox_id": mailbox_id,
        "item_type": item_type,
        "state": SyncItemState.PENDING,
        "mailbox_item_id": record.id,
        "external_id": new_reference(mailbox_id),
        "title": record.title or None,
        "mailbox_change_key": record.change_key,
    }


def _rows(writer: TypeWriter, steps: list[Step]) -> list[tuple[ItemRecord, SyncItem, bool]]:
    """Each step's record, its row and whether an earlier create may have landed; the rows of
    new items inserted together, as ``pairing_row`` would make them, in one statement (told
    apart by their references: SQLite inserts one row at a time when asked to return rows in
    the order given). Every row is ``PENDING`` once committed, a row sent again too, so a run
    that ends before hearing its answer leaves it to be looked up, never created twice."""
    ctx, item_type = writer.ctx, writer.mapping.item_type
    rows = [
        new_row(ctx.mailbox.id, item_type, step.record)
        for step in steps
        if step.item is None and step.record is not None
    ]
    made: dict[str, SyncItem] = {}
    if rows:
        ctx.rows_added += len(rows)
        made = {item.external_id: item for item in insert_together(ctx.session, SyncItem, rows)}
    unused = iter(rows)
    found = []
    for step in steps:
        record = step.record
        if record is None:
            continue
        assert record.id is not None
        if step.item is None:
            item, uncertain = made[next(unused)["external_id"]], False
        else:
            uncertain = step.item.state is SyncItemState.PENDING
            item = pairing_row(ctx.session, ctx.mailbox.id, item_type, record, step.item)
            item.state = SyncItemState.PENDING  # sent again (SAP refused it before): unsure too
        writer.carry(item, record, None)
        found.append((record, item, uncertain))
    return found


Sent = list[tuple[SyncItem, ItemRecord, dict[str, Any]]]
"""The items of one ``$batch`` of creates, with their records and the values sent."""


def create_all(writer: TypeWriter, steps: list[Step]) -> None:
    """Pair or create every mailbox item of ``steps`` in C4C, ``CHUNK`` at a time: a first
    sync of a large mailbox holds one chunk's rows and values, not the whole mailbox's."""
    for start in range(0, len(steps), CHUNK):
        _create_chunk(writer, steps[start : start + CHUNK])


def _create_chunk(writer: TypeWriter, steps: list[Step]) -> None:
    ctx, mapping = writer.ctx, writer.mapping
    rows = _rows(writer, steps)
    ctx.session.commit()
    uncertain = [item for _r, item, unsure in rows if unsure]
    try:
        landed = _already_created(writer, uncertain)
    except Exception as error:
        found = ctx.classify_c4c(error)
        for item in uncertain:
            _unsent(writer, item, found)
        rows, landed = [row for row in rows if not row[2]], {}
    prefetch_links(writer, [record for record, _item, _u in rows])
    matched: list[tuple[SyncItem, ItemRecord, Links, dict[str, Any] | None]] = []
    for record, item, _uncertain in rows:
        if item.external_id in landed:
            _paired(writer, item, record, landed[item.external_id])
            continue
        try:
            links = ctx.linker.links(mapping.hints(record))
            existing = ctx.linker.existing(record, links)
        except Exception as error:
            writer._fail(item, ctx.classify_c4c(error), Source.C4C, Direction.UP, Operation.READ)
            continue
        if mapping.needs_link and not (links.account_id or links.contact_id):
            writer._fail(item, NO_LINK, Source.ENGINE, Direction.UP, Operation.CREATE)
            continue
        matched.append((item, record, links, existing))
    matches = {existing["ObjectID"] for *_, existing in matched if existing is not None}
    taken = paired_already(ctx.session, ctx.mailbox.id, mapping.item_type, matches)
    sending: set[str] = set()
    to_send: Sent = []
    for item, record, links, existing in matched:
        keys = pairing_keys(record)
        if (existing is not None and existing["ObjectID"] in taken) or keys & sending:
            writer._fail(item, DUPLICATE[mapping.item_type], Source.ENGINE, Direction.UP,
                         Operation.CREATE)  # fmt: skip
        elif existing is not None:
            taken.add(existing["ObjectID"])
            _paired(writer, item, record, existing)
        else:
            sending |= keys
            to_send.append(
                (item, record, owned(mapping, mapping.to_c4c(record, links), ctx.employee))
            )
    size = max(1, ctx.c4c.batch_size)
    writer.progressed(len(steps) - len(to_send))
    asks = [
        (chunk, [(item.external_id, values) for item, _record, values in chunk])
        for chunk in (to_send[start : start + size] for start in range(0, len(to_send), size))
    ]
    with InFlight(
        lambda ask: ctx.c4c.create_many(mapping.entity_set, ask[1]),
        asks,
        ctx.settings.c4c_writes_in_flight,
        stop=ctx.c4c.transport.stop,
    ) as sent:
        try:
            for (chunk, _records), outcome in sent:
                _created(writer, chunk, outcome)
        except SyncError:
            for (chunk, _records), outcome in sent.finished():
                _created(writer, chunk, outcome, ending=True)
            raise


def _created(
    writer: TypeWriter, chunk: Sent, outcome: list[BatchResult] | Exception, ending: bool = False
) -> None:
    """Store what C4C answered to one ``$batch`` of creates (or what sending it raised).

    When the run is ``ending`` (a batch answered before it ended), only what landed is stored:
    the batch's other items stay ``PENDING``, so the next run looks their references up.
    """
    ctx = writer.ctx
    if isinstance(outcome, Exception):
        if not ending:
            found = ctx.classify_c4c(as_a_whole(outcome, len(chunk)))
            for item, _record, _values in chunk:
                _unsent(writer, item, found)
    else:
        answered = list(zip(chunk, outcome, strict=True))
        with writer.one_commit():
            # What landed is stored first: a refusal that ends the run commits and raises.
            landed = [(item, record, result.entity) for (item, record, _v), result in answered
                      if result.entity is not None]  # fmt: skip
            _linked(writer, landed)
            ctx.run.created += len(landed)
            for (item, _record, _values), result in answered:
                if result.entity is None and not ending:
                    found = ctx.classify_c4c(result.error)  # type: ignore[arg-type]
                    writer._fail(item, found, Source.C4C, Direction.UP, Operation.CREATE)
    writer.progressed(len(chunk))


def paired_already(
    session: Session, mailbox_id: int, item_type: ItemType, object_ids: set[str]
) -> set[str]:
    """Which of the C4C objects ``object_ids`` an item of the mailbox is synced with already."""
    if not object_ids:
        return set()
    return set(
        session.scalars(
            select(SyncItem.c4c_object_id).where(
                SyncItem.mailbox_id == mailbox_id,
                SyncItem.item_type == item_type,
                SyncItem.c4c_object_id.in_(object_ids),
            )
        )
    )


def prefetch_links(writer: TypeWriter, records: list[ItemRecord]) -> None:
    """The links ``records`` will ask for, looked up together; when that fails, each record
    looks its own up (unless the failure ends the run)."""
    try:
        writer.ctx.linker.prefetch([writer.mapping.hints(record) for record in records])
    except Exception as error:
        _ends_run(writer, writer.ctx.classify_c4c(error))


def _ends_run(writer: TypeWriter, found: Classification) -> None:
    """Stop the run (after storing what it did) when ``found`` leaves nothing else to do."""
    if found.ends_run:
        writer.ctx.session.commit()
        raise SyncError(found)


def _unsent(writer: TypeWriter, item: SyncItem, found: Classification) -> None:
    """A create whose outcome is unknown failed: count the failure, and, when it may pass later,
    keep the item ``PENDING`` so the next run looks its reference up before sending it again."""
    _ends_run(writer, found)
    writer._fail(item, found, Source.C4C, Direction.UP, Operation.CREATE)
    if found.code is IssueCode.TEMPORARY:
        item.state = SyncItemState.PENDING
        writer.ctx.session.commit()


def _already_created(writer: TypeWriter, items: list[SyncItem]) -> dict[str, dict[str, Any]]:
    """C4C objects carrying the references of ``items`` (creates that landed before a crash)."""
    references = [item.external_id for item in items]
    lookups = writer.ctx.c4c.read_matching(
        writer.mapping.entity_set, "ExternalID", references, chunk=LOOKUP_CHUNK
    )
    return {entity["ExternalID"]: entity for _chunk, found in lookups for entity in found}


def _linked(writer: TypeWriter, landed: list[tuple[SyncItem, ItemRecord, dict]]) -> None:
    """Store the objects C4C created for the items of one ``$batch``: each row linked to its
    object and synced, all rows in one ``UPDATE`` (a first sync stores thousands)."""
    ctx, mapping = writer.ctx, writer.mapping
    rows = []
    for item, record, entity in landed:
        values = {
            "c4c_object_id": entity["ObjectID"],
            "c4c_etag": etag_of(entity),
            **writer.link_values(record, entity),
            **synced_values(up_hash(mapping, record), ctx.now),
        }
        rows.append((item, values))
        _remember(writer, entity)
    update_together(ctx.session, rows)
    for item, _record, _entity in landed:
        writer.stored_synced(item)


def _paired(writer: TypeWriter, item: SyncItem, record: ItemRecord, entity: dict) -> None:
    """A new mailbox item turned out to be an object C4C already has: link, then reconcile."""
    item.c4c_object_id = entity["ObjectID"]
    writer.links_seen(item, record, entity)
    _remember(writer, entity)
    if down_hash(writer.mapping, entity) == up_hash(writer.mapping, record):
        item.c4c_etag = etag_of(entity)
        writer._synced(item, up_hash(writer.mapping, record))
        return
    item.content_hash = None
    writer.carry(item, record, entity)
    writer.conflict(item, record, entity)


def _remember(writer: TypeWriter, entity: dict) -> None:
    if writer.mapping.item_type is ItemType.CONTACT:
        writer.ctx.linker.remember_contact(entity)
    elif writer.mapping.item_type is ItemType.ACCOUNT:
        writer.ctx.linker.remember_account(entity)
