"""E-mails: messages marked "SAP" or in "SAP Cloud for Customer" → C4C ``EMailCollection``.

E-mails flow up only. An e-mail must link to a C4C contact or account by its sender or
recipients; one that matches nothing cannot sync until the person picks the account.

| mailbox (``EmailRecord``) | C4C ``EMail``        | notes                               |
|---------------------------|----------------------|-------------------------------------|
| ``subject``               | ``Subject``          | required by C4C                     |
| ``internet_message_id``   | ``MessageID``        |                                     |
| ``sender``                | ``FromEmailURI``     |                                     |
| ``to`` / ``cc``           | ``ToEmailURIs`` / ``CcEmailURIs`` | comma-separated        |
| ``sent``                  | ``SentOn``           |                                     |
| ``body``                  | ``Text``             |                                     |
| sender, then recipients   | ``PrimaryContactID``, ``AccountID`` | the first address known to C4C |
"""

from __future__ import annotations

from typing import Any

from backend.mailbox.base import EmailRecord
from backend.models.types import ItemType
from backend.sync.mapping import LinkHints, Links, TypeMapping, clip


def to_c4c(record: EmailRecord, links: Links) -> dict[str, Any]:
    return {
        "Subject": clip(record.subject, 255),
        "MessageID": clip(record.internet_message_id, 255),
        "FromEmailURI": clip(record.sender, 255),
        "ToEmailURIs": clip(", ".join(record.to), 1000),
        "CcEmailURIs": clip(", ".join(record.cc), 1000),
        "SentOn": record.sent,
        "Text": record.body or None,
        "PrimaryContactID": links.contact_id,
        "AccountID": links.account_id,
    }


def hints(record: EmailRecord) -> LinkHints:
    addresses = [record.sender] if record.sender else []
    return LinkHints(addresses=(*addresses, *record.to, *record.cc))


MAPPING = TypeMapping(
    ItemType.EMAIL,
    "EMailCollection",
    (
        "Subject",
        "MessageID",
        "FromEmailURI",
        "ToEmailURIs",
        "CcEmailURIs",
        "SentOn",
        "Text",
        "PrimaryContactID",
        "AccountID",
    ),
    to_c4c,
    None,
    hints,
    needs_link=True,
)
