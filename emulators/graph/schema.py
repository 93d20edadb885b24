"""What an item type looks like on the wire: its properties (with Graph's defaults, in Graph's
order), which of them a client may write, and how a request body is checked.

Graph renders every property, ``null`` or empty when unset; a body naming a property the type
does not have is refused (``RequestBodyRead``), read-only ones are ignored, and values of the
wrong JSON type are refused as OData does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emulators.graph.errors import bad_request, not_convertible, unknown_property
from emulators.graph.mailbox import Item, Mailbox

COMMON = ("createdDateTime", "lastModifiedDateTime", "changeKey", "categories", "parentFolderId")


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str, zone: tzinfo = UTC) -> datetime:
    """A moment in Graph's formats (up to seven decimals, ``Z``, an offset or none: then in
    ``zone``), in UTC.

    Raises:
        GraphError: 400 for anything else.
    """
    cleaned = re.sub(r"(\.\d{1,6})\d*", r"\1", text.strip()).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise bad_request(f"The value '{text}' is not a valid DateTimeOffset.") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def date_time_zone(value: Any, name: str) -> dict[str, str]:
    """A ``dateTimeTimeZone`` (UTC or an IANA zone) in UTC, as Graph answers it.

    Raises:
        GraphError: 400 for another shape or an unknown zone.
    """
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        raise bad_request(f"The property '{name}' must be a dateTimeTimeZone.", "RequestBodyRead")
    zone_name = value.get("timeZone") or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise bad_request(
            "A valid TimeZone value must be specified. The following TimeZone value is not "
            f"supported: '{zone_name}'.",
            "TimeZoneNotSupportedException",
        ) from None
    moment = parse_time(value["dateTime"], zone)
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def preview(body: Any) -> str:
    """``bodyPreview``: the body's text without markup, at most 255 characters."""
    content = body.get("content", "") if isinstance(body, dict) else ""
    text = re.sub(r"<[^>]+>", " ", content or "")
    return " ".join(text.split())[:255]


class EntityType:
    """One item type (``microsoft.graph.<name>``); subclasses say what is special about it.

    Attributes:
        properties: the type's own properties and their defaults, rendered in this order.
        writable: those a client may set.
        complex_values: properties whose value is an object (or null).
        enums: properties limited to a set of strings, with the OData type named in errors.
    """

    name: ClassVar[str] = ""
    properties: ClassVar[dict[str, Any]] = {}
    writable: ClassVar[frozenset[str]] = frozenset()
    complex_values: ClassVar[frozenset[str]] = frozenset()
    enums: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = {}
    common: ClassVar[tuple[str, ...]] = COMMON

    @property
    def odata_type(self) -> str:
        return f"#microsoft.graph.{self.name}"

    @property
    def known(self) -> set[str]:
        return {"id", *self.common, *self.properties}

    def check(self, body: dict[str, Any]) -> dict[str, Any]:
        """The writable properties of a POST or PATCH body.

        Raises:
            GraphError: 400 for an unknown property or a value of the wrong type.
        """
        changes: dict[str, Any] = {}
        for name, value in body.items():
            if name.startswith("@odata."):
                continue
            if name not in self.known:
                raise unknown_property(name, self.name)
            if name in self.writable or name == "categories":
                self._check_value(name, value)
                changes[name] = value
        return changes

    def _check_value(self, name: str, value: Any) -> None:
        default = [] if name == "categories" else self.properties.get(name)
        if name in self.enums:
            odata_type, allowed = self.enums[name]
            if value not in allowed:
                raise not_convertible(value, odata_type)
            return
        if isinstance(default, list):
            if not isinstance(value, list):
                raise not_convertible(value, "Collection")
            if name == "categories" and not all(isinstance(v, str) for v in value):
                raise not_convertible(value, "Collection(Edm.String)")
            return
        if name in self.complex_values or isinstance(default, dict):
            if value is not None and not isinstance(value, dict):
                raise not_convertible(value, "microsoft.graph.complexType")
            return
        if isinstance(default, bool) and not isinstance(value, bool):
            raise not_convertible(value, "Edm.Boolean")
        if isinstance(default, int) and not isinstance(default, bool):
            if not isinstance(value, int) or isinstance(value, bool):
                raise not_convertible(value, "Edm.Int32")
            return
        if default is None and value is not None and not isinstance(value, str):
            raise not_convertible(value, "Edm.String")

    def adjust(self, changes: dict[str, Any], item: Item | None, mailbox: Mailbox) -> None:
        """Complete or normalise checked changes (``item`` None on create), in place."""

    def render(self, item: Item, mailbox: Mailbox) -> dict[str, Any]:
        """The item as Graph answers it."""
        entity: dict[str, Any] = {"@odata.etag": item.etag, "id": item.id}
        own = {
            "createdDateTime": stamp(item.created),
            "lastModifiedDateTime": stamp(item.modified),
            "changeKey": item.change_key,
            "categories": list(item.fields.get("categories", [])),
            "parentFolderId": item.folder_id,
        }
        entity.update({name: own[name] for name in self.common})
        for name, default in self.properties.items():
            value = item.fields.get(name, default)
            entity[name] = value.copy() if isinstance(value, list | dict) else value
        entity.update(self.computed(item, mailbox))
        return entity

    def computed(self, item: Item, mailbox: Mailbox) -> dict[str, Any]:
        """Properties the server works out (``webLink``, ``bodyPreview``...)."""
        return {}

    def removed(self, item_id: str, reason: str) -> dict[str, Any]:
        """How a delta query reports an item gone from the collection."""
        return {"@odata.type": self.odata_type, "id": item_id, "@removed": {"reason": reason}}


class ItemType(EntityType):
    """An :class:`EntityType` with the hooks the write requests call."""

    checks_if_match = True

    def before_update(self, item: Item, changes: dict[str, Any]) -> None:
        """Refuse an update the service refuses (raise a ``GraphError``)."""

    def after_create(self, item: Item, mailbox: Mailbox) -> None:
        """React to a new item."""

    def after_update(
        self, item: Item, sent: dict[str, Any], before: dict[str, Any], mailbox: Mailbox
    ) -> None:
        """React to an update (``sent``: the properties the client set; ``before``: the
        item's properties before)."""

    def before_delete(self, item: Item, mailbox: Mailbox) -> None:
        """React to a deletion before the item is gone."""
