"""One user's Exchange Online mailbox as Graph sees it: folders, items and their change history.

Every write gives the item a new ``changeKey`` and the mailbox's next change number; deletions
and moves leave tombstones with theirs, so delta queries can tell what changed since a number.
Items are contacts, messages, events and To Do tasks; folders are contact folders, mail
folders, the calendar and To Do lists. Ids look like Exchange's (``AAMkA...``) and mean nothing.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from emulators.graph.errors import GraphError, item_not_found

MAIL_FOLDERS = (
    ("inbox", "Inbox"), ("drafts", "Drafts"), ("sentitems", "Sent Items"),
    ("deleteditems", "Deleted Items"), ("junkemail", "Junk Email"), ("archive", "Archive"),
    ("outbox", "Outbox"),
)  # fmt: skip
"""The well-known mail folders below the (hidden) root, by Graph's well-known name."""
OUTLOOK_CATEGORIES = (
    ("Red category", "preset0"), ("Orange category", "preset1"), ("Yellow category", "preset3"),
    ("Green category", "preset4"), ("Blue category", "preset7"), ("Purple category", "preset8"),
)  # fmt: skip
"""The master categories a new Outlook mailbox has."""


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def new_change_key() -> str:
    return base64.b64encode(b"\x0f\x00\x00\x00" + secrets.token_bytes(20)).decode()


