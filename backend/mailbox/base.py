"""The contract between the sync engine and a mailbox: item records, changes, the provider.

A provider speaks one mail system's protocol (EWS, Gmail, Microsoft Graph) and nothing else: it
never decides sync policy. It reads and writes plain records, reports what changed since an
opaque cursor, and marks items that failed to sync. Errors of the underlying client library pass
through unchanged; each backend's classifier (``backend.sync.classifiers``) maps them to the
taxonomy. The provider's own errors are the :class:`ProviderError` hierarchy below.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple, Protocol, runtime_checkable

from backend.models.types import ItemType


@dataclass(frozen=True, kw_only=True)
class ItemRecord:
    """What every synced item has: the mailbox's id and change key, and its categories/labels.

    ``id``, ``change_key`` and ``modified`` are ``None`` for a record yet to be created.
    """

    id: str | None = None
    change_key: str | None = None
    categories: tuple[str, ...] = ()
    modified: datetime | None = None
    """When the item last changed in the mailbox (read only; the "newer wins" policy uses it)."""

    @property
    def title(self) -> str:
        """A short human name for the item (issues and notifications show it)."""
        return ""


@dataclass(frozen=True, kw_only=True)
class ContactRecord(ItemRecord):
    given_name: str | None = None
    surname: str | None = None
    display_name: str | None = None
    company: str | None = None
    job_title: str | None = None
    department: str | None = None
    emails: tuple[str, ...] = ()
    business_phone: str | None = None
    mobile_phone: str | None = None

    @property
    def title(self) -> str:
        full = " ".join(part for part in (self.given_name, self.surname) if part)
        return self.display_name or full or (self.emails[0] if self.emails else "")


@dataclass(frozen=True, kw_only=True)
class AccountRecord(ItemRecord):
    """A company: on Exchange a contact in the "SAP Accounts" folder."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None

    @property
    def title(self) -> str:
        return self.name or self.email or ""


@dataclass(frozen=True, kw_only=True)
class TaskRecord(ItemRecord):
    subject: str | None = None
    body: str | None = None
    start: date | None = None
    due: date | None = None
    status: str | None = None
    """One of NotStarted, InProgress, Completed, WaitingOnOthers, Deferred."""
    importance: str | None = None
    """One of Low, Normal, High."""

    @property
    def title(self) -> str:
        return self.subject or ""


@dataclass(frozen=True, kw_only=True)
class AppointmentRecord(ItemRecord):
    subject: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    location: str | None = None
    body: str | None = None
    attendees: tuple[str, ...] = ()
    organizer: str | None = None

    @property
    def title(self) -> str:
        return self.subject or ""


@dataclass(frozen=True, kw_only=True)
class EmailRecord(ItemRecord):
    subject: str | None = None
    sender: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    sent: datetime | None = None
    received: datetime | None = None
    body: str | None = None
    internet_message_id: str | None = None

    @property
    def title(self) -> str:
        return self.subject or ""


RECORD_TYPES: dict[ItemType, type[ItemRecord]] = {
    ItemType.CONTACT: ContactRecord,
    ItemType.ACCOUNT: AccountRecord,
    ItemType.TASK: TaskRecord,
    ItemType.APPOINTMENT: AppointmentRecord,
    ItemType.EMAIL: EmailRecord,
}


class ItemRef(NamedTuple):
    """Where a written item now stands: its id and new change key."""

    id: str
    change_key: str


@dataclass(frozen=True)
class FolderChange:
    """The user renamed or deleted a folder (contact group, label, list) the product keeps.

    Attributes:
        name: the name the product gives it (``SAP Contacts``).
        renamed_to: its new name when the sync follows a rename; ``None`` when it was gone and
            the product put it back.
    """

    name: str
    renamed_to: str | None


