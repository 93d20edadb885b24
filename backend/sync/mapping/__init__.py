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
from dataclasses import dataclass, field, replace
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
    """Moving the item to another account is a change of its own, both ways (contacts); a
    company C4C knows no account of leaves C4C's account as it is (:meth:`values_up`)."""
    unlinked: Callable[[Any], ItemRecord] | None = None
    """The record naming no account, for an object C4C took out of its account (a contact's
    company cleared; ``to_record`` keeps the mailbox's own where C4C names none)."""
    coarse: tuple[tuple[str, str | None], ...] = ()
    """The properties of ``fields`` a mailbox may hold less finely than C4C (a code that several
    of C4C's come down as, a date for a date and time, a value its mail system has no place
    for), each with the record field it comes from, or ``None`` for a link to a C4C object,
    which a mailbox names only through what it says (a company, an attendee C4C knows). A
    change going up leaves out those the mailbox did not change (:meth:`values_up`), so C4C
    keeps its own values of them; the links go together, so a contact is never sent with
    another object's account."""

    def values_up(
        self, record: ItemRecord, links: Links, entity: dict[str, Any] | None
    ) -> dict[str, Any]:
        """What C4C is sent for the mailbox's version ``record`` (linked to ``links``): less
        the ``coarse`` links when the mailbox names none of them, and, over C4C's version
        ``entity`` when known, less the other ``coarse`` values it did not change (C4C keeps
        its own of each). A task *Immediate* in SAP is *High* in Outlook, which would go up as
        *Urgent*: renaming it must leave it *Immediate*; a task *Canceled* in SAP is *Deferred*
        in Outlook, and setting it *Not started* there goes up as *Open* (judged on the
        mailbox's field, where the two differ).

        Where the account is a link of its own (``account_link``), a company that names no
        account C4C knows leaves the ``AccountID`` out: the name may be one SAP no longer uses
        (the account renamed there), and a new job title must not take the contact out of its
        account. A company cleared in the mailbox does, and one C4C knows moves it there."""
        values = self.to_c4c(record, links)
        held = None if entity is None or self.to_record is None else self.to_record(entity, record)
        links_named = any(values.get(name) is not None for name, source in self.coarse
                          if source is None)  # fmt: skip
        unchanged = {
            name
            for name, source in self.coarse
            if (not links_named if source is None
                else held is not None and getattr(record, source) == getattr(held, source))
        }  # fmt: skip
        named = (self.hints(record).account_name or "").strip()
        if self.account_link and named and values.get("AccountID") is None:
            unchanged.add("AccountID")
        return {name: value for name, value in values.items() if name not in unchanged}

    def held_by(self, as_kept: Callable[[ItemType, ItemRecord], ItemRecord]) -> TypeMapping:
        """This mapping for a mail system that keeps a record as ``as_kept`` does (written and
        read back): C4C's version comes down as the mailbox will hold it, so both sides'
        fingerprints of one version compare alike (Google Tasks keeps no importance: a task
        *Urgent* in SAP is not a change on every run) and a change going up is judged against
        what the mailbox could show."""
        to_record = self.to_record
        if to_record is None:
            return self

        def held(entity: dict[str, Any], base: Any) -> ItemRecord:
            return as_kept(self.item_type, to_record(entity, base))

        return replace(self, to_record=held)

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
