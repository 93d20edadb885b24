"""Which side wins when an item changed in the mailbox and in C4C since the last sync."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from backend.mailbox.base import ItemRecord
from backend.models.tenant import ConflictPolicy, ItemTypeSettings
from backend.sync.mapping import TypeMapping
from backend.sync.planner import allows_down


class Winner(StrEnum):
    MAILBOX = "MAILBOX"
    C4C = "C4C"


def decide(
    policy: ConflictPolicy, mailbox_changed_at: datetime | None, c4c_changed_at: datetime | None
) -> Winner:
    """The winner under ``policy``.

    "Newer wins" compares whole seconds, because Exchange keeps no finer change times; a tie,
    or a time that is unknown, goes to C4C, the system of record.
    """
    if policy is ConflictPolicy.MAILBOX_WINS:
        return Winner.MAILBOX
    if policy is ConflictPolicy.C4C_WINS or mailbox_changed_at is None or c4c_changed_at is None:
        return Winner.C4C
    mailbox_second = mailbox_changed_at.replace(microsecond=0)
    c4c_second = c4c_changed_at.replace(microsecond=0)
    return Winner.MAILBOX if mailbox_second > c4c_second else Winner.C4C


def kept_side(
    settings: ItemTypeSettings, mapping: TypeMapping, record: ItemRecord, entity: dict[str, Any]
) -> Winner:
    """The side whose version a conflict between the mailbox's ``record`` and C4C's ``entity``
    keeps: the one the type's policy chooses between two sides whose changes both go across;
    the mailbox's where C4C's do not come into it (the type's direction, or a type the mailbox
    cannot be written for)."""
    if not allows_down(settings.direction, mapping):
        return Winner.MAILBOX
    modified = getattr(record, "modified", None)
    return decide(settings.conflict_policy, modified, entity.get("EntityLastChangedOn"))
