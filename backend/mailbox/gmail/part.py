"""What one Google API does for the item types it holds; the Gmail provider is made of four."""

from __future__ import annotations

from collections.abc import Sequence

from backend.mailbox.base import (
    Changes,
    FolderNotes,
    ItemRecord,
    ItemRef,
    UnsupportedOperation,
)
from backend.mailbox.gmail.clients import GoogleClients
from backend.models.types import ItemType


class ApiPart(FolderNotes):
    """One Google API's share of a mailbox. What the API cannot do is refused
    (:class:`UnsupportedOperation`); markers are left out where the API has no place for one."""

    def __init__(self, clients: GoogleClients) -> None:
        self._clients = clients
        self._moved = {}

    def activate(self) -> None:
        """Create what the part's items live in (labels, groups, lists)."""

    def changes(self, item_type: ItemType, cursor: str | None) -> Changes:
        raise NotImplementedError

    def get(self, item_type: ItemType, item_id: str) -> ItemRecord:
        raise NotImplementedError

    def get_many(self, item_type: ItemType, item_ids: Sequence[str]) -> dict[str, ItemRecord]:
        """None: the API reads an item a request, so each is read in its turn."""
        return {}

    def create(self, item_type: ItemType, record: ItemRecord) -> ItemRef:
        raise UnsupportedOperation(f"{item_type.value} items cannot be created in Gmail")

    def update(self, item_type: ItemType, record: ItemRecord, change_key: str) -> ItemRef:
        raise UnsupportedOperation(f"{item_type.value} items cannot be updated in Gmail")

    def delete(self, item_type: ItemType, item_id: str) -> None:
        raise UnsupportedOperation(f"{item_type.value} items cannot be deleted in Gmail")

    def set_markers(self, item_type: ItemType, item_id: str) -> None:
        """Show that the item failed to sync (nothing where the API has no place for it)."""

    def clear_markers(self, item_type: ItemType, item_id: str) -> None:
        """Remove exactly our marker."""

    def select_for_sync(self, item_type: ItemType, item_id: str) -> None:
        raise UnsupportedOperation(
            f"{item_type.value} items are chosen by their group or list in Gmail"
        )
