"""Outlook contacts: ``/contactFolders`` (the folders in the default Contacts folder),
``/contacts`` (the default folder's items) and ``/contactFolders/{id}/contacts``, each with
``/delta``. A contact needs no name: Exchange saves one without any, as Graph does."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g

from emulators.graph import items
from emulators.graph.errors import bad_request
from emulators.graph.mailbox import Folder, Item, Mailbox
from emulators.graph.odata import answer, page
from emulators.graph.schema import ItemType

_ADDRESS = {"street", "city", "state", "countryOrRegion", "postalCode"}


class ContactType(ItemType):
    name = "contact"
    properties = {  # noqa: RUF012
        "birthday": None, "fileAs": "", "displayName": None, "givenName": None,
        "initials": None, "middleName": None, "nickName": None, "surname": None, "title": None,
        "yomiGivenName": None, "yomiSurname": None, "yomiCompanyName": None, "generation": None,
        "imAddresses": [], "jobTitle": None, "companyName": None, "department": None,
        "officeLocation": None, "profession": None, "businessHomePage": None,
        "assistantName": None, "manager": None, "homePhones": [], "mobilePhone": None,
        "businessPhones": [], "spouseName": None, "personalNotes": "", "children": [],
        "emailAddresses": [], "homeAddress": {}, "businessAddress": {}, "otherAddress": {},
    }  # fmt: skip
    writable = frozenset(properties)

    def adjust(self, changes: dict[str, Any], item: Item | None, mailbox: Mailbox) -> None:
        for name in ("homeAddress", "businessAddress", "otherAddress"):
            unknown = set(changes.get(name) or {}) - _ADDRESS
            if unknown:
                raise bad_request(
                    f"The property '{sorted(unknown)[0]}' does not exist on type "
                    "'microsoft.graph.physicalAddress'.",
                    "RequestBodyRead",
                )
        if "emailAddresses" in changes:
            changes["emailAddresses"] = [
                {"name": entry.get("name") or entry.get("address"), "address": entry.get("address")}
                for entry in changes["emailAddresses"]
                if isinstance(entry, dict)
            ]
        if item is None and not changes.get("displayName"):
            names = (changes.get("givenName"), changes.get("surname"))
            changes["displayName"] = " ".join(n for n in names if n) or None


CONTACT = ContactType()


def render_folder(folder: Folder) -> dict[str, Any]:
    return {"id": folder.id, "displayName": folder.display_name, "parentFolderId": folder.parent_id}


def create_blueprint() -> Blueprint:
    contacts = Blueprint("contacts", __name__)

    def folder(folder_id: str = "contacts") -> Folder:
        return g.mailbox.folder("contactFolder", folder_id)

    def contact(item_id: str, folder_id: str | None = None) -> Item:
        return g.mailbox.item("contact", item_id, folder(folder_id).id if folder_id else None)

    @contacts.get("/contactFolders")
    def list_folders() -> Response:
        found = g.mailbox.children(folder().id, "contactFolder")
        return page([render_folder(f) for f in found], items.context(g.mailbox, "contactFolders"))

    @contacts.post("/contactFolders")
    def create_folder() -> Response:
        made = g.mailbox.add_unique_folder("contactFolder", items.folder_name(), folder().id)
        return answer(render_folder(made), 201)

    @contacts.get("/contactFolders/<folder_id>")
    def get_folder(folder_id: str) -> Response:
        return answer(render_folder(folder(folder_id)))

    items.add_collection_routes(
        contacts, CONTACT, ("/contacts", "/contactFolders/<folder_id>/contacts"), folder
    )
    items.add_item_routes(
        contacts,
        CONTACT,
        ("/contacts/<item_id>", "/contactFolders/<folder_id>/contacts/<item_id>"),
        contact,
    )
    return contacts
