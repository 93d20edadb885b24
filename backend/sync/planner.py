"""Deciding what one run does for one item type, before anything is written.

The plan pairs the mailbox's changes and C4C's changes through the stored ``SyncItem`` rows and
says, per item, which way data flows. Knowing every write in advance is what lets the
mass-change guard stop a run before it touches anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from backend.crm.values import etag_of
from backend.mailbox.base import Changes, ItemRecord
from backend.models import SyncItem
from backend.models.sync_item import SyncItemState
from backend.models.types import Direction
from backend.sync.mapping import Links, TypeMapping, fingerprint

LINK_FIELDS = frozenset({"AccountID", "PrimaryContactID"})
MAILBOX, C4C, SCOPE = "MAILBOX", "C4C", "SCOPE"
DELETED = "__deleted"
"""Set on a C4C change that is the object's deletion (its ``ObjectID`` is all that is known)."""


class StepKind(StrEnum):
    CREATE_UP = "CREATE_UP"
    """A mailbox item C4C does not have yet (or whose create failed before)."""
    CREATE_DOWN = "CREATE_DOWN"
    """A C4C record of the user's the mailbox does not have yet (or whose create failed or was
    cut short before)."""
    ADOPT = "ADOPT"
    """A new mailbox item that is the copy a cut-short create of C4C's record made: link it."""
    UPDATE_UP = "UPDATE_UP"
    UPDATE_DOWN = "UPDATE_DOWN"
    CONFLICT = "CONFLICT"
    """Both sides changed since the last sync; the tenant's policy picks the winner."""
    TOUCH = "TOUCH"
    """Nothing to write (e.g. only its categories changed): remember what each side holds."""
    SETTLED = "SETTLED"
    """The two sides hold the same values again (e.g. a refused edit undone): nothing to write,
    the pair is in sync."""
    GONE = "GONE"
    """One side of a linked pair disappeared: unlink now, delete the copy next run."""
    RECHECK = "RECHECK"
    """A side was missing last run: if it still is, delete the copy (per policy)."""
    LEFT = "LEFT"
    """A copy from SAP whose record is no longer the user's: it goes next run unless it is again."""
    BACK = "BACK"
    """A copy about to go whose record is the user's again: it stays."""
    DESELECTED = "DESELECTED"
    """The item is no longer selected for sync (e.g. its "SAP" category was removed)."""
    RETRY = "RETRY"
    """An item whose last write failed for a temporary reason, or whose create may have been
    cut short (a worker killed mid-run): try it again."""


DESTRUCTIVE = frozenset({StepKind.UPDATE_DOWN, StepKind.CONFLICT, StepKind.RECHECK, StepKind.LEFT})
"""Steps that may overwrite or delete what the person has; they count for the guard."""


@dataclass
class Step:
    kind: StepKind
    item: SyncItem | None = None
    record: ItemRecord | None = None
    entity: dict[str, Any] | None = None
    side: str | None = None


def up_hash(mapping: TypeMapping, record: ItemRecord) -> str:
    """The fingerprint of what the mailbox item would write to C4C (links left out)."""
    values = mapping.to_c4c(record, Links())
    return fingerprint({k: v for k, v in values.items() if k not in LINK_FIELDS})


def down_hash(mapping: TypeMapping, entity: dict[str, Any]) -> str:
    """The fingerprint of what ``entity`` holds that the mailbox can hold too.

    Where the type flows down, that is ``entity`` as the mailbox would keep it and send it
    back, so the two sides' fingerprints compare alike: a task SAP created without a status or
    priority, or due at 14:00, is the task the mailbox holds (not started, normal, due that
    day), not a change on every run.
    """
    if mapping.to_record is None:
        values = mapping.canonical(entity)
    else:
        values = mapping.to_c4c(mapping.to_record(entity, None), Links())
    return fingerprint({k: v for k, v in values.items() if k not in LINK_FIELDS})


def mailbox_link(mapping: TypeMapping, record: ItemRecord) -> str | None:
    """The fingerprint of the account a mailbox item names (``None`` where links do not count)."""
    if not mapping.account_link:
        return None
    name = (mapping.hints(record).account_name or "").strip().lower()
    return fingerprint({"account": name or None})


