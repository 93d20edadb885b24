"""The emulated Outlook on the web (``emulators.owa``) over the Exchange emulator's mailboxes:
mail and calendar folders, and the contact folders ("SAP Contacts", "SAP Accounts") whose items
open as contact cards."""

from __future__ import annotations

from flask import Flask
from lxml import etree

from emulators import owa
from emulators.ews.soap import t
from emulators.ews.store import Item, Mailbox, Store
from emulators.owa import Chip, Folder, Row, ews_id, rest_id

FOLDERS = (
    Folder("inbox", "Inbox", "Mail"),
    Folder("sentitems", "Sent Items", "Mail"),
    Folder("sap", "SAP Cloud for Customer", "Mail"),
    Folder("calendar", "Calendar", "Calendar"),
    Folder("contacts", "Contacts", "People"),
    Folder("sap-contacts", "SAP Contacts", "People"),
    Folder("sap-accounts", "SAP Accounts", "People"),
)
PATHS = {
    "sap": ("SAP Cloud for Customer",),
    "sap-contacts": ("Contacts", "SAP Contacts"),
    "sap-accounts": ("Contacts", "SAP Accounts"),
}
OFFICE_ITEM_TYPES = {"Message": "message", "CalendarItem": "appointment", "Contact": "contact"}
CATEGORY_LIST_NS = "CategoryList.xsd"


def _folder_id(mailbox: Mailbox, key: str) -> str | None:
    try:
        if key in PATHS:
            return mailbox.folder_by_path(*PATHS[key]).id
        return mailbox.distinguished(key).id
    except Exception:  # a folder this mailbox does not have (yet)
        return None


def _colours(mailbox: Mailbox) -> dict[str, str | None]:
    """Category name → CSS colour, from the master category list (``None``: no colour)."""
    for (_folder_id, name), stored in mailbox.user_configurations.items():
        data = stored.get("XmlData")
        if name != "CategoryList" or not isinstance(data, bytes):
            continue
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
        return {
            c.get("name"): owa.PRESET_COLOURS.get(c.get("color") or "")
            for c in root.iter(f"{{{CATEGORY_LIST_NS}}}category")
        }
    return {}


def _chips(mailbox: Mailbox, item: Item) -> tuple[Chip, ...]:
    colours = _colours(mailbox)
    return tuple(Chip(name, colours.get(name)) for name in item.texts("Categories"))


def _first(item: Item, name: str) -> str:
    return (item.texts(name) or [""])[0]


def _contact_details(item: Item) -> tuple[tuple[str, str], ...]:
    lines = [
        ("Company", _first(item, "CompanyName")),
        ("Job title", _first(item, "JobTitle")),
        ("E-mail", ", ".join(v for v in item.texts("EmailAddresses") if v)),
        ("Phone", ", ".join(v for v in item.texts("PhoneNumbers") if v)),
    ]
    return tuple((label, value) for label, value in lines if value)


def _row(mailbox: Mailbox, item: Item) -> Row:
    office_type = OFFICE_ITEM_TYPES.get(item.kind, item.kind.lower())
    if item.kind == "Contact":
        name = _first(item, "DisplayName") or " ".join(
            filter(None, (_first(item, "GivenName"), _first(item, "Surname")))
        )
        return Row(item.id, rest_id(item.id), office_type, name or "(no name)",
                   _first(item, "CompanyName"), name.lower(), _chips(mailbox, item),
                   details=_contact_details(item))  # fmt: skip
    sender = item.fields.get("From")
    who = sender.findtext(f"{t('Mailbox')}/{t('EmailAddress')}") or "" if sender is not None else ""
    when_field = "DateTimeReceived" if item.kind == "Message" else "Start"
    when = _first(item, when_field).replace("T", " ").removesuffix("Z")[:16]
    return Row(item.id, rest_id(item.id), office_type, _first(item, "Subject") or "(no subject)",
               who, when, _chips(mailbox, item), _first(item, "Body"))  # fmt: skip


class EwsMailClient:
    """The Exchange emulator's store, as the preview sees it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = store.lock

    def signs_in(self, address: str, password: str) -> bool:
        mailbox = self.store.mailboxes.get(address)
        return mailbox is not None and bool(mailbox.password) and mailbox.password == password

    def knows(self, address: str) -> bool:
        return address in self.store.mailboxes

    def language(self, address: str) -> str | None:
        return self.store.mailboxes[address].language

    def folders(self, address: str) -> tuple[Folder, ...]:
        mailbox = self.store.mailboxes[address]
        return tuple(f for f in FOLDERS if _folder_id(mailbox, f.key) is not None)

    def rows(self, address: str, folder_key: str) -> list[Row]:
        mailbox = self.store.mailboxes[address]
        folder_id = _folder_id(mailbox, folder_key)
        return [_row(mailbox, item) for item in mailbox.items_in(folder_id)] if folder_id else []

    def find(self, address: str, any_id: str) -> tuple[Row, str] | None:
        mailbox = self.store.mailboxes[address]
        item = mailbox.items.get(ews_id(any_id))
        if item is None:
            return None
        key = next((f.key for f in FOLDERS if _folder_id(mailbox, f.key) == item.folder_id),
                   "inbox")  # fmt: skip
        return _row(mailbox, item), key

    def change_categories(
        self, address: str, any_id: str, add: list[str], remove: list[str]
    ) -> tuple[Chip, ...] | None:
        mailbox = self.store.mailboxes[address]
        item = mailbox.items.get(ews_id(any_id))
        if item is None:
            return None
        current = item.texts("Categories")
        wanted = [c for c in current if c not in set(remove)]
        wanted += [c for c in add if c not in wanted]
        if wanted != current:
            element = etree.Element(t("Categories"))
            for name in wanted:
                etree.SubElement(element, t("String")).text = name
            if wanted:
                item.fields["Categories"] = element
            else:
                item.fields.pop("Categories", None)
            mailbox.changed(item)
        return _chips(mailbox, item)


def install(app: Flask, store: Store, addin_url: str | None) -> None:
    """Serve the emulated Outlook on the web from the Exchange emulator's app."""
    owa.install(app, EwsMailClient(store), addin_url, "Exchange")
