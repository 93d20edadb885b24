"""C4C's JSON (OData V2 verbose) shapes: ``{"d": ...}``, ``__metadata``, ``/Date(ms+0000)/``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from emulators.c4c.schema import NAMESPACE, EntitySet


def json_date(value: datetime) -> str:
    """A date-time as C4C writes it in JSON (``/Date(ms+0000)/``)."""
    return f"/Date({int(value.timestamp() * 1000)}+0000)/"


def etag_of(row: dict[str, Any]) -> str:
    """The weak ETag C4C derives from the ``ETag`` time stamp (7 fraction digits)."""
    stamp = row["ETag"].strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    return f"W/\"datetimeoffset'{quote(stamp, safe='')}'\""


def entity_uri(root: str, entity_set: EntitySet, row: dict[str, Any]) -> str:
    """The entity's canonical URI (``<root>ContactCollection('<ObjectID>')``)."""
    return f"{root}{entity_set.name}('{row['ObjectID']}')"


def entity_json(
    root: str,
    entity_set: EntitySet,
    row: dict[str, Any],
    select: list[str] | None = None,
    expanded: dict[str, dict[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """One entity as C4C writes it.

    Args:
        root: the service root URL (ends with ``/``).
        entity_set: the set the row belongs to.
        row: the stored values.
        select: the ``$select`` list, or ``None`` for every property.
        expanded: navigation name to already formatted target (``None`` when there is none).

    Returns:
        The JSON object, with ``__metadata`` first.
    """
    uri = entity_uri(root, entity_set, row)
    result: dict[str, Any] = {
        "__metadata": {
            "uri": uri,
            "type": f"{NAMESPACE}.{entity_set.type_name}",
            "etag": etag_of(row),
        }
    }
    for item in entity_set.fields:
        if select is not None and item.name not in select:
            continue
        value = row.get(item.name)
        result[item.name] = json_date(value) if isinstance(value, datetime) else value
    expanded = expanded or {}
    for nav in entity_set.navigations:
        if nav.name in expanded:
            result[nav.name] = expanded[nav.name]
        elif select is None or nav.name in select:
            result[nav.name] = {"__deferred": {"uri": f"{uri}/{nav.name}"}}
    return result