def c4c_link(mapping: TypeMapping, values: dict[str, Any]) -> str | None:
    """The fingerprint of the account C4C links an object to (its ``AccountID``)."""
    if not mapping.account_link:
        return None
    return fingerprint({"account": values.get("AccountID") or None})


def as_named(
    mapping: TypeMapping, item: SyncItem, record: ItemRecord, values: dict[str, Any]
) -> dict[str, Any]:
    """``values`` going up for the mailbox's version ``record`` of the paired ``item``, whose
    account is the one its company names (``account_link``): where it names none, no account
    found by an address goes up (a contact's own address finds itself, and its account). It
    leaves its account where the mailbox named a company when the pair last agreed (cleared
    since); where it named none then either (paired with SAP's by its address), or it is not
    known, C4C keeps its own."""
    if not mapping.account_link or (mapping.hints(record).account_name or "").strip():
        return values
    if moved(agreed_link(item), mailbox_link(mapping, record)):
        return {**values, "AccountID": None}
    return {name: value for name, value in values.items() if name != "AccountID"}


def agreed_link(item: SyncItem) -> str | None:
    """The fingerprint of the account ``item``'s mailbox version named when both sides last
    agreed (:attr:`SyncItem.agreed_mailbox_link`; a pair from before it was kept: as last
    read)."""
    return item.agreed_mailbox_link or item.mailbox_link


def moved(kept: str | None, now: str | None) -> bool:
    """Whether a side's account fingerprint ``now`` differs from the one ``kept`` (unknown on
    either side: no move)."""
    return kept is not None and now is not None and kept != now


def allows_up(direction: Direction) -> bool:
    return direction in (Direction.BOTH, Direction.UP)


def allows_down(direction: Direction, mapping: TypeMapping) -> bool:
    return direction in (Direction.BOTH, Direction.DOWN) and mapping.to_record is not None


def plan(
    mapping: TypeMapping,
    direction: Direction,
    changes: Changes,
    c4c_changed: Iterable[dict[str, Any]],
    items: Iterable[SyncItem],
    mine: frozenset[str] | set[str] = frozenset(),
    left: frozenset[str] | set[str] = frozenset(),
    agreed: Mapping[str, dict[str, Any]] = MappingProxyType({}),
) -> list[Step]:
    """The steps of one item type, in the order they are applied.

    ``mine`` are the ``ObjectID``s among ``c4c_changed`` that are the user's in SAP: those the
    mailbox has no copy of are created there. ``left`` are those that are no longer the user's:
    the mailbox's copies of them go (after one more run). ``agreed`` holds C4C's version, at
    the pair's ETag, of items whose last write failed and that C4C sent nothing new of (a move
    from SAP not yet written down, :func:`linked_step`).
    """
    items = list(items)
    by_mailbox = {i.mailbox_item_id: i for i in items if i.mailbox_item_id}
    by_c4c = {i.c4c_object_id: i for i in by_mailbox.values() if i.c4c_object_id}
    entities = {entity["ObjectID"]: entity for entity in c4c_changed}
    up, down = allows_up(direction), allows_down(direction, mapping)
    unfinished: dict[str | None, list[SyncItem]] = {}
    for item in items:
        if not item.mailbox_item_id and item.c4c_object_id:
            unfinished.setdefault(item.mailbox_hash, []).append(item)
    steps: list[Step] = []
    handled: set[int] = set()
    for record in changes.upserted:
        item = by_mailbox.get(record.id)
        if item is not None:
            handled.add(item.id)
        elif unfinished and (waiting := unfinished.get(up_hash(mapping, record))):
            steps.append(Step(StepKind.ADOPT, waiting.pop(), record))
            continue
        if item is None or item.c4c_object_id is None:
            if up and not _refused_as_it_is(mapping, item, record):
                steps.append(Step(StepKind.CREATE_UP, item, record))
            elif item is not None:
                steps.append(Step(StepKind.TOUCH, item, record))
            continue
        entity = entities.pop(item.c4c_object_id, None) or agreed.get(item.c4c_object_id)
        if deleted(entity):
            if item.missing_side is None:
                steps.append(Step(StepKind.GONE, item, side=C4C))
            else:
                handled.discard(item.id)  # rechecked below
            continue
        if _leaving(item, left, mine):
            steps.append(Step(_leave_kind(item), item, record, entity))
            continue
        kind = linked_step(mapping, item, record, entity, up, down, again=temporarily_failed(item))
        steps.append(Step(kind or StepKind.TOUCH, item, record, entity))
    gone = set(changes.deleted)
    if changes.full:
        seen = {record.id for record in changes.upserted}
        gone |= {item_id for item_id in by_mailbox if item_id not in seen}
    for item_id in sorted(gone):
        item = by_mailbox.get(item_id)
        if item is not None and item.missing_side is None:
            handled.add(item.id)
            steps.append(Step(StepKind.GONE, item, side=MAILBOX))
    for item_id in changes.deselected:
        item = by_mailbox.get(item_id)
        if item is not None:
            handled.add(item.id)
            steps.append(Step(StepKind.DESELECTED, item))
    for item in (item for waiting in unfinished.values() for item in waiting) if down else ():
        entity = entities.pop(item.c4c_object_id, None)
        if _creating_down(item) or entity is not None:
            steps.append(
                Step(StepKind.CREATE_DOWN, item, None, None if deleted(entity) else entity)
            )
    for object_id, entity in entities.items():
        item = by_c4c.get(object_id)
        if deleted(entity):
            if item is not None and item.id not in handled and item.missing_side is None:
                handled.add(item.id)
                steps.append(Step(StepKind.GONE, item, side=C4C))
            continue
        if item is None and object_id in mine and down:
            steps.append(Step(StepKind.CREATE_DOWN, None, None, entity))
            continue
        if item is not None and item.id not in handled and _leaving(item, left, mine):
            handled.add(item.id)
            steps.append(Step(_leave_kind(item), item, None, entity))
            continue
        if item is None or item.id in handled or item.missing_side or not down:
            continue
        kind = linked_step(mapping, item, None, entity, up, down, again=temporarily_failed(item))
        if kind is not None:
            handled.add(item.id)
            steps.append(Step(kind, item, None, entity))
    for item in by_mailbox.values():
        if item.id in handled:
            continue
        if item.missing_side is not None:
            steps.append(Step(StepKind.RECHECK, item, side=item.missing_side))
        elif _interrupted(item, up) or temporarily_failed(item):
            steps.append(Step(StepKind.RETRY, item, entity=agreed.get(item.c4c_object_id or "")))
    return steps


