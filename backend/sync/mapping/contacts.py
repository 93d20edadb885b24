"""Contacts: Exchange contacts in the folder "SAP Contacts" ↔ C4C ``ContactCollection``.

| mailbox (``ContactRecord``) | C4C ``Contact``  | notes                                        |
|-----------------------------|------------------|----------------------------------------------|
| ``given_name``              | ``FirstName``    |                                              |
| ``surname``                 | ``LastName``     | required by C4C                              |
| ``job_title``               | ``JobTitle``     |                                              |
| ``emails[0]``               | ``Email``        | further addresses stay in the mailbox        |
| ``business_phone``          | ``Phone``        |                                              |
| ``mobile_phone``            | ``Mobile``       |                                              |
| ``company``                 | ``AccountID``    | linked by account name; down: account's name |
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from backend.mailbox.base import ContactRecord
from backend.models.types import ItemType
from backend.sync.mapping import LinkHints, Links, TypeMapping, clip


def to_c4c(record: ContactRecord, links: Links) -> dict[str, Any]:
    return {
        "FirstName": clip(record.given_name, 40),
        "LastName": clip(record.surname, 40),
        "JobTitle": clip(record.job_title, 40),
        "Email": clip(record.emails[0], 255) if record.emails else None,
        "Phone": clip(record.business_phone, 40),
        "Mobile": clip(record.mobile_phone, 40),
        "AccountID": links.account_id,
    }


def to_record(entity: dict[str, Any], base: ContactRecord | None) -> ContactRecord:
    """The mailbox contact for ``entity``, keeping what C4C does not hold from ``base``."""
    emails = list(base.emails) if base else []
    primary = entity.get("Email") or None
    if primary:
        emails = [primary, *(e for e in emails[1:] if e.lower() != primary.lower())]
    elif emails:
        emails = emails[1:]
    names = [entity.get("FirstName"), entity.get("LastName")]
    return ContactRecord(
        id=base.id if base else None,
        change_key=base.change_key if base else None,
        categories=base.categories if base else (),
        given_name=entity.get("FirstName") or None,
        surname=entity.get("LastName") or None,
        display_name=" ".join(n for n in names if n) or (base.display_name if base else None),
        company=entity.get("AccountFormattedName") or (base.company if base else None),
        job_title=entity.get("JobTitle") or None,
        department=base.department if base else None,
        emails=tuple(emails),
        business_phone=entity.get("Phone") or None,
        mobile_phone=entity.get("Mobile") or None,
    )


def hints(record: ContactRecord) -> LinkHints:
    return LinkHints(account_name=record.company, addresses=record.emails)


def unlinked(record: ContactRecord) -> ContactRecord:
    return replace(record, company=None)


MAPPING = TypeMapping(
    ItemType.CONTACT,
    "ContactCollection",
    ("FirstName", "LastName", "JobTitle", "Email", "Phone", "Mobile", "AccountID"),
    to_c4c,
    to_record,
    hints,
    owners=("OwnerID",),
    read_also=("AccountFormattedName",),
    account_link=True,
    unlinked=unlinked,
)
