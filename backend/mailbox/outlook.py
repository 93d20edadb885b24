"""What Exchange Server and Exchange Online share as Outlook: links into Outlook on the web,
and the cursor that packs one sync state per folder (EWS sync states, Graph delta links)."""

from __future__ import annotations

import base64
import binascii
import json
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