def follow_folder(
    name: str,
    current: dict[str, str],
    known: tuple[str | None, str | None],
    make: Callable[[], str],
    elsewhere: Callable[[str], str | None] = lambda _folder_id: None,
) -> tuple[str, FolderChange | None]:
    """The id of the folder (group, label, list) the product keeps as ``name``.

    Args:
        name: the name the product gives it.
        current: the mailbox's folders of that kind now, name to id (a folder made is added).
        known: its id and name when the cursor was made (``None``s before it kept them).
        make: creates the folder and returns its id.
        elsewhere: the name of a known folder that is not among ``current`` but still exists
            (moved: Outlook "deletes" a folder into Deleted Items), ``None`` when it is gone.

    Returns:
        The id: the known one while it exists (under its name, or another: the user renamed it
        and it is followed, even when a folder of the product's name appeared meanwhile; or
        elsewhere: moved, it is still theirs and still read); else
        the one named so, else made. A known id that is gone is a folder put back, whatever
        the id used now (so a read cut short after putting it back is full again). With the
        change to tell the user about, if any (a rename only once: not when the known name is
        already the new one).
    """
    known_id, known_name = known
    names = {folder_id: folder for folder, folder_id in current.items()}
    if known_id is not None and known_id not in names:
        moved = elsewhere(known_id)
        if moved is not None:
            names[known_id] = moved
    if known_id is not None and known_id in names:
        now = names[known_id]
        renamed = now != name and now != known_name
        return known_id, FolderChange(name, now) if renamed else None
    if name not in current:
        current[name] = make()
    return current[name], FolderChange(name, None) if known_id is not None else None


class FolderNotes:
    """What a provider (or part of one) noticed of the folders the product keeps, by folder,
    told once through :meth:`folder_changes`. The class sets ``_moved`` up empty."""

    _moved: dict[str, FolderChange]

    def _note(self, key: str, change: FolderChange | None) -> None:
        if change is not None:
            self._moved[key] = change

    def _put_back(self, *keys: str) -> bool:
        """Whether one of the folders ``keys`` was put back (a new, empty one: read in full)."""
        return any(key in self._moved and self._moved[key].renamed_to is None for key in keys)

    def folder_changes(self) -> tuple[FolderChange, ...]:
        changes, self._moved = tuple(self._moved.values()), {}
        return changes


@dataclass(frozen=True)
class Changes:
    """What changed for one item type since a cursor.

    Attributes:
        item_type: the item type read.
        upserted: items created or changed that are selected for sync (all of them when ``full``).
        deleted: ids of items deleted (or moved out of the synced folders) since the cursor.
        deselected: ids of items that changed but are no longer selected (e.g. their "SAP"
            category was removed); the engine decides what that means for the other side.
        cursor: the cursor to pass next time; opaque, store it as is.
        full: the cursor was absent or no longer valid, so ``upserted`` is everything there is
            and ``deleted`` is empty: items the engine knows but did not see are gone.
        cursor_lost: read in full because the mail system no longer knew the cursor (expired
            or invalid sync state, history gone), not for a reason of ours (none given, a
            folder put back).
    """

    item_type: ItemType
    upserted: tuple[ItemRecord, ...]
    deleted: tuple[str, ...]
    cursor: str
    full: bool
    deselected: tuple[str, ...] = field(default=())
    cursor_lost: bool = False


class ProviderError(Exception):
    """A failure a provider detects itself (not one of its client library's errors)."""

    code = "ProviderError"


class UnsupportedOperation(ProviderError):
    """The item type does not allow this operation (e.g. creating e-mails in the mailbox)."""

    code = "UnsupportedOperation"


class ChangedMeanwhile(ProviderError):
    """The item changed in the mailbox since the change key the write was based on (for mail
    systems that do not check change keys themselves)."""

    code = "ChangedMeanwhile"


