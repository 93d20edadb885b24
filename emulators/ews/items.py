"""Items as EWS sees them: render in a requested shape, apply field updates, test restrictions."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime

from lxml import etree

from emulators.ews.computed import canonical, computed, computed_element
from emulators.ews.schema import (
    COMPUTED_FIELDS,
    DATETIME_FIELDS,
    ORDER,
    SERVER_FIELDS,
    STREAMED_FIELDS,
    element_for_uri,
)
from emulators.ews.soap import T_NS, EwsError, SoapFault, t
from emulators.ews.store import Item

DEFAULT_SHAPE = frozenset(
    ["Subject", "DisplayName", "Start", "End", "Location", "DueDate", "Status", "ItemClass"]
)


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def parse_time(text: str) -> datetime:
    """Parse an EWS date-time (``Z`` or an offset); ``ErrorSchemaValidation`` otherwise."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SoapFault("ErrorSchemaValidation", f"'{text}' is not a valid xs:dateTime.") from None


class Shape:
    """Which elements a response carries: a base shape plus additional field URIs."""

    def __init__(self, base: str, names: Iterable[str] = ()) -> None:
        if base not in ("IdOnly", "Default", "AllProperties"):
            raise SoapFault("ErrorSchemaValidation", f"'{base}' is not a valid BaseShape.")
        self.base = base
        self.names = frozenset(names)

    @classmethod
    def from_xml(cls, shape: etree._Element | None) -> Shape:
        if shape is None:
            raise SoapFault("ErrorSchemaValidation", "The element 'ItemShape' is missing.")
        base = shape.findtext(t("BaseShape")) or ""
        names = []
        for path in shape.iterfind(f"{t('AdditionalProperties')}/*"):
            uri = path.get("FieldURI")
            if uri:
                names.append(element_for_uri(uri)[0])
        return cls(base, names)

    def wants(self, item: Item, name: str) -> bool:
        if self.base == "AllProperties":
            return True
        return name in self.names or (self.base == "Default" and name in DEFAULT_SHAPE)


def render(item: Item, shape: Shape, *, streamed: bool = True) -> etree._Element:
    """``t:{kind}`` with the ItemId and the elements ``shape`` asks for, in schema order."""
    element = etree.Element(t(item.kind))
    etree.SubElement(element, t("ItemId"), Id=item.id, ChangeKey=item.change_key)
    order = ORDER[item.kind]
    candidates = set(item.fields) | {"ItemClass", "DateTimeCreated", "LastModifiedTime", "Size"}
    candidates |= {"ParentFolderId", "HasAttachments", *COMPUTED_FIELDS[item.kind]}
    for name in sorted(candidates, key=lambda n: order.get(n, len(order))):
        if name == "ItemId" or not shape.wants(item, name):
            continue
        if not streamed and name in STREAMED_FIELDS:
            continue
        if name == "ParentFolderId":
            etree.SubElement(element, t("ParentFolderId"), Id=item.folder_id, ChangeKey="AQAAAA==")
        elif name in item.fields:
            element.append(copy.deepcopy(item.fields[name]))
        else:
            found = computed_element(item, name)
            if found is not None:
                element.append(found)
    return element


def fields_from_xml(kind: str, element: etree._Element) -> dict[str, etree._Element]:
    """The settable elements of an item a client sent, checked against the schema."""
    order = ORDER[kind]
    fields: dict[str, etree._Element] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = local(child)
        if etree.QName(child).namespace != T_NS or name not in order:
            raise SoapFault(
                "ErrorSchemaValidation",
                f"The element '{name}' is not a valid child of '{kind}'.",
            )
        if name in SERVER_FIELDS:
            raise EwsError(
                "ErrorInvalidPropertySet", f"Set action is invalid for property '{name}'."
            )
        if name in DATETIME_FIELDS and child.text:
            parse_time(child.text)
        fields[name] = copy.deepcopy(child)
        canonical(name, fields[name])
    return fields


def _entry(container: etree._Element, key: str) -> etree._Element | None:
    return next((e for e in container if e.get("Key") == key), None)


