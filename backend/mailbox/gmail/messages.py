"""E-mails through the Gmail API: the messages labelled "SAP E-Mails".

A failing one also gets "SAP E-Mails/Sync Error", red from Gmail's palette (the parent label is
created first, as Gmail nests by "/"). The cursor is Gmail's ``historyId``: a stale one (404)
gives a full read, as the Exchange provider does for an invalid sync state. Messages are read
50 per request through Gmail's batch endpoint, whose address is always given (the library's
default would be Google's public batch URL).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from backend.mailbox import cursors
from backend.mailbox.base import (
    Changes,
    EmailRecord,
    ItemRecord,
    ItemRef,
    UnsupportedOperation,
    follow_folder,
)
from backend.mailbox.gmail.part import ApiPart
from backend.models.types import ItemType

SAP_LABEL = "SAP E-Mails"
ERROR_LABEL = f"{SAP_LABEL}/Sync Error"
RED = {"backgroundColor": "#cc3a21", "textColor": "#ffffff"}
"""The error label's colour: the red of Gmail's palette that white text reads on (WCAG AA)."""
PAGE = 500
BATCH = 50
"""Messages read per batch request (Gmail takes up to 100 and advises at most 50)."""
ONE_WAY = "E-mails sync from the mailbox to C4C only"


class GmailMessages(ApiPart):
    """The mailbox's e-mails: labels, history, messages."""

    _labels: dict[str, str] | None = None
    _sap: str | None = None
    """The label "SAP E-Mails" as this run found it (followed when the user renamed it)."""

    def activate(self) -> None:
        self.ensure_labels()

    def ensure_labels(self) -> None:
        self._ensure_label(SAP_LABEL)
        self._ensure_label(ERROR_LABEL, color=RED)

    def _label_ids(self) -> dict[str, str]:
        """Label name → id, read once per provider instance."""
        if self._labels is None:
            found = self._clients.run(self._clients.api.labels.list(userId="me")).get("labels", [])
            self._labels = {label["name"]: label["id"] for label in found}
        return self._labels

    def _ensure_label(self, name: str, **fields: Any) -> str:
        labels = self._label_ids()
        if name not in labels:
            body = {"name": name, "labelListVisibility": "labelShow",
                    "messageListVisibility": "show", **fields}  # fmt: skip
            created = self._clients.run(self._clients.api.labels.create(userId="me", body=body))
            labels[name] = created["id"]
        return labels[name]

    def _names(self) -> dict[str, str]:
        return {label_id: name for name, label_id in self._label_ids().items()}

    # -- reading ------------------------------------------------------------------------------

    def changes(self, item_type: ItemType, cursor: str | None) -> Changes:
        """The messages labelled "SAP E-Mails" that changed since the cursor's history id (all
        of them when there is none, or it is too old). The history is read first: when it names
        no message, the labels are not listed, and the label is the one the cursor kept while
        it was looked up lately (:data:`~backend.mailbox.cursors.FOLDER_CHECK_SECONDS`)."""
        kept, history = cursors.unpack_with(cursor, "history")
        trusted = cursors.trusted_folder(kept, SAP_LABEL)
        first = None
        if history and history.isdigit() and trusted and self._labels is None:
            first = self._history_page(history)
            if first is not None and not first.get("history") and "nextPageToken" not in first:
                self._sap = trusted[0]
                latest = str(first.get("historyId", history))
                next_cursor = cursors.trusted_cursor(kept, SAP_LABEL, trusted, history=latest)
                return Changes(ItemType.EMAIL, (), (), next_cursor, False)
        sap, change = follow_folder(
            SAP_LABEL, self._label_ids(), cursors.kept_folder(kept, SAP_LABEL),
            lambda: self._ensure_label(SAP_LABEL),
        )  # fmt: skip
        self._sap = sap
        self._note(SAP_LABEL, change)
        if history and history.isdigit() and not self._put_back(SAP_LABEL):
            try:
                return self._since(sap, history, first)
            except HttpError as error:
                if error.resp.status != 404:
                    raise
                return replace(self._everything(sap), cursor_lost=True)  # history gone
        return self._everything(sap)

    def _history_page(self, history: str) -> dict[str, Any] | None:
        """The first page of history since ``history``; ``None`` when it is gone."""
        request = self._clients.api.history.list(
            userId="me", startHistoryId=history, maxResults=PAGE
        )
        try:
            return self._clients.run(request)
        except HttpError as error:
            if error.resp.status != 404:
                raise
            return None

    def _cursor(self, history: str) -> str:
        """The next cursor: the history id, and the label as this run looked it up."""
        label = self._sap or ""
        kept = cursors.keep_checked_folder(SAP_LABEL, label, self._names().get(label, ""))
        return cursors.pack_cursor({"history": history, **kept})

    def _everything(self, sap: str) -> Changes:
        # The history id first: whatever changes while we read shows in the next run.
        start = self._clients.run(self._clients.api.gmail.getProfile(userId="me"))["historyId"]
        names = self._names()
        records = tuple(
            record_from_message(message, names)
            for _id, message in self._messages(list(self._labelled(sap)))
            if message is not None
        )
        return Changes(ItemType.EMAIL, records, (), self._cursor(str(start)), True)

    def _since(self, sap: str, cursor: str, first: dict[str, Any] | None = None) -> Changes:
        """What changed since the history id ``cursor`` (``first``: its first page, if read)."""
        touched: dict[str, None] = {}
        deleted: list[str] = []
        latest = cursor
        history = self._clients.api.history
        request = history.list(userId="me", startHistoryId=cursor, maxResults=PAGE)
        answer = first
        while request is not None:
            if answer is None:
                answer = self._clients.run(request)
            latest = answer.get("historyId", latest)
            for entry in answer.get("history", []):
                for removed in entry.get("messagesDeleted", []):
                    deleted.append(removed["message"]["id"])
                    touched.pop(removed["message"]["id"], None)
                for kind in ("messagesAdded", "labelsAdded", "labelsRemoved"):
                    for change in entry.get(kind, []):
                        if change["message"]["id"] not in deleted:
                            touched[change["message"]["id"]] = None
            request, answer = history.list_next(request, answer), None
        upserted, deselected = [], []
        for message_id, message in self._messages(list(touched)):
            if message is None:
                deleted.append(message_id)
            elif sap in message.get("labelIds", []):
                upserted.append(record_from_message(message, self._names()))
            else:
                deselected.append(message_id)
        return Changes(ItemType.EMAIL, tuple(upserted), tuple(deleted), self._cursor(str(latest)),
                       False, tuple(deselected))  # fmt: skip

    def _labelled(self, label_id: str) -> Iterator[str]:
        """Ids of every message with the label, page by page."""
        messages = self._clients.api.messages
        request = messages.list(userId="me", labelIds=[label_id], maxResults=PAGE)
        while request is not None:
            answer = self._clients.run(request)
            yield from (message["id"] for message in answer.get("messages", []))
            request = messages.list_next(request, answer)

    def _messages(self, ids: list[str]) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """Each message in full (None if it is gone), ``BATCH`` per request to Gmail's batch
        endpoint (its address given explicitly: the library's default is Google's public one)."""
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            if len(chunk) == 1:
                yield chunk[0], self._message(chunk[0])
            else:
                found = self._batch_get(chunk)
                yield from ((message_id, found.get(message_id)) for message_id in chunk)

    def _batch_get(self, ids: list[str]) -> dict[str, dict[str, Any] | None]:
        found: dict[str, dict[str, Any] | None] = {}
        failures: list[BaseException] = []

        def took(request_id: str, response: Any, error: BaseException | None) -> None:
            if error is None:
                found[request_id] = response
            elif isinstance(error, HttpError) and error.resp.status == 404:
                found[request_id] = None
            else:
                failures.append(error)

        batch = BatchHttpRequest(callback=took, batch_uri=self._clients.batch_uri)
        for message_id in ids:
            get = self._clients.api.messages.get(userId="me", id=message_id, format="full")
            batch.add(self._clients.bind(get), request_id=message_id)
        self._clients.run_batch(batch)
        if failures:
            raise failures[0]
        return found

    def _message(self, message_id: str) -> dict[str, Any] | None:
        try:
            return self._full(message_id)
        except HttpError as error:
            if error.resp.status == 404:
                return None
            raise

    def _full(self, message_id: str) -> dict[str, Any]:
        return self._clients.run(
            self._clients.api.messages.get(userId="me", id=message_id, format="full")
        )

    def get(self, item_type: ItemType, item_id: str) -> ItemRecord:
        return record_from_message(self._full(item_id), self._names())

    # -- writing ------------------------------------------------------------------------------

    def create(self, item_type: ItemType, record: ItemRecord) -> ItemRef:
        raise UnsupportedOperation(ONE_WAY)

    def update(self, item_type: ItemType, record: ItemRecord, change_key: str) -> ItemRef:
        raise UnsupportedOperation(ONE_WAY)

    def delete(self, item_type: ItemType, item_id: str) -> None:
        raise UnsupportedOperation(ONE_WAY)

    def set_markers(self, item_type: ItemType, item_id: str) -> None:
        self._relabel(item_id, add=(self._ensure_label(ERROR_LABEL, color=RED),))

    def clear_markers(self, item_type: ItemType, item_id: str) -> None:
        self._relabel(item_id, remove=(self._ensure_label(ERROR_LABEL, color=RED),))

    def select_for_sync(self, item_type: ItemType, item_id: str) -> None:
        self._relabel(item_id, add=(self._sap or self._ensure_label(SAP_LABEL),))

    def _relabel(
        self, item_id: str, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()
    ) -> None:
        body = {"addLabelIds": list(add), "removeLabelIds": list(remove)}
        self._clients.run(self._clients.api.messages.modify(userId="me", id=item_id, body=body))


