"""Sync markers as category names: pure functions, and the marker half of a provider, shared by
the mail systems whose markers are categories (Exchange Server and Exchange Online)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from backend.mailbox.base import UnsupportedOperation
from backend.models.types import ItemType

SAP_CATEGORY = "SAP"

MARKER = "Sync Error"
DETAIL_PREFIX = f"{MARKER}: "
MAX_DETAIL = 255 - len(DETAIL_PREFIX)


def is_marker(category: str) -> bool:
    """Whether ``category`` is one of ours ("Sync Error" or "Sync Error: ...")."""
    return category == MARKER or category.startswith(DETAIL_PREFIX)


def detail_category(detail: str) -> str:
    """The detail marker for ``detail``, e.g. "Sync Error: Last name missing"."""
    text = " ".join(detail.split())[:MAX_DETAIL]
    return f"{DETAIL_PREFIX}{text}" if text else MARKER


def with_markers(categories: Iterable[str], detail: str) -> tuple[str, ...]:
    """The user's categories plus "Sync Error" and one detail marker (any older one replaced)."""
    own = [c for c in categories if not is_marker(c)]
    markers = [MARKER, detail_category(detail)]
    return tuple(own + list(dict.fromkeys(markers)))


def without_markers(categories: Iterable[str]) -> tuple[str, ...]:
    """The categories with exactly our markers removed."""
    return tuple(c for c in categories if not is_marker(c))


class CategoryMarkers:
    """``set_markers``, ``clear_markers`` and ``select_for_sync`` over a provider's own
    read-modify-write of one item's categories."""

    def _edit_categories(
        self, item_type: ItemType, item_id: str, edit: Callable[[list[str]], tuple[str, ...]]
    ) -> None:
        """Replace the item's categories with ``edit(current)``, keeping a concurrent edit."""
        raise NotImplementedError

    def _selected_by_category(self, item_type: ItemType) -> bool:
        """Whether items of ``item_type`` are picked by the "SAP" category anywhere."""
        raise NotImplementedError

    def set_markers(self, item_type: ItemType, item_id: str, detail: str) -> None:
        """Add "Sync Error" and "Sync Error: <detail>", keeping the user's categories."""
        self._edit_categories(item_type, item_id, lambda c: with_markers(c, detail))

    def clear_markers(self, item_type: ItemType, item_id: str) -> None:
        """Remove exactly our categories; the user's stay."""
        self._edit_categories(item_type, item_id, without_markers)

    def select_for_sync(self, item_type: ItemType, item_id: str) -> None:
        """Add the "SAP" category to a task, appointment or e-mail."""
        if not self._selected_by_category(item_type):
            raise UnsupportedOperation(f"{item_type.value} items are selected by their folder")
        self._edit_categories(
            item_type, item_id, lambda c: tuple(c) if SAP_CATEGORY in c else (*c, SAP_CATEGORY)
        )
