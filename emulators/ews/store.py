"""The emulated mailboxes: folders, items as XML elements, a change log per folder, sync states.

Items keep the elements a client sent (``t:GivenName``, ``t:Categories``...) so that what
comes back is exactly what went in; the server adds ids, change keys and times. Every change is
appended to the folder's change log, which is what SyncFolderItems states point into.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from emulators.base import ServerClock
from emulators.ews.ntlm import netbios_domain
from emulators.ews.soap import EwsError

STANDARD_FOLDERS = (
    # (distinguished id, parent, display name, folder class)
    ("root", None, "Top of Information Store", None),
    ("msgfolderroot", "root", "Top of Information Store", "IPF.Note"),
    ("inbox", "msgfolderroot", "Inbox", "IPF.Note"),
    ("sentitems", "msgfolderroot", "Sent Items", "IPF.Note"),
    ("deleteditems", "msgfolderroot", "Deleted Items", "IPF.Note"),
    ("drafts", "msgfolderroot", "Drafts", "IPF.Note"),
    ("contacts", "msgfolderroot", "Contacts", "IPF.Contact"),
    ("calendar", "msgfolderroot", "Calendar", "IPF.Appointment"),
    ("tasks", "msgfolderroot", "Tasks", "IPF.Task"),
)
SAP_FOLDERS = (
    ("contacts", "SAP Contacts", "IPF.Contact"),
    ("contacts", "SAP Accounts", "IPF.Contact"),
    ("msgfolderroot", "SAP Cloud for Customer", "IPF.Note"),
)

CREATE, UPDATE, DELETE = "create", "update", "delete"


def now() -> datetime:
    """The current time in UTC, to the second (EWS times have no fractions)."""
    return datetime.now(UTC).replace(microsecond=0)


def new_id(kind: bytes) -> str:
    """A fresh EWS-looking id: base64 of a kind marker and a random UUID."""
    return base64.b64encode(kind + uuid.uuid4().bytes).decode()


def check_id(value: str, kind: bytes) -> None:
    """Raise ``ErrorInvalidIdMalformed`` unless ``value`` could be an id this server issued."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise EwsError("ErrorInvalidIdMalformed", "Id is malformed.") from None
    if not raw.startswith(kind) or len(raw) != len(kind) + 16:
        raise EwsError("ErrorInvalidIdMalformed", "Id is malformed.")


@dataclass
class Folder:
    id: str
    parent_id: str | None
    display_name: str
    folder_class: str | None
    distinguished: str | None = None
    change_key: str = "AQAAAA=="
    epoch: int = 0
    """Bumped to invalidate every sync state of the folder (as a mailbox move does)."""


@dataclass
class Item:
    id: str
    kind: str
    folder_id: str
    fields: dict[str, etree._Element]
    created: datetime
    modified: datetime
    version: int = 1

    @property
    def change_key(self) -> str:
        return base64.b64encode(b"CK" + self.id.encode()[:6] + str(self.version).encode()).decode()

    def texts(self, name: str) -> list[str]:
        """The text values of element ``name`` (its children's texts for multi-valued fields)."""
        element = self.fields.get(name)
        if element is None:
            return []
        if len(element):
            return [child.text or "" for child in element]
        return [element.text or ""]

    def touch(self, stamp: datetime) -> None:
        self.version += 1
        self.modified = stamp


