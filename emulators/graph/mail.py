"""Outlook mail: ``/mailFolders`` (below the hidden root, by id or well-known name such as
``inbox``), their ``childFolders`` and ``messages`` (with ``/delta``), and ``/messages/{id}``.

Mail arrives through :meth:`~emulators.graph.mailbox.Mailbox.receive` (a POST creates only a
draft, as in Graph). A received message takes changes to its flags only (``categories``, ``isRead``,
``flag``, ``importance``...): changing what was sent (subject, body, addresses) is refused.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, g

from emulators.graph import items
from emulators.graph.errors import bad_request
from emulators.graph.mailbox import Folder, Item, Mailbox
from emulators.graph.odata import answer, page
from emulators.graph.schema import ItemType, preview

SENT_CONTENT = frozenset(
    {"subject", "body", "from", "sender", "toRecipients", "ccRecipients", "bccRecipients",
     "replyTo", "internetMessageId"}
)  # fmt: skip
"""What only a draft may change."""


class MessageType(ItemType):
    name = "message"
    properties = {  # noqa: RUF012
        "receivedDateTime": None, "sentDateTime": None, "hasAttachments": False,
        "internetMessageId": None, "subject": "", "bodyPreview": "", "importance": "normal",
        "conversationId": None, "conversationIndex": None,
        "isDeliveryReceiptRequested": False, "isReadReceiptRequested": False, "isRead": False,
        "isDraft": False, "webLink": None, "inferenceClassification": "focused",
        "body": {"contentType": "text", "content": ""}, "sender": None, "from": None,
        "toRecipients": [], "ccRecipients": [], "bccRecipients": [], "replyTo": [],
        "flag": {"flagStatus": "notFlagged"},
    }  # fmt: skip
    writable = SENT_CONTENT | {
        "isRead", "flag", "importance", "inferenceClassification",
        "isDeliveryReceiptRequested", "isReadReceiptRequested",
    }  # fmt: skip
    complex_values = frozenset({"sender", "from"})
    enums = {  # noqa: RUF012
        "importance": ("microsoft.graph.importance", ("low", "normal", "high")),
        "inferenceClassification": (
            "microsoft.graph.inferenceClassificationType", ("focused", "other"),
        ),
    }  # fmt: skip

    def before_update(self, item: Item, changes: dict[str, Any]) -> None:
        if not item.fields.get("isDraft") and SENT_CONTENT & set(changes):
            raise bad_request(
                "Update operation is invalid for property of a sent message.",
                "ErrorInvalidPropertyUpdateSentMessage",
            )

    def adjust(self, changes: dict[str, Any], item: Item | None, mailbox: Mailbox) -> None:
        if item is None:
            changes["isDraft"] = True
        if "body" in changes:
            changes["bodyPreview"] = preview(changes["body"])

    def computed(self, item: Item, mailbox: Mailbox) -> dict[str, Any]:
        return {
            "webLink": f"https://outlook.office365.com/owa/?ItemID={quote(item.id, safe='')}"
            "&exvsurl=1&viewmodel=ReadMessageItem"
        }


MESSAGE = MessageType()


def render_folder(folder: Folder, mailbox: Mailbox) -> dict[str, Any]:
    held = mailbox.items_in(folder.id)
    return {
        "id": folder.id,
        "displayName": folder.display_name,
        "parentFolderId": folder.parent_id,
        "childFolderCount": len(mailbox.children(folder.id, "mailFolder")),
        "unreadItemCount": sum(1 for i in held if not i.fields.get("isRead", False)),
        "totalItemCount": len(held),
        "isHidden": folder.hidden,
    }


def create_blueprint() -> Blueprint:
    mail = Blueprint("mail", __name__)

    def folder(folder_id: str) -> Folder:
        return g.mailbox.folder("mailFolder", folder_id)

    def message(item_id: str, folder_id: str | None = None) -> Item:
        return g.mailbox.item("message", item_id, folder(folder_id).id if folder_id else None)

    def folders_below(parent: Folder, path: str) -> Response:
        found = [f for f in g.mailbox.children(parent.id, "mailFolder") if not f.hidden]
        entities = [render_folder(f, g.mailbox) for f in found]
        return page(entities, items.context(g.mailbox, path))

    def new_folder(parent: Folder) -> Response:
        made = g.mailbox.add_unique_folder("mailFolder", items.folder_name(), parent.id)
        return answer(render_folder(made, g.mailbox), 201)

    @mail.get("/mailFolders")
    def list_folders() -> Response:
        return folders_below(folder("msgfolderroot"), "mailFolders")

    @mail.post("/mailFolders")
    def create_folder() -> Response:
        return new_folder(folder("msgfolderroot"))

    @mail.get("/mailFolders/<folder_id>")
    def get_folder(folder_id: str) -> Response:
        return answer(render_folder(folder(folder_id), g.mailbox))

    @mail.get("/mailFolders/<folder_id>/childFolders")
    def list_children(folder_id: str) -> Response:
        parent = folder(folder_id)
        return folders_below(parent, f"mailFolders('{parent.id}')/childFolders")

    @mail.post("/mailFolders/<folder_id>/childFolders")
    def create_child(folder_id: str) -> Response:
        return new_folder(folder(folder_id))

    items.add_collection_routes(mail, MESSAGE, ("/mailFolders/<folder_id>/messages",), folder)
    items.add_item_routes(
        mail,
        MESSAGE,
        ("/messages/<item_id>", "/mailFolders/<folder_id>/messages/<item_id>"),
        message,
    )
    return mail
