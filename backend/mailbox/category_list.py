"""Outlook's master category list (the ``CategoryList`` user configuration): pure XML edits.

Item categories are plain strings; their colours live in this list. We make sure "Sync Error" is
red (colour preset 0) and that detail markers ("Sync Error: ...") carry no colour.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from lxml import etree

from backend.mailbox.markers import MARKER, is_marker

NAME = "CategoryList"
NS = "CategoryList.xsd"
RED = "0"
NO_COLOUR = "-1"
NEVER = "1601-01-01T00:00:00.000"


def _category(root: etree._Element, name: str, color: str) -> etree._Element:
    element = etree.SubElement(root, f"{{{NS}}}category")
    for key, value in (
        ("name", name),
        ("color", color),
        ("keyboardShortcut", "0"),
        ("usageCount", "0"),
        ("lastTimeUsed", NEVER),
        ("lastSessionUsed", "0"),
        ("guid", "{" + str(uuid.uuid4()) + "}"),
        ("renameOnFirstUse", "0"),
    ):
        element.set(key, value)
    return element


def ensure_marker_colours(xml_data: bytes | None) -> bytes | None:
    """The category list with "Sync Error" red and detail markers uncoloured.

    Args:
        xml_data: the list as stored, or ``None`` if the mailbox has none yet.

    Returns:
        The new XML to store, or ``None`` when ``xml_data`` already is as it should be.
    """
    if xml_data:
        root = etree.fromstring(xml_data, etree.XMLParser(resolve_entities=False))
    else:
        root = etree.Element(f"{{{NS}}}categories", nsmap={None: NS})
        root.set("default", "")
        root.set("lastSavedSession", "0")
    changed = xml_data is None or not xml_data
    categories = {c.get("name"): c for c in root.iter(f"{{{NS}}}category")}
    marker = categories.get(MARKER)
    if marker is None:
        _category(root, MARKER, RED)
        changed = True
    elif marker.get("color") != RED:
        marker.set("color", RED)
        changed = True
    for name, element in categories.items():
        if name and name != MARKER and is_marker(name) and element.get("color") != NO_COLOUR:
            element.set("color", NO_COLOUR)
            changed = True
    if not changed:
        return None
    root.set("lastSavedTime", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000"))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def colours(xml_data: bytes) -> dict[str, int]:
    """Category name to colour preset index, as the list stores them."""
    root = etree.fromstring(xml_data, etree.XMLParser(resolve_entities=False))
    return {c.get("name") or "": int(c.get("color", "-1")) for c in root.iter(f"{{{NS}}}category")}
