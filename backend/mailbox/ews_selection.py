"""Which EWS folders hold each item type, and the cursor that packs one sync state per folder."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from backend.mailbox.markers import SAP_CATEGORY
from backend.models.types import ItemType

__all__ = ["SAP_CATEGORY", "SELECTIONS", "Selection", "pack_cursor", "unpack_cursor"]


@dataclass(frozen=True)
class Selection:
    """One folder synced for an item type, and whether items need the "SAP" category."""

    parent: str
    subfolder: str | None
    needs_category: bool

    @property
    def key(self) -> str:
        return f"{self.parent}/{self.subfolder or ''}"


SELECTIONS: dict[ItemType, tuple[Selection, ...]] = {
    ItemType.CONTACT: (Selection("contacts", "SAP Contacts", False),),
    ItemType.ACCOUNT: (Selection("contacts", "SAP Accounts", False),),
    ItemType.TASK: (Selection("tasks", None, True),),
    ItemType.APPOINTMENT: (Selection("calendar", None, True),),
    ItemType.EMAIL: (
        Selection("msg_folder_root", "SAP Cloud for Customer", False),
        Selection("inbox", None, True),
        Selection("sent", None, True),
    ),
}


def pack_cursor(states: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(states, sort_keys=True).encode()).decode()


def unpack_cursor(cursor: str | None) -> dict[str, str] | None:
    """The folder states in ``cursor``, or ``None`` when it is absent or not one of ours."""
    if not cursor:
        return None
    try:
        states = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(states, dict) or not all(isinstance(v, str) for v in states.values()):
        return None
    return states
