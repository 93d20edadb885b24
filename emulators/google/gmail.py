"""The Gmail API v1 (``/gmail/v1/users/{userId}/...``): labels, messages, history, profile.

Answers have the shapes of the discovery document's schemas (``Label``, ``Message``,
``ListMessagesResponse``, ``ListHistoryResponse``, ``Profile``); tests validate them against
the document shipped with google-api-python-client.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from emulators.google.errors import GoogleError, invalid
from emulators.google.gmail_store import GmailLabel, GmailMailbox, GmailMessage, urlsafe
from emulators.google.params import bounded_int, json_body, page_start

FORMATS = ("full", "metadata", "minimal", "raw")
MAX_RESULTS = 500
HISTORY_TYPE = {
    "messagesAdded": "messageAdded",
    "messagesDeleted": "messageDeleted",
    "labelsAdded": "labelAdded",
    "labelsRemoved": "labelRemoved",
}
"""A history record's field name → the ``historyTypes`` value that asks for it."""
HISTORY_KINDS = tuple(HISTORY_TYPE.values())
_TERM = re.compile(r'(?:(\w+):)?("[^"]*"|\S+)')


def create_blueprint(mailbox_of: Callable[[str], GmailMailbox]) -> Blueprint:
    """Gmail over the mailboxes ``mailbox_of(user_id)`` finds for the signed-in caller."""
    gmail = Blueprint("gmail", __name__, url_prefix="/gmail/v1/users/<user_id>")

    @gmail.url_value_preprocessor
    def take_user_id(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.user_id = (values or {}).pop("user_id", "")

    def box() -> GmailMailbox:
        return mailbox_of(g.user_id)

    @gmail.get("/profile")
    def profile() -> Response:
        mailbox = box()
        return jsonify(
            emailAddress=mailbox.address,
            messagesTotal=len(mailbox.messages),
            threadsTotal=len({m.thread_id for m in mailbox.messages.values()}),
            historyId=str(mailbox.history_id),
        )

    # -- labels ---------------------------------------------------------------------------------

    @gmail.get("/labels")
    def list_labels() -> Response:
        with box().lock:
            return jsonify(labels=[label_json(label) for label in box().labels.values()])

    @gmail.get("/labels/<label_id>")
    def get_label(label_id: str) -> Response:
        mailbox = box()
        with mailbox.lock:
            label = mailbox.labels.get(label_id)
            if label is None:
                raise GoogleError(404, "notFound", "Requested entity was not found.")
            return jsonify(label_json(label, counts=label_counts(mailbox, label)))

    @gmail.post("/labels")
    def create_label() -> Response:
        body = json_body()
        name = body.get("name")
        if not isinstance(name, str):
            raise invalid("Invalid label name")
        with box().lock:
            label = box().create_label(
                name,
                color=body.get("color"),
                label_list_visibility=body.get("labelListVisibility", "labelShow"),
                message_list_visibility=body.get("messageListVisibility", "show"),
            )
            return jsonify(label_json(label))

    @gmail.delete("/labels/<label_id>")
    def delete_label(label_id: str) -> tuple[str, int]:
        with box().lock:
            box().delete_label(label_id)
        return "", 204

    # -- messages -------------------------------------------------------------------------------

    @gmail.get("/messages")
    def list_messages() -> Response:
        mailbox = box()
        size = bounded_int("maxResults", 100, 1, MAX_RESULTS)
        start = page_start()
        wanted_labels = request.args.getlist("labelIds")
        spam_trash = request.args.get("includeSpamTrash", "false").lower() == "true"
        with mailbox.lock:
            matcher = query_matcher(mailbox, request.args.get("q", ""))
            found = [
                message
                for message in sorted(
                    mailbox.messages.values(),
                    key=lambda m: (m.internal_date, m.id),
                    reverse=True,
                )
                if all(label in message.label_ids for label in wanted_labels)
                and (spam_trash or not {"SPAM", "TRASH"} & set(message.label_ids))
                and matcher(message)
            ]
        page = found[start : start + size]
        answer: dict[str, Any] = {"resultSizeEstimate": len(found)}
        if page:
            answer["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
        if start + size < len(found):
            answer["nextPageToken"] = str(start + size)
        return jsonify(answer)

    @gmail.get("/messages/<message_id>")
    def get_message(message_id: str) -> Response:
        shape = request.args.get("format", "full")
        if shape not in FORMATS:
            raise invalid(f"Invalid value at 'format' ({shape})")
        with box().lock:
            message = box().message(message_id)
            return jsonify(message_json(message, shape, request.args.getlist("metadataHeaders")))

    @gmail.post("/messages")
    def insert_message() -> Response:
        body = json_body()
        raw = body.get("raw")
        if not isinstance(raw, str) or not raw:
            raise invalid(
                "'raw' RFC822 payload message string or uploading message via /upload/* URL "
                "required"
            )
        try:
            data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        except (binascii.Error, ValueError):
            raise invalid("Invalid value for ByteString: raw") from None
        labels = body.get("labelIds") or []
        if not isinstance(labels, list):
            raise invalid("Invalid value at 'message.label_ids'")
        with box().lock:
            message = box().insert(data, [str(label) for label in labels], body.get("threadId"))
            return jsonify(id=message.id, threadId=message.thread_id, labelIds=message.label_ids)

    @gmail.post("/messages/<message_id>/modify")
    def modify_message(message_id: str) -> Response:
        body = json_body()
        add, remove = body.get("addLabelIds") or [], body.get("removeLabelIds") or []
        if not isinstance(add, list) or not isinstance(remove, list):
            raise invalid("Invalid value at 'add_label_ids'")
        if not add and not remove:
            raise invalid("No label add or removes specified")
        with box().lock:
            message = box().modify(message_id, [str(x) for x in add], [str(x) for x in remove])
            return jsonify(id=message.id, threadId=message.thread_id, labelIds=message.label_ids)

    @gmail.delete("/messages/<message_id>")
    def delete_message(message_id: str) -> tuple[str, int]:
        with box().lock:
            box().delete(message_id)
        return "", 204

    # -- history --------------------------------------------------------------------------------

    @gmail.get("/history")
    def list_history() -> Response:
        mailbox = box()
        raw_start = request.args.get("startHistoryId", "")
        if not raw_start.isdigit():
            raise invalid("Invalid startHistoryId")
        start_id = int(raw_start)
        size = bounded_int("maxResults", 100, 1, MAX_RESULTS)
        kinds = request.args.getlist("historyTypes") or list(HISTORY_KINDS)
        if any(kind not in HISTORY_KINDS for kind in kinds):
            raise invalid("Invalid value at 'history_types'")
        label_id = request.args.get("labelId")
        with mailbox.lock:
            if start_id < mailbox.history_floor:
                raise GoogleError(404, "notFound", "Requested entity was not found.")
            records = [
                record
                for record in mailbox.history
                if record.id > start_id
                and HISTORY_TYPE[record.kind] in kinds
                and (label_id is None or _touches(mailbox, record, label_id))
            ]
            start = page_start()
            page = records[start : start + size]
            answer: dict[str, Any] = {"historyId": str(mailbox.history_id)}
            if page:
                answer["history"] = [history_json(mailbox, record) for record in page]
            if start + size < len(records):
                answer["nextPageToken"] = str(start + size)
        return jsonify(answer)

    return gmail


# -- shapes ---------------------------------------------------------------------------------------


def label_json(label: GmailLabel, counts: dict[str, int] | None = None) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": label.id, "name": label.name, "type": label.type}
    if label.type == "user":
        shown["labelListVisibility"] = label.label_list_visibility
        shown["messageListVisibility"] = label.message_list_visibility
    if label.color:
        shown["color"] = {
            "backgroundColor": label.color["backgroundColor"].lower(),
            "textColor": label.color["textColor"].lower(),
        }
    return {**shown, **(counts or {})}


def label_counts(mailbox: GmailMailbox, label: GmailLabel) -> dict[str, int]:
    tagged = [m for m in mailbox.messages.values() if label.id in m.label_ids]
    unread = [m for m in tagged if "UNREAD" in m.label_ids]
    return {
        "messagesTotal": len(tagged),
        "messagesUnread": len(unread),
        "threadsTotal": len({m.thread_id for m in tagged}),
        "threadsUnread": len({m.thread_id for m in unread}),
    }


def message_json(message: GmailMessage, shape: str, metadata_headers: list[str]) -> dict[str, Any]:
    """A message in one of Gmail's formats: ``minimal``, ``metadata``, ``full`` or ``raw``."""
    text = message.body_text
    shown: dict[str, Any] = {
        "id": message.id,
        "threadId": message.thread_id,
        "labelIds": list(message.label_ids),
        "snippet": " ".join(text.split())[:200],
        "sizeEstimate": len(message.raw),
        "historyId": str(message.history_id),
        "internalDate": str(int(message.internal_date.timestamp() * 1000)),
    }
    if shape == "raw":
        shown["raw"] = urlsafe(message.raw)
        return shown
    if shape == "minimal":
        return shown
    headers = [{"name": name, "value": str(value)} for name, value in message.parsed.items()]
    if shape == "metadata" and metadata_headers:
        wanted = {name.lower() for name in metadata_headers}
        headers = [header for header in headers if header["name"].lower() in wanted]
    payload: dict[str, Any] = {
        "partId": "",
        "mimeType": message.parsed.get_content_type(),
        "filename": "",
        "headers": headers,
        "body": {"size": 0},
    }
    if shape == "full":
        data = text.encode()
        payload["body"] = {"size": len(data), "data": urlsafe(data)}
    shown["payload"] = payload
    return shown


def history_json(mailbox: GmailMailbox, record: Any) -> dict[str, Any]:
    current = mailbox.messages.get(record.message_id)
    brief: dict[str, Any] = {"id": record.message_id, "threadId": record.thread_id}
    if current is not None:
        brief["labelIds"] = list(current.label_ids)
    entry: dict[str, Any] = {"id": str(record.id), "messages": [brief]}
    if record.kind in ("messagesAdded", "messagesDeleted"):
        entry[record.kind] = [{"message": brief}]
    else:
        entry[record.kind] = [{"message": brief, "labelIds": list(record.label_ids)}]
    return entry


def _touches(mailbox: GmailMailbox, record: Any, label_id: str) -> bool:
    if label_id in record.label_ids:
        return True
    current = mailbox.messages.get(record.message_id)
    return current is not None and label_id in current.label_ids


# -- requests -------------------------------------------------------------------------------------


def query_matcher(mailbox: GmailMailbox, query: str) -> Callable[[GmailMessage], bool]:
    """What Gmail's search box understands, the part we use: ``label:``, ``from:``, ``to:``,
    ``subject:``, ``in:``, and free words (searched in subject, sender and body)."""
    checks: list[Callable[[GmailMessage], bool]] = []
    for operator, raw_value in _TERM.findall(query):
        value = raw_value.strip('"').casefold()
        if operator in ("label", "in"):
            label = mailbox.label_by_name(value) or mailbox.label_by_name(value.replace("-", " "))
            label_id = label.id if label else value.upper()
            checks.append(lambda m, label_id=label_id: label_id in m.label_ids)
        elif operator in ("from", "to", "subject"):
            header = {"from": "From", "to": "To", "subject": "Subject"}[operator]
            checks.append(lambda m, h=header, v=value: v in m.header(h).casefold())
        else:
            word = f"{operator}:{value}" if operator else value
            checks.append(
                lambda m, w=word: (
                    w in " ".join((m.header("Subject"), m.header("From"), m.body_text)).casefold()
                )
            )
    return lambda message: all(check(message) for check in checks)
