"""A Gmail mailbox in memory: labels, messages and the history of their changes.

History ids grow with every change (a message added or deleted, labels added or removed), and
``users.history.list`` answers the records after a start id. Gmail keeps history for a limited
time: :meth:`GmailMailbox.forget_history` drops what came before now, after which an older
start id is 404, as a stale one is in Gmail.
"""

from __future__ import annotations

import base64
import itertools
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

from emulators.google.errors import GoogleError, invalid, not_found

SYSTEM_LABELS = (
    "INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "STARRED", "IMPORTANT",
    "CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES",
    "CATEGORY_FORUMS", "CHAT",
)  # fmt: skip
_PALETTE_TEXT = """
    #000000 #434343 #666666 #999999 #cccccc #efefef #f3f3f3 #ffffff
    #fb4c2f #ffad47 #fad165 #16a766 #43d692 #4a86e8 #a479e2 #f691b3
    #f6c5be #ffe6c7 #fef1d1 #b9e4d0 #c6f3de #c9daf8 #e4d7f5 #fcdee8
    #efa093 #ffd6a2 #fce8b3 #89d3b2 #a0eac9 #a4c2f4 #d0bcf1 #fbc8d9
    #e66550 #ffbc6b #fcda83 #44b984 #68dfa9 #6d9eeb #b694e8 #f7a7c0
    #cc3a21 #eaa041 #f2c960 #149e60 #3dc789 #3c78d8 #8e63ce #e07798
    #ac2b16 #cf8933 #d5ae49 #0b804b #2a9c68 #285bac #653e9b #b65775
    #822111 #a46a21 #aa8831 #076239 #1a764d #1c4587 #41236d #83334c
"""
PALETTE = frozenset(_PALETTE_TEXT.split())
"""Gmail's fixed label colour palette: background and text colours must both be in it."""


@dataclass
class GmailLabel:
    id: str
    name: str
    type: str = "user"
    label_list_visibility: str = "labelShow"
    message_list_visibility: str = "show"
    color: dict[str, str] | None = None


@dataclass
class GmailMessage:
    id: str
    thread_id: str
    raw: bytes
    label_ids: list[str]
    internal_date: datetime
    history_id: int

    @property
    def parsed(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]

    def header(self, name: str) -> str:
        return str(self.parsed.get(name, "") or "")

    @property
    def body_text(self) -> str:
        part = self.parsed.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


@dataclass
class HistoryRecord:
    id: int
    kind: str
    """``messagesAdded``, ``messagesDeleted``, ``labelsAdded`` or ``labelsRemoved``."""
    message_id: str
    thread_id: str
    label_ids: tuple[str, ...] = ()