def _leaving(
    item: SyncItem, left: set[str] | frozenset[str], mine: set[str] | frozenset[str]
) -> bool:
    """A copy from SAP that stops being the user's now, or is theirs again while about to go."""
    if not item.from_sap:
        return False
    if item.missing_side == SCOPE:
        return item.c4c_object_id in mine
    return item.missing_side is None and item.c4c_object_id in left


def _leave_kind(item: SyncItem) -> StepKind:
    return StepKind.BACK if item.missing_side == SCOPE else StepKind.LEFT


def deleted(entity: dict[str, Any] | None) -> bool:
    """Whether ``entity`` is the news of an object deleted in C4C."""
    return entity is not None and entity.get(DELETED) is True


def linked_step(
    mapping: TypeMapping,
    item: SyncItem,
    record: ItemRecord | None,
    entity: dict[str, Any] | None,
    up: bool,
    down: bool,
    *,
    again: bool = False,
) -> StepKind | None:
    """What a linked item needs, given what each side sent this run (``None``: nothing at all).

    Each side is compared with what it held when last read or written, so a row C4C sends
    again, or our own write coming back, is no change. Only a side that really changed calls
    for a write, and then the pair's agreed version says which sides are ahead of it: a
    mailbox edit that C4C refused stays ahead, so a later change in C4C meets it as a conflict
    (settled by the tenant's policy) instead of overwriting it. ``again`` retries a write that
    failed for a passing reason: the sides are compared with the agreed version even though
    neither sent anything new.

    A move to another account is in no fingerprint: each side's link is held against the one
    it named when last read or written, and C4C's at the pair's own ETag (the feed's copy of
    an item whose copy failed, whose link stays the one last agreed) against the one agreed:
    a move from SAP not yet written down meets a mailbox edit as a conflict, and is written
    down on a retry. Where a side moved, each side that moved, changed or stays ahead of the
    agreed version counts as changed, if its changes go across at all (the tenant's direction).
    Where the sides' fields agree, one side's move is no conflict: it goes across, and a move
    the mailbox holds since the pair agreed is not settled by a change of SAP's that makes the
    fields agree: it goes up over it.
    """
    mailbox_seen = up_hash(mapping, record) if record is not None else item.mailbox_hash
    c4c_other_version = entity is not None and not _same_version(item, entity)
    c4c_seen = down_hash(mapping, entity) if c4c_other_version else item.c4c_hash
    mailbox_new = record is not None and mailbox_seen != item.mailbox_hash
    c4c_new = entity is not None and c4c_seen != item.c4c_hash
    mailbox_ahead = mailbox_seen != item.content_hash
    c4c_ahead = c4c_seen != item.content_hash
    named = mailbox_link(mapping, record) if record is not None else None
    # A move refused as it was is seen (its markers coming back do not send it again), and is
    # news again with a real change, or on a retry.
    moved_here = moved(item.mailbox_link, named) or (
        (mailbox_new or again) and moved(agreed_link(item), named)
    )
    c4c_moved = entity is not None and moved(item.c4c_link, c4c_link(mapping, entity))
    moved_there = c4c_moved and c4c_other_version  # news; at the pair's ETag: still to write
    if not (mailbox_new or c4c_new or again or moved_here or moved_there):
        return StepKind.TOUCH if record is not None or c4c_other_version else None
    # A company the mailbox names since the pair agreed, seen or not (a refused one; after a
    # passing failure it is not known here, and the mailbox's version is read to see).
    pending = moved(agreed_link(item), named if record is not None else item.mailbox_link) or (
        record is None and again and mapping.account_link
    )
    if moved_here or c4c_moved:
        # A side's change that cannot go across (its direction switched off) stays its own.
        here = up and (mailbox_new or moved_here or mailbox_ahead)
        there = down and (c4c_new or c4c_moved or c4c_ahead)
        mailbox_moved = moved_here or pending
        if here and there and mailbox_seen == c4c_seen and mailbox_moved != c4c_moved:
            # The sides' fields agree: one side's move is all the other lacks, no conflict.
            here, there = mailbox_moved, c4c_moved
        if here or there:
            return (
                StepKind.CONFLICT if here and there
                else StepKind.UPDATE_UP if here else StepKind.UPDATE_DOWN
            )  # fmt: skip
    if mailbox_seen == c4c_seen:
        # SAP's change agreeing with the mailbox's fields settles no company still to go up
        # (one refused, the rest of whose change SAP then made): it goes over it.
        if up and c4c_new and pending:
            return StepKind.UPDATE_UP
        return StepKind.SETTLED
    if mailbox_ahead and c4c_ahead and up and down:
        return StepKind.CONFLICT
    if mailbox_ahead and up:
        return StepKind.UPDATE_UP
    if c4c_ahead and down:
        return StepKind.UPDATE_DOWN
    return StepKind.TOUCH


