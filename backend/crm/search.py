"""Searches behind the Save dialog: accounts by name prefix, contacts by name or e-mail."""

from __future__ import annotations

from typing import Any

from backend.crm.c4c import C4CClient
from backend.crm.values import odata_quote

ACCOUNTS = "CorporateAccountCollection"


def search_accounts(client: C4CClient, prefix: str, limit: int = 20) -> list[dict[str, Any]]:
    """Corporate accounts whose name starts with ``prefix`` (for the Save dialog).

    Args:
        client: the tenant's C4C client.
        prefix: the start of the name, any case.
        limit: the most accounts to return.

    Returns:
        The matching accounts.
    """
    condition = f"startswith(Name,{odata_quote(prefix)})"
    accounts = client.read(
        "CorporateAccountCollection", filter=condition, orderby="Name", top=limit
    )
    return list(accounts)


def search_contacts(client: C4CClient, term: str, limit: int = 20) -> list[dict[str, Any]]:
    """Contacts by exact e-mail address, or by first or last name prefix.

    C4C allows ``or`` only between conditions on one property, so a name search is two reads.

    Args:
        client: the tenant's C4C client.
        term: an e-mail address, or the start of a first or last name.
        limit: the most contacts to return.

    Returns:
        The matching contacts, without repeats.
    """
    if "@" in term:
        return list(client.read("ContactCollection", filter=f"Email eq {odata_quote(term)}"))
    found: dict[str, dict[str, Any]] = {}
    for name in ("LastName", "FirstName"):
        condition = f"startswith({name},{odata_quote(term)})"
        for entity in client.read("ContactCollection", filter=condition, top=limit):
            found.setdefault(entity["ObjectID"], entity)
    return list(found.values())[:limit]
