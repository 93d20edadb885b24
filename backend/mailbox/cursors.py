"""A cursor that packs named values: one sync state per folder (EWS sync states, Graph delta
links), a People sync token, and the id and name of each folder the product keeps."""

from __future__ import annotations

import base64
import binascii
import json


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