@dataclass
class GmailMailbox:
    address: str
    labels: dict[str, GmailLabel] = field(default_factory=dict)
    messages: dict[str, GmailMessage] = field(default_factory=dict)
    history: list[HistoryRecord] = field(default_factory=list)
    history_floor: int = 0
    """History ids at or below this are forgotten (a start id below it is 404)."""

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._history_ids = itertools.count(1000)
        self.history_id = next(self._history_ids)
        self.lock = threading.RLock()
        for name in SYSTEM_LABELS:
            visible = "labelHide" if name.startswith("CATEGORY_") or name == "CHAT" else "labelShow"
            self.labels[name] = GmailLabel(name, name, "system", visible)

    # -- labels -------------------------------------------------------------------------------

    def label_by_name(self, name: str) -> GmailLabel | None:
        wanted = name.casefold()
        return next((label for label in self.labels.values() if label.name.casefold() == wanted),
                    None)  # fmt: skip

    def create_label(
        self,
        name: str,
        *,
        color: dict[str, str] | None = None,
        label_list_visibility: str = "labelShow",
        message_list_visibility: str = "show",
    ) -> GmailLabel:
        """A new user label.

        Raises:
            GoogleError: an empty or reserved name, a parent that does not exist, a colour off
                the palette (400), or a name taken in any case (409).
        """
        name = name.strip()
        if not name or name.casefold() in {s.casefold() for s in SYSTEM_LABELS}:
            raise invalid("Invalid label name")
        if self.label_by_name(name) is not None:
            raise GoogleError(409, "aborted", "Label name exists or conflicts")
        parent, _, _leaf = name.rpartition("/")
        if parent and self.label_by_name(parent) is None:
            raise invalid("Invalid label name")
        check_colour(color)
        label = GmailLabel(f"Label_{next(self._ids)}", name, "user", label_list_visibility,
                           message_list_visibility, color)  # fmt: skip
        self.labels[label.id] = label
        return label

    def delete_label(self, label_id: str) -> None:
        label = self.labels.get(label_id)
        if label is None:
            raise not_found()
        if label.type == "system":
            raise invalid("Invalid delete request")
        del self.labels[label_id]
        for message in self.messages.values():
            if label_id in message.label_ids:
                self._change_labels(message, (), (label_id,))

    # -- messages -----------------------------------------------------------------------------

    def insert(
        self, raw: bytes, label_ids: list[str], thread_id: str | None = None
    ) -> GmailMessage:
        """Store an RFC 822 message with ``label_ids`` (checked)."""
        self._check_labels(label_ids)
        parsed = message_from_bytes(raw, policy=policy.default)
        if not parsed.keys():
            raise invalid("Invalid RFC822 payload")
        try:
            moment = parsedate_to_datetime(str(parsed["Date"])) if parsed["Date"] else None
        except (TypeError, ValueError):
            moment = None
        message_id = secrets.token_hex(8)
        message = GmailMessage(
            message_id,
            thread_id or message_id,
            raw,
            list(dict.fromkeys(label_ids)),
            (moment or datetime.now(UTC)).astimezone(UTC),
            self._bump(),
        )
        self.messages[message_id] = message
        self.history.append(
            HistoryRecord(message.history_id, "messagesAdded", message_id, message.thread_id)
        )
        return message

    def message(self, message_id: str) -> GmailMessage:
        found = self.messages.get(message_id)
        if found is None:
            raise not_found()
        return found

    def modify(self, message_id: str, add: list[str], remove: list[str]) -> GmailMessage:
        message = self.message(message_id)
        self._check_labels([*add, *remove])
        self._change_labels(message, tuple(add), tuple(remove))
        return message

    def delete(self, message_id: str) -> None:
        message = self.message(message_id)
        del self.messages[message_id]
        self.history.append(
            HistoryRecord(self._bump(), "messagesDeleted", message.id, message.thread_id)
        )

    def forget_history(self) -> None:
        """Drop the history so far: start ids from before now are stale (404)."""
        self.history_floor = self.history_id
        self.history.clear()

    # -- inside ---------------------------------------------------------------------------------

    def _bump(self) -> int:
        self.history_id = next(self._history_ids)
        return self.history_id

    def _check_labels(self, label_ids: list[str]) -> None:
        for label_id in label_ids:
            if label_id not in self.labels:
                raise invalid(f"Invalid label: {label_id}")

    def _change_labels(
        self, message: GmailMessage, add: tuple[str, ...], remove: tuple[str, ...]
    ) -> None:
        added = tuple(label for label in dict.fromkeys(add) if label not in message.label_ids)
        removed = tuple(label for label in dict.fromkeys(remove) if label in message.label_ids
                        and label not in added)  # fmt: skip
        if not added and not removed:
            return
        message.label_ids = [label for label in message.label_ids if label not in removed]
        message.label_ids += list(added)
        message.history_id = self._bump()
        if added:
            self._record("labelsAdded", message, added)
        if removed:
            self._record("labelsRemoved", message, removed)

    def _record(self, kind: str, message: GmailMessage, labels: tuple[str, ...] = ()) -> None:
        self.history.append(
            HistoryRecord(self.history_id, kind, message.id, message.thread_id, labels)
        )


def check_colour(color: dict[str, str] | None) -> None:
    """Both colours of a label must come from Gmail's palette."""
    if color is None:
        return
    for key in ("backgroundColor", "textColor"):
        value = str(color.get(key, "")).lower()
        if value not in PALETTE:
            raise invalid(f"Label color {value or '(none)'} is not on the allowed color palette")


def urlsafe(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()