def apply_update(item: Item, update: etree._Element) -> None:
    """Apply one ``SetItemField``, ``AppendToItemField`` or ``DeleteItemField`` to ``item``."""
    action = local(update)
    path = update[0]
    uri = path.get("FieldURI") or ""
    name, leaf = element_for_uri(uri)
    index = path.get("FieldIndex")
    if name in SERVER_FIELDS or name not in ORDER[item.kind]:
        raise EwsError("ErrorInvalidPropertySet", f"{action} is invalid for property '{uri}'.")
    if action == "DeleteItemField":
        _delete(item, name, index, leaf)
        return
    holder = update.find(t(item.kind))
    if holder is None or len(holder) != 1:
        raise EwsError(
            "ErrorIncorrectUpdatePropertyCount",
            "An object within a change description must contain one and only one property "
            "to modify.",
        )
    value = fields_from_xml(item.kind, holder)[name]
    current = item.fields.get(name)
    if index is not None and current is not None:
        for entry in value:
            old = _entry(current, entry.get("Key"))
            if old is None:
                current.append(entry)
            elif leaf is None:
                current.replace(old, entry)
            else:
                for part in entry:
                    existing = old.find(part.tag)
                    if existing is not None:
                        old.remove(existing)
                    old.append(part)
    elif action == "AppendToItemField" and current is not None:
        current.extend(list(value))
    else:
        item.fields[name] = value


def _delete(item: Item, name: str, index: str | None, leaf: str | None) -> None:
    current = item.fields.get(name)
    if current is None:
        return
    if index is None:
        del item.fields[name]
        return
    entry = _entry(current, index)
    if entry is None:
        return
    if leaf is not None:
        part = entry.find(t(leaf))
        if part is not None:
            entry.remove(part)
    if leaf is None or len(entry) == 0:
        current.remove(entry)
    if len(current) == 0:
        del item.fields[name]


def values(item: Item, uri: str) -> list[str]:
    """Every text value of field ``uri`` on ``item`` (several for multi-valued fields)."""
    name, _leaf = element_for_uri(uri)
    if name in item.fields:
        return item.texts(name)
    value = computed(item, name)
    return [] if value is None else [value]


def _compare(op: str, left: str, right: str, name: str) -> bool:
    a: object = left
    b: object = right
    if name in DATETIME_FIELDS:
        a, b = parse_time(left), parse_time(right)
    return {
        "IsEqualTo": a == b,
        "IsNotEqualTo": a != b,
        "IsGreaterThan": a > b,  # type: ignore[operator]
        "IsGreaterThanOrEqualTo": a >= b,  # type: ignore[operator]
        "IsLessThan": a < b,  # type: ignore[operator]
        "IsLessThanOrEqualTo": a <= b,  # type: ignore[operator]
    }[op]


def matches(item: Item, node: etree._Element) -> bool:
    """Whether ``item`` satisfies the restriction ``node`` (a SearchExpression)."""
    op = local(node)
    if op in ("And", "Or"):
        results = (matches(item, child) for child in node)
        return all(results) if op == "And" else any(results)
    if op == "Not":
        return not matches(item, node[0])
    uri = node[0].get("FieldURI") or ""
    found = values(item, uri)
    if op == "Exists":
        return bool(found)
    if op == "Contains":
        constant = node.find(t("Constant")).get("Value") or ""
        mode = node.get("ContainmentMode", "Substring")
        ignore_case = "IgnoreCase" in node.get("ContainmentComparison", "")
        if ignore_case:
            constant, found = constant.lower(), [v.lower() for v in found]
        test = {
            "FullString": lambda v: v == constant,
            "Prefixed": lambda v: v.startswith(constant),
        }.get(mode, lambda v: constant in v)
        return any(test(v) for v in found)
    if op.startswith("Is"):
        constant_element = node.find(f"{t('FieldURIOrConstant')}/{t('Constant')}")
        if constant_element is None:
            raise SoapFault("ErrorSchemaValidation", f"'{op}' needs a constant to compare with.")
        constant = constant_element.get("Value") or ""
        name = element_for_uri(uri)[0]
        if op == "IsNotEqualTo":
            return all(_compare(op, v, constant, name) for v in found)
        return any(_compare(op, v, constant, name) for v in found)
    raise SoapFault("ErrorSchemaValidation", f"The restriction '{op}' is not supported.")