def record_from_message(message: dict[str, Any], label_names: dict[str, str]) -> EmailRecord:
    """A Gmail message (``format=full``) as an e-mail record; its labels are its categories."""
    payload = message.get("payload", {})
    headers = {h["name"].lower(): h["value"] for h in payload.get("headers", [])}
    sender = getaddresses([headers.get("from", "")])
    internal = datetime.fromtimestamp(int(message.get("internalDate", "0")) / 1000, UTC)
    try:
        sent = parsedate_to_datetime(headers["date"]).astimezone(UTC) if "date" in headers else None
    except (TypeError, ValueError):
        sent = None
    return EmailRecord(
        id=message["id"],
        change_key=message.get("historyId"),
        categories=tuple(label_names.get(label, label) for label in message.get("labelIds", [])),
        modified=internal,
        subject=headers.get("subject"),
        sender=sender[0][1].lower() if sender and sender[0][1] else None,
        to=_addresses(headers.get("to")),
        cc=_addresses(headers.get("cc")),
        sent=sent or internal,
        received=internal,
        body=_text(payload),
        internet_message_id=headers.get("message-id"),
    )


def _addresses(value: str | None) -> tuple[str, ...]:
    return tuple(address.lower() for _name, address in getaddresses([value or ""]) if address)


def _text(part: dict[str, Any]) -> str | None:
    """The first plain-text body of a message part tree."""
    if part.get("mimeType", "").startswith("text/plain") and part.get("body", {}).get("data"):
        data = part["body"]["data"]
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode(errors="replace")
    for child in part.get("parts", []) or []:
        found = _text(child)
        if found is not None:
            return found
    return None