def _same_version(item: SyncItem, entity: dict[str, Any]) -> bool:
    """Whether ``entity`` is the version of the object this pair last read or wrote."""
    etag = etag_of(entity)
    return etag is not None and etag == item.c4c_etag


def _refused_as_it_is(mapping: TypeMapping, item: SyncItem | None, record: ItemRecord) -> bool:
    """Whether C4C (or the engine) refused to create this very version of the item already.

    Such an item waits for a change of its own, or a person's Retry, before it is sent again:
    its markers being set is no reason to fail once more.
    """
    return (
        item is not None
        and item.state is SyncItemState.FAILED
        and item.temporary_failures == 0
        and item.mailbox_hash == up_hash(mapping, record)
    )


def _creating_down(item: SyncItem) -> bool:
    """A copy of a C4C record whose create was cut short, or failed for a passing reason."""
    return item.state is SyncItemState.PENDING or temporarily_failed(item)


def _interrupted(item: SyncItem, up: bool) -> bool:
    """A create that a run began but may not have finished."""
    return up and item.c4c_object_id is None and item.state is SyncItemState.PENDING


def temporarily_failed(item: SyncItem) -> bool:
    """Whether ``item``'s last write failed for a passing reason: its sides are compared with
    the version they agreed (``linked_step``'s ``again``)."""
    return item.state is SyncItemState.FAILED and item.temporary_failures > 0
