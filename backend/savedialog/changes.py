"""What a submit changes: the new mailbox record and the values sent to C4C (pure).

The item type's own mapping does the work both ways, so the dialog never maps a field itself:
the typed values are laid over the item's C4C values, the mapping's ``to_record`` turns that
back into a record, and only the record attributes the typed values actually move are taken
(a round trip through C4C's codes may lose nuance the person did not touch, e.g. a task
"Deferred" that C4C calls "Open"). The values sent to C4C are then what the next run would
compute for that record over C4C's version (``TypeMapping.values_up``: what the mailbox holds
less finely and did not change is left to C4C), with what the person typed of those on top,
so the next run sees nothing to push again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from backend.mailbox.base import ItemRecord
from backend.sync.mapping import Links, TypeMapping


def writable(mapping: TypeMapping) -> bool:
    """Whether the mailbox copy of items of this type can be changed (e-mails cannot)."""
    return mapping.to_record is not None


def updated_record(
    mapping: TypeMapping,
    record: ItemRecord,
    shown: Mapping[str, Any],
    changed: Mapping[str, Any],
    related: Mapping[str, Any] | None = None,
) -> ItemRecord:
    """``record`` with the typed values (and the picked related object) applied.

    Args:
        mapping: the item type's mapping.
        record: the mailbox item as read.
        shown: the C4C values the form showed for it (``ItemContext.current``).
        changed: C4C values of the fields the person changed.
        related: C4C properties that describe a newly picked related object (e.g. the
            account's name in ``AccountFormattedName``), where the mapping keeps it: they
            are held against what the mailbox names, not what C4C names now.

    Returns:
        The record to write; ``record`` itself when the type cannot be written or nothing
        the mailbox holds changed.
    """
    if mapping.to_record is None:
        return record
    before = mapping.to_record({**shown, **dict.fromkeys(related or ())}, record)
    after = mapping.to_record({**shown, **changed, **(related or {})}, record)
    moved = {
        item.name: getattr(after, item.name)
        for item in fields(record)
        if getattr(before, item.name) != getattr(after, item.name)
    }
    return replace(record, **moved) if moved else record


def c4c_values(
    mapping: TypeMapping,
    record: ItemRecord,
    links: Links,
    changed: Mapping[str, Any],
    linked: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The values to send to C4C for the (updated) ``record``.

    Args:
        mapping: the item type's mapping.
        record: the record as it now is in the mailbox (see :func:`updated_record`).
        links: the links to write.
        changed: the C4C values the person changed.
        linked: C4C's version of the item, when C4C has it.

    Returns:
        What goes up for the record over C4C's version (``TypeMapping.values_up``: what the
        mailbox holds less finely and did not change is left to C4C); typed values the
        mailbox has no place for (properties the mapping does not write, values it holds less
        finely, or any property of a type that cannot be written) on top.
    """
    values = mapping.values_up(record, links, linked)
    if writable(mapping):
        coarse = {name for name, _source in mapping.coarse}
        extra = {name: value for name, value in changed.items()
                 if name not in mapping.fields or name in coarse}  # fmt: skip
    else:
        extra = dict(changed)
    return {**values, **extra}
