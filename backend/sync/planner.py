"""Deciding what one run does for one item type, before anything is written.

The plan pairs the mailbox's changes and C4C's changes through the stored ``SyncItem`` rows and
says, per item, which way data flows. Knowing every write in advance is what lets the
mass-change guard stop a run before it touches anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from backend.mailbox.base import Changes, ItemRecord
from backend.models import SyncItem
from backend.models.sync_item import SyncItemState
from backend.models.types import Direction
from backend.sync.mapping import Links, TypeMapping, fingerprint

LINK_FIELDS = frozenset({"AccountID", "PrimaryContactID"})
MAILBOX, C4C = "MAILBOX", "C4C"


class StepKind(StrEnum):
    CREATE_UP = "CREATE_UP"
    """A mailbox item C4C does not have yet (or whose create failed before)."""
    UPDATE_UP = "UPDATE_UP"
    UPDATE_DOWN = "UPDATE_DOWN"
    CONFLICT = "CONFLICT"
    """Both sides changed since the last sync; the tenant's policy picks the winner."""
    TOUCH = "TOUCH"
    """The item changed in neither mapped field (e.g. only its categories): remember its key."""
    GONE = "GONE"
    """One side of a linked pair disappeared: unlink now, delete the copy next run."""
    RECHECK = "RECHECK"
    """A side was missing last run: if it still is, delete the copy (per policy)."""
    DESELECTED = "DESELECTED"
    """The item is no longer selected for sync (e.g. its "SAP" category was removed)."""
    RETRY = "RETRY"
    """An item whose last write failed for a temporary reason, or whose create may have been
    cut short (a worker killed mid-run): try it again."""


DESTRUCTIVE = frozenset({StepKind.UPDATE_DOWN, StepKind.CONFLICT, StepKind.RECHECK})
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
    values = mapping.canonical(entity)
    return fingerprint({k: v for k, v in values.items() if k not in LINK_FIELDS})


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
) -> list[Step]:
    """The steps of one item type, in the order they are applied."""
    by_mailbox = {i.mailbox_item_id: i for i in items if i.mailbox_item_id}
    by_c4c = {i.c4c_object_id: i for i in by_mailbox.values() if i.c4c_object_id}
    entities = {entity["ObjectID"]: entity for entity in c4c_changed}
    up, down = allows_up(direction), allows_down(direction, mapping)
    steps: list[Step] = []
    handled: set[int] = set()
    for record in changes.upserted:
        item = by_mailbox.get(record.id)
        if item is not None:
            handled.add(item.id)
        if item is None or item.c4c_object_id is None:
            if up:
                steps.append(Step(StepKind.CREATE_UP, item, record))
            continue
        entity = entities.pop(item.c4c_object_id, None)
        mailbox_changed = up_hash(mapping, record) != item.content_hash
        c4c_changed = entity is not None and down_hash(mapping, entity) != item.content_hash
        if mailbox_changed and c4c_changed and up and down:
            steps.append(Step(StepKind.CONFLICT, item, record, entity))
        elif mailbox_changed and up:
            steps.append(Step(StepKind.UPDATE_UP, item, record, entity))
        elif c4c_changed and down:
            steps.append(Step(StepKind.UPDATE_DOWN, item, record, entity))
        else:
            steps.append(Step(StepKind.TOUCH, item, record, entity))
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
    for object_id, entity in entities.items():
        item = by_c4c.get(object_id)
        if item is None or item.id in handled or item.missing_side or not down:
            continue
        if down_hash(mapping, entity) != item.content_hash:
            handled.add(item.id)
            steps.append(Step(StepKind.UPDATE_DOWN, item, None, entity))
    for item in by_mailbox.values():
        if item.id in handled:
            continue
        if item.missing_side is not None:
            steps.append(Step(StepKind.RECHECK, item, side=item.missing_side))
        elif _interrupted(item, up) or _temporarily_failed(item):
            steps.append(Step(StepKind.RETRY, item))
    return steps


def _interrupted(item: SyncItem, up: bool) -> bool:
    """A create that a run began but may not have finished."""
    return up and item.c4c_object_id is None and item.state is SyncItemState.PENDING


def _temporarily_failed(item: SyncItem) -> bool:
    return item.state is SyncItemState.FAILED and item.temporary_failures > 0