class InvalidRecord(ProviderError):
    """The record lacks what the mail system requires (e.g. a contact without any name)."""

    code = "InvalidRecord"

    def __init__(self, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields


@runtime_checkable
class MailboxProvider(Protocol):
    """What the sync engine needs from a mailbox; EWS, Gmail and Microsoft Graph implement it."""

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far (for benchmarks and request budgets)."""
        ...

    def activate(self) -> None:
        """Prepare the mailbox: SAP folders/labels exist, marker definitions are in place."""
        ...

    def changes(self, item_type: ItemType, cursor: str | None) -> Changes:
        """Everything that changed for ``item_type`` since ``cursor`` (``None``: read all)."""
        ...

    def get(self, item_type: ItemType, item_id: str) -> ItemRecord:
        """One item as a record; the backend's not-found error if it is gone."""
        ...

    def get_many(self, item_type: ItemType, item_ids: Sequence[str]) -> dict[str, ItemRecord]:
        """The items of ``item_ids`` it could read, by id, in as few requests as the mail system
        allows. One it could not read (gone, refused) is left out: :meth:`get` says why."""
        ...

    def create(self, item_type: ItemType, record: ItemRecord) -> ItemRef:
        """Create the item in its SAP folder (or with the SAP category/label)."""
        ...

    def update(self, item_type: ItemType, record: ItemRecord, change_key: str) -> ItemRef:
        """Write ``record`` over item ``record.id``, failing with a conflict if it changed since
        ``change_key``. Categories are left to the markers and the user."""
        ...

    writes_together: frozenset[ItemType]
    """The item types whose updates :meth:`update_many` sends several to a request."""

    def update_many(
        self, item_type: ItemType, writes: Sequence[tuple[ItemRecord, str]]
    ) -> list[ItemRef | Exception]:
        """:meth:`update` for each ``(record, change_key)`` of a type of
        :attr:`writes_together`, in as few requests as the mail system allows: each write's
        outcome in order, its reference or the error ``update`` would raise for it. A request
        that fails as a whole raises."""
        ...

    def delete(self, item_type: ItemType, item_id: str) -> None:
        """Delete the item (recoverably where the system allows), never notifying attendees."""
        ...

    def set_markers(self, item_type: ItemType, item_id: str, detail: str) -> None:
        """Show the item as failing: the "Sync Error" marker plus one detail marker."""
        ...

    def clear_markers(self, item_type: ItemType, item_id: str) -> None:
        """Remove exactly the sync markers, leaving the user's own categories/labels."""
        ...

    def ensure_marker_definitions(self) -> None:
        """Make the "Sync Error" marker red in the mailbox (idempotent)."""
        ...

    def select_for_sync(self, item_type: ItemType, item_id: str) -> None:
        """Select an item the user picked ("Track in SAP"): the "SAP" category (Exchange), the
        "SAP E-Mails" label or the sync mark (Google), leaving everything else of the item;
        idempotent. ``UnsupportedOperation`` for item types selected by folder alone."""
        ...

    def deep_link(self, item_type: ItemType, item_id: str) -> str:
        """A URL that opens the item in the mail system's web client."""
        ...

    def as_kept(self, item_type: ItemType, record: ItemRecord) -> ItemRecord:
        """``record`` as the mail system keeps it, written and read back: what it has no field
        or value for is gone (Google Tasks keeps no importance and only two statuses)."""
        ...

    def folder_changes(self) -> tuple[FolderChange, ...]:
        """The folders (contact groups, lists) the product keeps that this provider found
        renamed by the user and followed, or gone and put back, since last asked; each once.
        A folder put back makes its item type's read a full one."""
        ...

    def revoke(self) -> None:
        """Give up this mailbox's access (revoke the token where there is one) and close."""
        ...


def update_alone(
    provider: MailboxProvider, item_type: ItemType, record: ItemRecord, change_key: str
) -> ItemRef | Exception:
    """``provider.update`` of one write, as :meth:`MailboxProvider.update_many` answers it:
    its reference, or the error it met."""
    try:
        return provider.update(item_type, record, change_key)
    except Exception as error:
        return error
