"""Mapping between mailbox records and C4C entities, one module per item type.

Each module is pure: ``to_c4c`` turns a record into the C4C properties we write (always the same
keys, ``None`` for empty), ``to_record`` turns an entity into a record (``None`` where the type
only flows up). :func:`fingerprint` of those values tells a real change from an echo of our own
write, in both directions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from backend.mailbox.base import ItemRecord
from backend.models.types import ItemType


@dataclass(frozen=True)
class Links:
    """C4C objects an item refers to, resolved by the engine before mapping."""

    account_id: str | None = None
    contact_id: str | None = None


@dataclass(frozen=True)
class LinkHints:
    """What a record says about its related C4C objects: a company name, e-mail addresses."""

    account_name: str | None = None
    addresses: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class TypeMapping:
    item_type: ItemType
    entity_set: str
    fields: tuple[str, ...]
    """The C4C properties ``to_c4c`` writes; reads select these plus key, ETag and change time."""
    to_c4c: Callable[[Any, Links], dict[str, Any]]
    to_record: Callable[[dict[str, Any], Any], ItemRecord] | None
    hints: Callable[[Any], LinkHints]
    needs_link: bool = False
    """An item that cannot be linked to any C4C contact or account cannot sync (e-mails)."""
    owners: tuple[str, ...] = ()
    """The C4C properties naming the employees whose record it is: the owner (set to the user's
    employee on the objects the sync creates), then the processor where there is one."""
    parties: tuple[str, str] | None = None
    """A node of the record naming more employees it is theirs too, as (navigation, property):
    an account's team members, an appointment's involved parties (read with ``$expand``)."""
    read_also: tuple[str, ...] = ()
    """Properties ``to_record`` reads beyond ``fields`` (e.g. the account's name)."""
    account_link: bool = False
    """Moving the item to another account is a change of its own, both ways (contacts)."""
    coarse: tuple[str, ...] = ()
    """The properties of ``fields`` a mailbox may hold less finely than C4C (a code that several
    of C4C's come down as, a date for a date and time, a value its mail system has no place
    for, a link to a C4C object it does not name): a change going up keeps C4C's value of each
    unless the mailbox's differs from how C4C's would look there (:meth:`kept_up`), which names
    no C4C object (links are found from what the mailbox says: a company, attendees)."""

    def kept_up(
        self, values: dict[str, Any], shown: dict[str, Any], entity: dict[str, Any]
    ) -> dict[str, Any]:
        """``values`` (the mailbox's version, as ``to_c4c`` makes it) with C4C's own value of
        each ``coarse`` property the mailbox did not change: where ``values`` agrees with
        ``shown``, C4C's version ``entity`` as the mailbox would hold it, mapped back the same
        way. A task that is *Immediate* in SAP is *High* in Outlook, which goes up as *Urgent*:
        editing its subject must leave it *Immediate*."""
        kept = {
            name: entity[name]
            for name in self.coarse
            if name in entity and name in values and values[name] == shown.get(name)
        }
        return {**values, **kept}

    @property
    def read_fields(self) -> list[str]:
        """What the product reads of a C4C object of this type: the mapped properties, what
        ``to_record`` reads besides, and what says whose record it is."""
        return list(
            dict.fromkeys([*self.fields, *self.read_also, "ExternalID", "AccountID", *self.owners])
        )

    def canonical(self, entity: dict[str, Any]) -> dict[str, Any]:
        """The mapped properties of ``entity``, in the form ``to_c4c`` produces."""
        return {name: _blank_to_none(entity.get(name)) for name in self.fields}


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def fingerprint(values: dict[str, Any]) -> str:
    """A stable hash of mapped values (dates and times in ISO form)."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime | date):
            return value.isoformat()
        return _blank_to_none(value)

    text = json.dumps({k: plain(v) for k, v in sorted(values.items())}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def clip(value: str | None, length: int) -> str | None:
    """``value`` without surrounding blanks, cut to C4C's maximum length; ``None`` if empty."""
    if value is None:
        return None
    value = value.strip()
    return value[:length] or None
