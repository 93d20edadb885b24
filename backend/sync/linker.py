"""Finding the C4C objects an item refers to: accounts by name, contacts by e-mail address.

Look-ups are cached for one run, so a thousand e-mails from one customer cost one read.
Also finds the existing C4C object a new mailbox item should pair with, so the first sync of a
mailbox never creates a duplicate of what C4C already has.
"""

from __future__ import annotations

from typing import Any

from backend.crm.c4c import C4CClient
from backend.crm.values import odata_quote
from backend.mailbox.base import AccountRecord, ContactRecord, ItemRecord
from backend.sync.mapping import LinkHints, Links, accounts, contacts

ACCOUNTS = "CorporateAccountCollection"
CONTACTS = "ContactCollection"
PREFETCH_CHUNK = 40
"""Values to a query (its URL is bounded)."""
PREFETCH_PER_REQUEST = 25
"""Queries to a request (the retrieve requests of one ``$batch``): a creates chunk's thousand
addresses are one round trip (the account names another)."""
_KEYS = ("ObjectID", "ETag", "__metadata")
KEPT = {
    ACCOUNTS: frozenset([*accounts.MAPPING.read_fields, *_KEYS]),
    CONTACTS: frozenset([*contacts.MAPPING.read_fields, *_KEYS, "ContactID"]),
}
"""What the cache keeps of an object: what the product reads of it (as the C4C feed keeps it),
its keys and ETag. C4C answers with every property and navigation link, some 2.5 KB a contact;
a first sync remembers each contact it creates, for the e-mails that follow."""


def _kept(entity_set: str, entity: dict[str, Any] | None) -> dict[str, Any] | None:
    if entity is None:
        return None
    return {name: value for name, value in entity.items() if name in KEPT[entity_set]}


class Linker:
    """Resolves link hints against one tenant's C4C, caching what it read."""

    def __init__(self, client: C4CClient) -> None:
        self._client = client
        self._accounts: dict[str, dict[str, Any] | None] = {}
        self._contacts: dict[str, dict[str, Any] | None] = {}

    def account_named(self, name: str) -> dict[str, Any] | None:
        key = name.strip().lower()
        if key not in self._accounts:
            found = self._client.read(
                ACCOUNTS, filter=f"Name eq {odata_quote(name.strip())}", top=1
            )
            self._accounts[key] = _kept(ACCOUNTS, next(found, None))
        return self._accounts[key]

    def names_an_account(self, name: str | None) -> bool:
        """Whether ``name`` (a contact's company) is the name of an account C4C knows."""
        account = self.account_named(name) if name and name.strip() else None
        return bool(account and account.get("AccountID"))

    def contact_with(self, address: str) -> dict[str, Any] | None:
        key = address.strip().lower()
        if key not in self._contacts:
            found = self._client.read(
                CONTACTS, filter=f"Email eq {odata_quote(address.strip())}", top=1
            )
            self._contacts[key] = _kept(CONTACTS, next(found, None))
        return self._contacts[key]

    def prefetch(self, hints: list[LinkHints]) -> None:
        """Read in few requests the contacts and accounts that ``hints`` will ask about."""
        addresses = {address for hint in hints for address in hint.addresses}
        names = {hint.account_name.strip() for hint in hints if hint.account_name}
        self._prefetch(CONTACTS, "Email", addresses, self._contacts)
        self._prefetch(ACCOUNTS, "Name", names, self._accounts)

    def _prefetch(
        self, entity_set: str, field: str, values: set[str], cache: dict[str, Any]
    ) -> None:
        wanted = sorted({v.strip() for v in values if v and v.strip().lower() not in cache})
        lookups = self._client.read_matching(
            entity_set, field, wanted, chunk=PREFETCH_CHUNK, per_request=PREFETCH_PER_REQUEST
        )
        for chunk, entities in lookups:
            found: dict[str, dict[str, Any] | None] = {value.lower(): None for value in chunk}
            for entity in entities:
                key = (entity.get(field) or "").lower()
                if found.get(key) is None:
                    found[key] = entity
            # Only a read that came through says what C4C lacks: a failed one leaves the values
            # to be looked up one by one.
            for key, entity in found.items():
                if cache.get(key) is None:
                    cache[key] = _kept(entity_set, entity)

    def remember_contact(self, entity: dict[str, Any]) -> None:
        """A contact we just created or paired is known by its address from now on."""
        if entity.get("Email"):
            self._contacts[entity["Email"].lower()] = _kept(CONTACTS, entity)

    def remember_account(self, entity: dict[str, Any]) -> None:
        if entity.get("Name"):
            self._accounts[entity["Name"].lower()] = _kept(ACCOUNTS, entity)

    def links(self, hints: LinkHints) -> Links:
        """The account named in ``hints``, else the first address that is a C4C contact."""
        account_id = None
        if hints.account_name:
            account = self.account_named(hints.account_name)
            account_id = account.get("AccountID") if account else None
        for address in hints.addresses:
            contact = self.contact_with(address)
            if contact is not None:
                return Links(account_id or contact.get("AccountID") or None, contact["ContactID"])
        return Links(account_id, None)

    def existing(self, record: ItemRecord, links: Links) -> dict[str, Any] | None:
        """The C4C object a new mailbox contact or account is the same as, if any.

        Contacts match by any of their e-mail addresses, then by first and last name within the
        same account; accounts by name. Other types are never matched (activities are unique).
        """
        if isinstance(record, AccountRecord) and record.name:
            return self.account_named(record.name)
        if not isinstance(record, ContactRecord):
            return None
        for address in record.emails:
            contact = self.contact_with(address)
            if contact is not None:
                return contact
        if record.surname and links.account_id:
            surname, account = odata_quote(record.surname), odata_quote(links.account_id)
            condition = f"LastName eq {surname} and AccountID eq {account}"
            for contact in self._client.read(CONTACTS, filter=condition):
                if (contact.get("FirstName") or "") == (record.given_name or ""):
                    return contact
        return None


def pairing_keys(record: ItemRecord) -> set[str]:
    """What :meth:`Linker.existing` finds a new mailbox item's C4C object by, as it keys its
    cache: a contact's addresses, an account's name (two new items sharing one are the same
    C4C record)."""
    if isinstance(record, ContactRecord):
        return {address.strip().lower() for address in record.emails if address.strip()}
    if isinstance(record, AccountRecord) and record.name:
        return {record.name.strip().lower()}
    return set()
