"""What Gmail's event objects say besides who calls: the card's form values, the user's time
zone and language (``commonEventObject.formInputs``, ``.timeZone``, ``.userLocale``). Pure,
and lenient: a value of the wrong shape is left out, never an error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.gmail_addon.screens import UserTime

PICKED = (("dateInput", "%Y-%m-%d"), ("dateTimeInput", "%Y-%m-%dT%H:%MZ"))
"""A date-time picker's inputs and the Save dialog's text for each (UTC, said with a ``Z``:
the form's own texts are in the reader's zone)."""


def _common(event: dict[str, Any]) -> dict[str, Any]:
    found = event.get("commonEventObject")
    return found if isinstance(found, dict) else {}


def _text(given: dict[str, Any]) -> str | None:
    strings = given.get("stringInputs")
    listed = strings.get("value") if isinstance(strings, dict) else None
    if isinstance(listed, list) and listed and isinstance(listed[0], str):
        return listed[0]
    for kind, shape in PICKED:
        picked = given.get(kind)
        millis = picked.get("msSinceEpoch") if isinstance(picked, dict) else None
        if isinstance(millis, str | int) and str(millis).lstrip("-").isdigit():
            try:
                return datetime.fromtimestamp(int(millis) / 1000, UTC).strftime(shape)
            except (OverflowError, OSError, ValueError):
                return None
    return None


def form_values(event: dict[str, Any]) -> dict[str, str]:
    """The card's inputs as text: ``stringInputs.value[0]``, and a picker's ``dateInput`` /
    ``dateTimeInput`` (milliseconds since the epoch) as ``YYYY-MM-DD`` / ``YYYY-MM-DDTHH:MMZ``
    in UTC."""
    raw = _common(event).get("formInputs")
    values = {}
    for name, given in raw.items() if isinstance(raw, dict) else ():
        found = _text(given) if isinstance(given, dict) else None
        if found is not None:
            values[str(name)] = found
    return values


def user_time(event: dict[str, Any]) -> UserTime:
    """The user's time zone (IANA id and offset in milliseconds); UTC when not given."""
    offset = _time_zone(event).get("offset")
    minutes = offset // 60_000 if isinstance(offset, int) else None
    name = user_zone(event)
    try:
        zone = ZoneInfo(name) if name is not None else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return UserTime(zone, minutes)


def user_zone(event: dict[str, Any]) -> str | None:
    """The IANA id of the user's time zone as Gmail gives it (``Europe/Berlin``), if it is text."""
    found = _time_zone(event).get("id")
    return found if isinstance(found, str) else None


def _time_zone(event: dict[str, Any]) -> dict[str, Any]:
    given = _common(event).get("timeZone")
    return given if isinstance(given, dict) else {}


def user_locale(event: dict[str, Any]) -> str | None:
    """The user's language as Gmail gives it (``commonEventObject.userLocale``: ``de``,
    ``en-GB``), if it is text."""
    found = _common(event).get("userLocale")
    return found if isinstance(found, str) else None
