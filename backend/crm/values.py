"""Values between Python and C4C's JSON: ``/Date(ms)/`` date-times, string literals, ETags."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")


def to_json_value(value: Any) -> Any:
    """A Python value as C4C expects it in a payload.

    Args:
        value: a property value.

    Returns:
        The value, date-times as ``/Date(ms)/``.
    """
    if isinstance(value, datetime):
        return f"/Date({int(value.timestamp() * 1000)})/"
    return value


def to_json_values(values: dict[str, Any]) -> dict[str, Any]:
    """A payload's properties as C4C expects them (:func:`to_json_value` of each)."""
    return {name: to_json_value(value) for name, value in values.items()}


def from_json_value(value: Any) -> Any:
    """A C4C JSON value as Python.

    Args:
        value: a property value from C4C's JSON.

    Returns:
        The value, ``/Date(ms+0000)/`` as an aware UTC datetime.
    """
    if isinstance(value, str) and (match := _DATE.match(value)):
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
    return value


def etag_of(entity: dict[str, Any]) -> str | None:
    """The ETag C4C sent with an entity.

    Args:
        entity: an entity as read (with ``__metadata``).

    Returns:
        The value for ``If-Match``, or ``None``.
    """
    return (entity.get("__metadata") or {}).get("etag")


def entity_from_json(raw: dict[str, Any]) -> dict[str, Any]:
    """An entity from C4C's JSON with its date-times converted.

    Args:
        raw: the entity object of a ``d`` payload.

    Returns:
        The entity, ``__metadata`` kept.
    """
    return {key: from_json_value(value) for key, value in raw.items()}


def odata_quote(value: str) -> str:
    """A string as an OData literal.

    Args:
        value: the text.

    Returns:
        The quoted literal (``'O''Brien'``).
    """
    return "'" + value.replace("'", "''") + "'"
