"""Which EWS folders hold each item type, and whether their items need the "SAP" category."""

from __future__ import annotations

from dataclasses import dataclass

from backend.mailbox.markers import SAP_CATEGORY
from backend.models.types import ItemType

__all__ = ["SAP_CATEGORY", "SELECTIONS", "Selection"]


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