@dataclass
class Mailbox:
    address: str
    password: str | None = None
    name: str = ""
    """The owner's display name, as the directory gives it (the address when unknown)."""
    tokens: set[str] = field(default_factory=set)
    disabled: bool = False
    language: str | None = None
    """The display language the owner chose in Outlook on the web (``de-DE``); ``None``: the
    browser's."""
    folders: dict[str, Folder] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    change_log: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    user_configurations: dict[tuple[str, str], dict[str, bytes | str]] = field(default_factory=dict)
    cancellations_sent: list[str] = field(default_factory=list)
    invitations_sent: list[str] = field(default_factory=list)
    clock: Callable[[], datetime] = now

    @property
    def display_name(self) -> str:
        return self.name or self.address

    def __post_init__(self) -> None:
        self._seq = itertools.count(1)
        self.lock = threading.RLock()
        for distinguished, parent, name, folder_class in STANDARD_FOLDERS:
            parent_id = self.distinguished(parent).id if parent else None
            self.add_folder(name, folder_class, parent_id, distinguished=distinguished)
        for parent, name, folder_class in SAP_FOLDERS:
            self.add_folder(name, folder_class, self.distinguished(parent).id)

    # -- folders ------------------------------------------------------------------------------

    def add_folder(
        self, name: str, folder_class: str | None, parent_id: str | None, distinguished: str = ""
    ) -> Folder:
        """Create a folder; ``ErrorFolderExists`` if the parent has one of that name."""
        if any(f.parent_id == parent_id and f.display_name == name for f in self.folders.values()):
            raise EwsError("ErrorFolderExists", "A folder with the specified name already exists.")
        folder = Folder(new_id(b"FLD"), parent_id, name, folder_class, distinguished or None)
        self.folders[folder.id] = folder
        self.change_log[folder.id] = []
        return folder

    def distinguished(self, name: str) -> Folder:
        for folder in self.folders.values():
            if folder.distinguished == name:
                return folder
        raise EwsError(
            "ErrorFolderNotFound", "The specified folder could not be found in the store."
        )

    def folder(self, folder_id: str) -> Folder:
        check_id(folder_id, b"FLD")
        try:
            return self.folders[folder_id]
        except KeyError:
            raise EwsError(
                "ErrorFolderNotFound", "The specified folder could not be found in the store."
            ) from None

    def remove_folder(self, folder_id: str) -> None:
        """Delete a folder with its items and subfolders (a user emptying it from Outlook)."""
        for child in self.children(folder_id):
            self.remove_folder(child.id)
        for item in self.items_in(folder_id):
            del self.items[item.id]
        del self.folders[folder_id]
        del self.change_log[folder_id]

    def folder_by_path(self, *names: str) -> Folder:
        """A folder below ``msgfolderroot`` by display names: ``("Contacts", "SAP Contacts")``."""
        current = self.distinguished("msgfolderroot")
        for name in names:
            current = next(
                f
                for f in self.folders.values()
                if f.parent_id == current.id and f.display_name == name
            )
        return current

    def children(self, folder_id: str, deep: bool = False) -> list[Folder]:
        found = [f for f in self.folders.values() if f.parent_id == folder_id]
        if deep:
            for child in list(found):
                found.extend(self.children(child.id, deep=True))
        return found

    # -- items --------------------------------------------------------------------------------

    def item(self, item_id: str) -> Item:
        check_id(item_id, b"ITM")
        try:
            return self.items[item_id]
        except KeyError:
            raise EwsError(
                "ErrorItemNotFound", "The specified object was not found in the store."
            ) from None

    def items_in(self, folder_id: str) -> list[Item]:
        return [item for item in self.items.values() if item.folder_id == folder_id]

    def add_item(self, kind: str, folder_id: str, fields: dict[str, etree._Element]) -> Item:
        stamp = self.clock()
        item = Item(new_id(b"ITM"), kind, folder_id, fields, stamp, stamp)
        self.items[item.id] = item
        self._log(folder_id, item.id, CREATE)
        return item

    def changed(self, item: Item) -> None:
        """Record an update of ``item``: new change key, new modification time, a log entry."""
        item.touch(self.clock())
        self._log(item.folder_id, item.id, UPDATE)

    def remove_item(self, item: Item) -> None:
        del self.items[item.id]
        self._log(item.folder_id, item.id, DELETE)

    def move_item(self, item: Item, folder_id: str) -> None:
        """Move ``item`` into another folder: as in Exchange, it gets a new id there, and its
        old id is no longer found."""
        self._log(item.folder_id, item.id, DELETE)
        del self.items[item.id]
        item.id = new_id(b"ITM")
        self.items[item.id] = item
        item.folder_id = folder_id
        item.touch(self.clock())
        self._log(folder_id, item.id, CREATE)

    def _log(self, folder_id: str, item_id: str, kind: str) -> None:
        self.change_log[folder_id].append((next(self._seq), item_id, kind))


class SyncStates:
    """Encode and check the opaque SyncFolderItems states: a signed (folder, epoch, position)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, folder: Folder, position: int) -> str:
        payload = f"{folder.id}|{folder.epoch}|{position}".encode()
        signature = hmac.new(self._secret, payload, hashlib.sha256).digest()[:12]
        return base64.b64encode(payload + b"|" + signature).decode()

    def decode(self, state: str, folder: Folder) -> int:
        """The change-log position in ``state``; ``ErrorInvalidSyncStateData`` if invalid."""
        invalid = EwsError(
            "ErrorInvalidSyncStateData",
            "Synchronization state data is corrupt or otherwise invalid.",
        )
        try:
            raw = base64.b64decode(state, validate=True)
            payload, signature = raw[:-13], raw[-12:]
            expected = hmac.new(self._secret, payload, hashlib.sha256).digest()[:12]
            folder_id, epoch, position = payload.decode().split("|")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise invalid from None
        if not hmac.compare_digest(signature, expected) or raw[-13:-12] != b"|":
            raise invalid
        if folder_id != folder.id or int(epoch) != folder.epoch:
            raise invalid
        return int(position)


class Store:
    """Every mailbox of the emulated server, and who may log in to which."""

    def __init__(self) -> None:
        self.mailboxes: dict[str, Mailbox] = {}
        self.service_accounts: dict[str, str] = {}
        """Users allowed to impersonate any mailbox (the ApplicationImpersonation role)."""
        self.sync_states = SyncStates(uuid.uuid4().bytes)
        self.lock = threading.RLock()
        self.clock = ServerClock()
        self.auth_methods: set[str] = {"basic", "ntlm", "bearer"}
        """What the EWS virtual directory accepts (``basic``, ``ntlm``, ``bearer``)."""

    def add_mailbox(
        self,
        address: str,
        password: str | None = None,
        token: str | None = None,
        name: str = "",
    ) -> Mailbox:
        mailbox = Mailbox(address.lower(), password=password, name=name, clock=self.clock)
        if token:
            mailbox.tokens.add(token)
        self.mailboxes[mailbox.address] = mailbox
        return mailbox

    def add_service_account(self, user: str, password: str) -> None:
        self.service_accounts[user.lower()] = password

    def windows_account(self, user: str, domain: str) -> tuple[str, str] | None:
        """The address and password of a Windows logon: ``DOMAIN\\name`` (the NetBIOS domain of
        the address's domain) or a user principal name (the address) with no domain."""
        user = user.lower()
        if "@" in user:
            found = None if domain else self.mailboxes.get(user)
        else:
            found = next(
                (
                    mailbox
                    for address, mailbox in self.mailboxes.items()
                    if address.split("@", 1)[0] == user
                    and netbios_domain(address.rsplit("@", 1)[-1]) == domain.upper()
                ),
                None,
            )
        if found is None or not found.password:
            return None
        return found.address, found.password

    def mailbox(self, address: str) -> Mailbox:
        try:
            return self.mailboxes[address.lower()]
        except KeyError:
            raise EwsError(
                "ErrorNonExistentMailbox",
                f"The SMTP address has no mailbox associated with it: {address}",
            ) from None
