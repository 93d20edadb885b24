"""The emulated Outlook on the web (``emulators.owa``) over the Graph emulator's Exchange Online
mailboxes, as ``outlook.office365.com/owa/`` is for them: the mail folders, the calendar and the
contact folders, items named by Outlook's deep links (EWS ids, which are Graph's ids in standard
base64). People sign in with a password given to the emulator for their mailbox
(``GraphStore.web_passwords``), standing in for their Microsoft account's."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask

from emulators import owa
from emulators.graph.mailbox import Folder as GraphFolder
from emulators.graph.mailbox import Item, Mailbox
from emulators.graph.store import GraphStore
from emulators.owa import Chip, Folder, Row, ews_id, rest_id

GROUPS = {"mailFolder": "Mail", "calendar": "Calendar", "contactFolder": "People"}
SHOWN_MAIL = ("inbox", "sentitems", "drafts", "deleteditems")
OFFICE_ITEM_TYPES = {"message": "message", "event": "appointment", "contact": "contact"}


def _folders(mailbox: Mailbox) -> list[GraphFolder]:
    """The folders Outlook lists: the usual mail folders and ours, the calendar, contacts."""
    root = mailbox.folder("mailFolder", "msgfolderroot")
    mail = mailbox.children(root.id, "mailFolder")
    usual = [f for name in SHOWN_MAIL for f in mail if f.well_known == name]
    ours = sorted((f for f in mail if not f.well_known), key=lambda f: f.display_name)
    contacts = mailbox.default_folder("contactFolder")
    people = sorted(mailbox.children(contacts.id, "contactFolder"), key=lambda f: f.display_name)
    return [*usual, *ours, mailbox.default_folder("calendar"), contacts, *people]


def _key(folder: GraphFolder) -> str:
    return folder.well_known or folder.id


def _chips(mailbox: Mailbox, item: Item) -> tuple[Chip, ...]:
    colours = {c["displayName"]: c["color"] for c in mailbox.categories.values()}
    return tuple(
        Chip(name, owa.PRESET_COLOURS.get((colours.get(name) or "").removeprefix("preset")))
        for name in item.fields.get("categories") or []
    )


def _address(entry: Any) -> str:
    return ((entry or {}).get("emailAddress") or {}).get("address") or ""


def _row(mailbox: Mailbox, item: Item) -> Row:
    fields, office_type = item.fields, OFFICE_ITEM_TYPES.get(item.kind, item.kind)
    if item.kind == "contact":
        name = fields.get("displayName") or " ".join(
            filter(None, (fields.get("givenName"), fields.get("surname")))
        )
        details = [
            ("Company", fields.get("companyName") or ""),
            ("Job title", fields.get("jobTitle") or ""),
            ("E-mail", ", ".join(e.get("address", "") for e in fields.get("emailAddresses") or [])),
            ("Phone", ", ".join(fields.get("businessPhones") or [])),
        ]
        return Row(item.id, item.id, office_type, name or "(no name)",
                   fields.get("companyName") or "", (name or "").lower(), _chips(mailbox, item),
                   details=tuple(line for line in details if line[1]))  # fmt: skip
    if item.kind == "event":
        who = ", ".join(_address(a) for a in fields.get("attendees") or [])
        when = ((fields.get("start") or {}).get("dateTime") or "").replace("T", " ")[:16]
    else:
        who, when = _address(fields.get("from")), (fields.get("receivedDateTime") or "")
        when = when.replace("T", " ").removesuffix("Z")[:16]
    body = (fields.get("body") or {}).get("content") or ""
    return Row(item.id, item.id, office_type, fields.get("subject") or "(no subject)", who, when,
               _chips(mailbox, item), body)  # fmt: skip


class GraphMailClient:
    """The Graph emulator's store, as the preview sees it."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.lock = store.lock

    def _mailbox(self, address: str) -> Mailbox:
        found = self.store.find_mailbox(address)
        assert found is not None
        return found

    def signs_in(self, address: str, password: str) -> bool:
        wanted = self.store.web_passwords.get(address)
        return bool(wanted) and self.knows(address) and secrets.compare_digest(wanted, password)

    def knows(self, address: str) -> bool:
        return address in self.store.mailboxes

    def language(self, address: str) -> str | None:
        return None  # the browser's, as in Outlook on the web before a choice

    def folders(self, address: str) -> tuple[Folder, ...]:
        return tuple(Folder(_key(f), f.display_name, GROUPS[f.kind])
                     for f in _folders(self._mailbox(address)))  # fmt: skip

    def rows(self, address: str, folder_key: str) -> list[Row]:
        mailbox = self._mailbox(address)
        folder = next((f for f in _folders(mailbox) if _key(f) == folder_key), None)
        return [_row(mailbox, item) for item in mailbox.items_in(folder.id)] if folder else []

    def _item(self, mailbox: Mailbox, any_id: str) -> Item | None:
        return mailbox.items.get(rest_id(ews_id(any_id)))

    def find(self, address: str, any_id: str) -> tuple[Row, str] | None:
        mailbox = self._mailbox(address)
        item = self._item(mailbox, any_id)
        if item is None or item.kind not in OFFICE_ITEM_TYPES:
            return None
        key = next((_key(f) for f in _folders(mailbox) if f.id == item.folder_id), "inbox")
        return _row(mailbox, item), key

    def change_categories(
        self, address: str, any_id: str, add: list[str], remove: list[str]
    ) -> tuple[Chip, ...] | None:
        mailbox = self._mailbox(address)
        item = self._item(mailbox, any_id)
        if item is None:
            return None
        current = list(item.fields.get("categories") or [])
        wanted = [c for c in current if c not in set(remove)]
        wanted += [c for c in add if c not in wanted]
        if wanted != current:
            mailbox.touch(item, {"categories": wanted})
        return _chips(mailbox, item)


def install(app: Flask, store: GraphStore, addin_url: str | None) -> None:
    """Serve the emulated Outlook on the web from the Graph emulator's app."""
    owa.install(app, GraphMailClient(store), addin_url, "Exchange Online")