def user_id_of(address: str) -> str:
    """The user's object id: a GUID that stays the same for the address across runs."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:graph:user:{address}"))


@dataclass
class Folder:
    kind: str
    id: str
    display_name: str
    parent_id: str | None
    well_known: str | None = None
    hidden: bool = False
    change_key: str = field(default_factory=new_change_key)


@dataclass
class Item:
    kind: str
    id: str
    folder_id: str
    fields: dict[str, Any]
    sequence: int
    created: datetime
    modified: datetime
    change_key: str = field(default_factory=new_change_key)

    @property
    def etag(self) -> str:
        return f'W/"{self.change_key}"'


@dataclass(frozen=True)
class Tombstone:
    kind: str
    item_id: str
    folder_id: str
    sequence: int
    reason: str


class Mailbox:
    """A user's folders, items, master categories and change history.

    Args:
        address: the user's e-mail address (lower case), also the ``userPrincipalName``.
        lock: the store's lock, taken by every method that changes something.
        notifications: where meeting messages the mailbox would send are recorded.
        display_name: the user's name (by default made from the address).
        clock: the server's time (to the second), which stamps every change.
    """

    def __init__(
        self,
        address: str,
        lock: threading.RLock,
        notifications: list[dict[str, Any]],
        display_name: str = "",
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.address = address
        self.clock = clock
        self.user_id = user_id_of(address)
        self.display_name = display_name or address.split("@")[0].replace(".", " ").title()
        self.rest_disabled = False
        self.lock = lock
        self.notifications = notifications
        self.folders: dict[str, Folder] = {}
        self.items: dict[str, Item] = {}
        self.tombstones: list[Tombstone] = []
        self.categories: dict[str, dict[str, str]] = {}
        self._numbers = itertools.count(1)
        self.sequence = 0
        self._id_seed = hashlib.sha256(address.encode()).digest()[:16]
        root = self.add_folder("mailFolder", "", None, "msgfolderroot", hidden=True)
        for name, title in MAIL_FOLDERS:
            self.add_folder("mailFolder", title, root.id, name)
        self.add_folder("contactFolder", "Contacts", root.id, "contacts")
        self.add_folder("calendar", "Calendar", root.id, "calendar")
        self.add_folder("todoTaskList", "Tasks", None, "defaultList")
        for name, color in OUTLOOK_CATEGORIES:
            self.add_category(name, color)

    def new_id(self) -> str:
        """An Exchange-looking item id: ``AAMkA`` and then bytes that mean nothing."""
        raw = b"\x00\x03\x24\x00" + self._id_seed + secrets.token_bytes(25)
        return base64.urlsafe_b64encode(raw).decode()

    def next_sequence(self) -> int:
        self.sequence = next(self._numbers)
        return self.sequence

    # -- folders -------------------------------------------------------------------------------

    def add_folder(
        self,
        kind: str,
        display_name: str,
        parent_id: str | None,
        well_known: str | None = None,
        *,
        hidden: bool = False,
    ) -> Folder:
        with self.lock:
            folder = Folder(kind, self.new_id(), display_name, parent_id, well_known, hidden)
            self.folders[folder.id] = folder
            return folder

    def add_unique_folder(self, kind: str, display_name: str, parent_id: str | None) -> Folder:
        """A new folder, unless a sibling has the name already.

        Raises:
            GraphError: 409 ``ErrorFolderExists``.
        """
        with self.lock:
            if any(
                f.display_name.lower() == display_name.lower()
                for f in self.children(parent_id, kind)
            ):
                raise GraphError(
                    409, "ErrorFolderExists", "A folder with the specified name already exists."
                )
            return self.add_folder(kind, display_name, parent_id)

    def folder(self, kind: str, key: str) -> Folder:
        """The folder of ``kind`` with id or well-known name ``key``.

        Raises:
            GraphError: 404 ``ErrorItemNotFound`` when there is none.
        """
        found = self.folders.get(key)
        if found is None:
            found = next(
                (f for f in self.folders.values() if (f.well_known or "").lower() == key.lower()),
                None,
            )
        if found is None or found.kind != kind:
            raise item_not_found()
        return found

    def default_folder(self, kind: str) -> Folder:
        name = {"contactFolder": "contacts", "calendar": "calendar", "todoTaskList": "defaultList"}
        return self.folder(kind, name[kind])

    def children(self, folder_id: str | None, kind: str) -> list[Folder]:
        return [f for f in self.folders.values() if f.kind == kind and f.parent_id == folder_id]

    # -- items ---------------------------------------------------------------------------------

    def add_item(self, kind: str, folder_id: str, fields: dict[str, Any]) -> Item:
        with self.lock:
            stamp = self.clock()
            item = Item(
                kind, self.new_id(), folder_id, dict(fields), self.next_sequence(), stamp, stamp
            )
            self.items[item.id] = item
            return item

    def item(self, kind: str, item_id: str, folder_id: str | None = None) -> Item:
        """The item of ``kind`` (in ``folder_id`` if given).

        Raises:
            GraphError: 404 ``ErrorItemNotFound`` when there is none.
        """
        found = self.items.get(item_id)
        if found is None or found.kind != kind or folder_id not in (None, found.folder_id):
            raise item_not_found()
        return found

    def items_in(self, folder_id: str) -> list[Item]:
        return [item for item in self.items.values() if item.folder_id == folder_id]

    def touch(self, item: Item, changes: dict[str, Any]) -> Item:
        """Apply ``changes`` as one write: a new change key, time and change number."""
        with self.lock:
            item.fields.update(changes)
            item.change_key = new_change_key()
            item.modified = self.clock()
            item.sequence = self.next_sequence()
            return item

    def remove(self, item: Item, reason: str = "deleted") -> None:
        with self.lock:
            self.items.pop(item.id, None)
            self.tombstones.append(
                Tombstone(item.kind, item.id, item.folder_id, self.next_sequence(), reason)
            )

    def move(self, item: Item, folder_id: str) -> Item:
        """Move ``item`` to another folder: a delta of the old one reports it as ``changed``."""
        with self.lock:
            self.tombstones.append(
                Tombstone(item.kind, item.id, item.folder_id, self.next_sequence(), "changed")
            )
            item.folder_id = folder_id
            return self.touch(item, {})

    def changes(
        self, kind: str, folder_ids: set[str], since: int, upto: int, after: int
    ) -> Iterator[Item | Tombstone]:
        """Items and tombstones of ``kind`` in the folders changed in ``(max(since, after),
        upto]``, oldest first; tombstones only after an initial round (``since > 0``) and only
        of items no longer in the folder."""
        low = max(since, after)
        found: list[Item | Tombstone] = [
            item
            for item in self.items.values()
            if item.kind == kind and item.folder_id in folder_ids and low < item.sequence <= upto
        ]
        if since > 0:
            found += [
                stone
                for stone in self.tombstones
                if stone.kind == kind
                and stone.folder_id in folder_ids
                and low < stone.sequence <= upto
                and not self._holds(stone.folder_id, stone.item_id)
            ]
        return iter(sorted(found, key=lambda entry: entry.sequence))

    def _holds(self, folder_id: str, item_id: str) -> bool:
        current = self.items.get(item_id)
        return current is not None and current.folder_id == folder_id

    def receive(
        self,
        subject: str,
        sender: str,
        *,
        to: list[str] | None = None,
        categories: tuple[str, ...] | list[str] = (),
        folder: str = "inbox",
        body: str = "",
        received: datetime | None = None,
    ) -> Item:
        """A message arriving from ``sender`` (Graph itself cannot create received mail)."""
        moment = (received or now()).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = body or f"Hello, this is about {subject}."
        recipients = [{"emailAddress": {"name": a, "address": a}} for a in to or [self.address]]
        origin = {"emailAddress": {"name": sender.split("@")[0], "address": sender}}
        fields = {
            "subject": subject,
            "body": {"contentType": "text", "content": text},
            "bodyPreview": text[:255],
            "from": origin,
            "sender": origin,
            "toRecipients": recipients,
            "receivedDateTime": moment,
            "sentDateTime": moment,
            "internetMessageId": f"<{secrets.token_hex(8)}@{sender.split('@')[-1]}>",
            "conversationId": self.new_id(),
            "categories": list(categories),
        }
        return self.add_item("message", self.folder("mailFolder", folder).id, fields)

    def announce(self, kind: str, event_id: str, to: list[str]) -> None:
        """Record a meeting message (``invitation``, ``update``, ``cancellation``) sent."""
        with self.lock:
            entry = {"kind": kind, "mailbox": self.address, "event_id": event_id, "to": to}
            self.notifications.append(entry)

    # -- master categories --------------------------------------------------------------------

    def add_category(self, display_name: str, color: str) -> dict[str, str]:
        with self.lock:
            category = {"id": str(uuid.uuid4()), "displayName": display_name, "color": color}
            self.categories[category["id"]] = category
            return category
