"""Enumerations shared by several aggregates. Values equal names so rows and logs read well."""

from __future__ import annotations

from enum import StrEnum

from backend.text import N_


class ItemType(StrEnum):
    CONTACT = "CONTACT"
    ACCOUNT = "ACCOUNT"
    TASK = "TASK"
    EMAIL = "EMAIL"
    APPOINTMENT = "APPOINTMENT"


ITEM_TYPE_LABELS = {
    ItemType.CONTACT: N_("Contacts"),
    ItemType.ACCOUNT: N_("Accounts"),
    ItemType.TASK: N_("Tasks"),
    ItemType.EMAIL: N_("E-Mails"),
    ItemType.APPOINTMENT: N_("Appointments"),
}
"""How pages and e-mails name each item type, in the order the Issues tab shows the groups
(English; a page translates them where it shows them)."""


class Direction(StrEnum):
    """Which way data flows: ``UP`` is mailbox to C4C, ``DOWN`` is C4C to mailbox."""

    UP = "UP"
    DOWN = "DOWN"
    BOTH = "BOTH"


class IssueCode(StrEnum):
    """The taxonomy every failure is classified into (PRODUCT.md section 4)."""

    TEMPORARY = "TEMPORARY"
    NEEDS_INPUT = "NEEDS_INPUT"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    NOT_FOUND = "NOT_FOUND"
    CURSOR_INVALID = "CURSOR_INVALID"
    AUTH = "AUTH"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    UNKNOWN = "UNKNOWN"


class MailSystem(StrEnum):
    EXCHANGE_SERVER = "EXCHANGE_SERVER"
    EXCHANGE_ONLINE = "EXCHANGE_ONLINE"
    GMAIL = "GMAIL"
