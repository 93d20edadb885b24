"""Accounts: Exchange contacts in the folder "SAP Accounts" ↔ C4C ``CorporateAccountCollection``.

| mailbox (``AccountRecord``) | C4C ``CorporateAccount`` | notes                            |
|-----------------------------|--------------------------|----------------------------------|
| ``name``                    | ``Name``                 | required by C4C                  |
| ``email``                   | ``Email``                |                                  |
| ``phone``                   | ``Phone``                |                                  |
| ``website``                 | ``WebSite``              |                                  |
| ``street``                  | ``Street``               |                                  |
| ``postal_code``             | ``StreetPostalCode``     |                                  |
| ``city``                    | ``City``                 |                                  |
| ``country``                 | ``CountryCode``          | a code of C4C's country list     |
"""

from __future__ import annotations

from typing import Any

from backend.mailbox.base import AccountRecord
from backend.models.types import ItemType
from backend.sync.mapping import LinkHints, Links, TypeMapping, clip


def to_c4c(record: AccountRecord, _links: Links) -> dict[str, Any]:
    country = clip(record.country, 10)
    return {
        "Name": clip(record.name, 40),
        "Email": clip(record.email, 255),
        "Phone": clip(record.phone, 40),
        "WebSite": clip(record.website, 255),
        "Street": clip(record.street, 60),
        "StreetPostalCode": clip(record.postal_code, 10),
        "City": clip(record.city, 40),
        "CountryCode": country.upper() if country else None,
    }


def to_record(entity: dict[str, Any], base: AccountRecord | None) -> AccountRecord:
    return AccountRecord(
        id=base.id if base else None,
        change_key=base.change_key if base else None,
        categories=base.categories if base else (),
        name=entity.get("Name") or None,
        email=entity.get("Email") or None,
        phone=entity.get("Phone") or None,
        website=entity.get("WebSite") or None,
        street=entity.get("Street") or None,
        postal_code=entity.get("StreetPostalCode") or None,
        city=entity.get("City") or None,
        country=entity.get("CountryCode") or None,
    )


def hints(record: AccountRecord) -> LinkHints:
    """An account is paired with the C4C account of the same name."""
    return LinkHints(account_name=record.name)


MAPPING = TypeMapping(
    ItemType.ACCOUNT,
    "CorporateAccountCollection",
    ("Name", "Email", "Phone", "WebSite", "Street", "StreetPostalCode", "City", "CountryCode"),
    to_c4c,
    to_record,
    hints,
    owners=("OwnerID",),
    parties=("CorporateAccountTeam", "EmployeeID"),
)
