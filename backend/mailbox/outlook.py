"""What Exchange Server and Exchange Online share as Outlook: links into Outlook on the web."""

from __future__ import annotations

from urllib.parse import quote

from backend.models.types import ItemType


def owa_link(owa_url: str, item_type: ItemType, item_id: str) -> str:
    """An Outlook on the web URL that opens one item (no connection needed)."""
    view = {
        ItemType.EMAIL: "ReadMessageItem",
        ItemType.APPOINTMENT: "CalendarItemDetails",
    }.get(item_type)
    link = f"{owa_url}?ItemID={quote(item_id, safe='')}&exvsurl=1"
    return f"{link}&viewmodel={view}" if view else link
