"""The item's related account (or contact) in C4C: showing the link, searching, picking one.

Contacts link to an account; e-mails and appointments to an account or a contact. The dialog
names objects by their C4C ``ObjectID``; the item's C4C properties hold the human IDs
(``AccountID``, ``PrimaryContactID``), which :func:`pick` reads from the picked object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backend.crm.c4c import C4CClient
from backend.crm.errors import C4CHTTPError
from backend.crm.search import search_accounts, search_contacts
from backend.crm.values import odata_quote
from backend.sync.linker import ACCOUNTS, CONTACTS
from backend.sync.mapping import Links

MIN_QUERY = 2


@dataclass(frozen=True)
class RelatedCandidate:
    """One search result.

    Attributes:
        object_id: the object's C4C ``ObjectID`` (pass it back as ``related_id``).
        name: its name.
        detail: what tells namesakes apart (city and country, e-mail, account).
        kind: ``account`` or ``contact``.
    """

    object_id: str
    name: str
    detail: str
    kind: str


@dataclass(frozen=True)
class Picked:
    """A related object chosen for the item, as the item's C4C properties refer to it.

    Attributes:
        links: the links to write.
        described: properties of the item's C4C copy that describe the object (the account's
            name in ``AccountFormattedName``), so the mapping can keep it in the mailbox.
        object_id: the object's ``ObjectID``.
        display: its name.
    """

    links: Links
    object_id: str
    display: str
    described: dict[str, Any] = field(default_factory=dict)


def contact_name(entity: dict[str, Any]) -> str:
    names = (entity.get("FirstName"), entity.get("LastName"))
    return " ".join(part for part in names if part) or entity.get("Email") or ""


def account_candidate(entity: dict[str, Any]) -> RelatedCandidate:
    place = ", ".join(part for part in (entity.get("City"), entity.get("CountryCode")) if part)
    return RelatedCandidate(entity["ObjectID"], entity.get("Name") or "", place, "account")


def contact_candidate(entity: dict[str, Any]) -> RelatedCandidate:
    detail = entity.get("Email") or entity.get("AccountFormattedName") or ""
    return RelatedCandidate(entity["ObjectID"], contact_name(entity), detail, "contact")


def _first(client: C4CClient, entity_set: str, key: str, value: str) -> dict[str, Any] | None:
    return next(client.read(entity_set, filter=f"{key} eq {odata_quote(value)}", top=1), None)


def describe(client: C4CClient, links: Links, kind: str) -> tuple[str | None, str | None]:
    """The ``ObjectID`` and name of the object ``links`` point to (the contact first).

    Args:
        client: the tenant's C4C client.
        links: the item's links.
        kind: the link's kind (``account`` ignores a contact link).

    Returns:
        ``(object_id, name)``, or ``(None, None)`` when nothing is linked.
    """
    if links.contact_id and kind != "account":
        contact = _first(client, CONTACTS, "ContactID", links.contact_id)
        if contact is not None:
            return contact["ObjectID"], contact_name(contact)
    if links.account_id:
        account = _first(client, ACCOUNTS, "AccountID", links.account_id)
        if account is not None:
            return account["ObjectID"], account.get("Name") or links.account_id
    return None, None


def pick(client: C4CClient, kind: str, object_id: str) -> Picked | None:
    """The object the person picked, read from C4C.

    Args:
        client: the tenant's C4C client.
        kind: the link's kind: ``account`` looks among accounts only.
        object_id: the picked ``ObjectID``.

    Returns:
        The pick, or ``None`` when no such object exists (any more).

    Raises:
        C4CError: when C4C cannot be read.
    """
    entity_sets = (ACCOUNTS,) if kind == "account" else (ACCOUNTS, CONTACTS)
    for entity_set in entity_sets:
        try:
            entity = client.get(entity_set, object_id)
        except C4CHTTPError as error:
            if error.status == 404:
                continue
            raise
        if entity_set == ACCOUNTS:
            name = entity.get("Name") or ""
            return Picked(
                Links(entity.get("AccountID"), None),
                object_id,
                name,
                {"AccountFormattedName": name},
            )
        account_id = entity.get("AccountID") or None
        return Picked(Links(account_id, entity.get("ContactID")), object_id, contact_name(entity))
    return None


def search(client: C4CClient, kind: str, query: str, limit: int) -> list[RelatedCandidate]:
    """Accounts whose name starts with ``query`` (by name), then, for ``account_or_contact``,
    contacts by first or last name prefix or by exact e-mail address.

    Args:
        client: the tenant's C4C client.
        kind: the link's kind.
        query: what the person typed (at least two characters).
        limit: the most candidates to return.

    Returns:
        The candidates, accounts first.

    Raises:
        C4CError: when C4C cannot be read.
    """
    query = query.strip()
    if len(query) < MIN_QUERY or limit < 1:
        return []
    found: list[RelatedCandidate] = []
    if "@" not in query:
        found += [account_candidate(entity) for entity in search_accounts(client, query, limit)]
    if kind != "account" and len(found) < limit:
        contacts = [contact_candidate(e) for e in search_contacts(client, query, limit)]
        found += sorted(contacts, key=lambda candidate: candidate.name.lower())
    return found[:limit]
