"""A cursor that packs named values: one sync state per folder (EWS sync states, Graph delta
links), a People sync token, and the id and name of each folder the product keeps (so a folder
the user renamed is followed, and the rename told once)."""

from __future__ import annotations

import base64
import binascii
import json
import time


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


def unpack_with(cursor: str | None, key: str) -> tuple[dict[str, str], str | None]:
    """The entries of a packed cursor and its value under ``key``; a cursor from before the
    product kept its folders in it is that value alone (a history id, a sync token, a time)."""
    states = unpack_cursor(cursor) or {}
    return states, states.get(key) if states else cursor


FOLDER_ID, FOLDER_NAME = "folder-id:", "folder-name:"


def kept_folder(states: dict[str, str], key: str) -> tuple[str | None, str | None]:
    """The id and name the folder ``key`` had when the cursor was made (``None``s before
    cursors kept them)."""
    return states.get(FOLDER_ID + key), states.get(FOLDER_NAME + key)


def keep_folder(key: str, folder_id: str, name: str) -> dict[str, str]:
    """The cursor entries keeping the folder ``key``'s id and name."""
    return {FOLDER_ID + key: folder_id, FOLDER_NAME + key: name}


def is_kept_folder(entry: str) -> bool:
    """Whether a cursor entry keeps a folder (not a sync state or delta link)."""
    return entry.startswith((FOLDER_ID, FOLDER_NAME))


FOLDERS_CHECKED = "folders-checked"
FOLDER_CHECK_SECONDS = 3600
"""How long a Google cursor's kept folder is taken as it is without looking the folders up. A
run whose changes name no item reads them from the folder the cursor kept; a folder renamed or
deleted meanwhile (with nothing in it: its items leaving show as changes) is found at the next
look-up, at most this long after."""


def trusted_folder(
    states: dict[str, str], key: str, now: float | None = None
) -> tuple[str, str] | None:
    """The id and name of the folder ``key`` the cursor kept, while they were looked up less
    than :data:`FOLDER_CHECK_SECONDS` ago (``None``: look the folders up)."""
    folder_id, name = kept_folder(states, key)
    stamp = states.get(FOLDERS_CHECKED, "")
    if folder_id is None or name is None or not stamp.isdigit():
        return None
    if (time.time() if now is None else now) - int(stamp) >= FOLDER_CHECK_SECONDS:
        return None
    return folder_id, name


def keep_checked_folder(
    key: str, folder_id: str, name: str, checked: str | None = None
) -> dict[str, str]:
    """:func:`keep_folder`'s entries and when the folders were looked up: now, or ``checked``
    (carried over from a cursor whose folder was trusted)."""
    return {**keep_folder(key, folder_id, name), FOLDERS_CHECKED: checked or str(int(time.time()))}


def trusted_cursor(states: dict[str, str], key: str, folder: tuple[str, str], **values: str) -> str:
    """The next cursor of a read that took the folder ``key`` as the cursor kept it
    (:func:`trusted_folder`): ``values``, and the folder with the time it was looked up."""
    checked = states[FOLDERS_CHECKED]
    return pack_cursor({**values, **keep_checked_folder(key, *folder, checked)})
