"""The Gmail provider: a Google Workspace mailbox through Google's APIs (google-api-python-client).

One class, :class:`GmailProvider`, is the :class:`~backend.mailbox.base.MailboxProvider` of a
Gmail mailbox; each item type is kept by the part for its Google API, which says how it reads,
writes and marks its items:

- e-mails: :mod:`.messages` (Gmail API: labels, history, batched message reads);
- contacts and accounts: :mod:`.people` (People API: contact groups, sync tokens, etags);
- appointments: :mod:`.calendar` (Calendar API: marked events, sync tokens, colours);
- tasks: :mod:`.tasks` (Tasks API: one task list).

The parts share one authorised connection and one request count (:mod:`.clients`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from urllib.parse import quote

from google.oauth2.credentials import Credentials

from backend.mailbox.base import (
    Changes,
    FolderChange,
    ItemRecord,
    ItemRef,
    TaskRecord,
    UnsupportedOperation,
)
from backend.mailbox.gmail.calendar import CalendarEvents
from backend.mailbox.gmail.clients import GoogleClients
from backend.mailbox.gmail.messages import GmailMessages
from backend.mailbox.gmail.part import ApiPart
from backend.mailbox.gmail.people import GROUPS, PeopleContacts
from backend.mailbox.gmail.records import task_as_kept
from backend.mailbox.gmail.tasks import TaskList
from backend.models.types import ItemType


class GmailProvider:
    """One Gmail mailbox.

    Args:
        api_base: where Google's APIs are when not at Google (an emulator); None for each
            API's own address from its discovery document.
        credentials: google-auth credentials, with refresh fields in production.
        revoke_token: called with the refresh (or access) token by :meth:`revoke`.
        address: the mailbox's address, which picks the account in Google's web links (the
            first signed-in account when not given).
        timeout: seconds any request (token refreshes included) may wait on the network;
            httplib2 has one limit for connecting and reading.
    """

    writes_together: frozenset[ItemType] = frozenset()
    """None: Google refuses its batch update of people as a whole for one stale etag, and the
    other APIs write an item a request."""

    def __init__(
        self,
        api_base: str | None,
        credentials: Credentials,
        revoke_token: Callable[[str], None] | None = None,
        address: str = "0",
        timeout: float = 30.0,
    ) -> None:
        self._address = address
        self._clients = GoogleClients(api_base, credentials, timeout)
        self._credentials = credentials
        self._revoke_token = revoke_token
        self._messages = GmailMessages(self._clients)
        self._people = PeopleContacts(self._clients)
        self._tasks = TaskList(self._clients)
        self._parts: dict[ItemType, ApiPart] = {
            ItemType.EMAIL: self._messages,
            ItemType.CONTACT: self._people,
            ItemType.ACCOUNT: self._people,
            ItemType.APPOINTMENT: CalendarEvents(self._clients),
            ItemType.TASK: self._tasks,
        }

    @property
    def requests_sent(self) -> int:
        return self._clients.sent[0]

    def activate(self) -> None:
        """Create the "SAP E-Mails" labels (the error label red), the contact groups and the
        task list."""
        self._messages.activate()
        self._people.activate()
        self._tasks.activate()

    def ensure_marker_definitions(self) -> None:
        self._messages.ensure_labels()

    def changes(self, item_type: ItemType, cursor: str | None) -> Changes:
        """What changed since ``cursor``; none, or a stale one, reads everything."""
        return self._parts[item_type].changes(item_type, cursor)

    def folder_changes(self) -> tuple[FolderChange, ...]:
        parts = {id(part): part for part in self._parts.values()}.values()
        return tuple(change for part in parts for change in part.folder_changes())

    def as_kept(self, item_type: ItemType, record: ItemRecord) -> ItemRecord:
        """A task as Google Tasks keeps it; contacts and events keep every field of a record."""
        if isinstance(record, TaskRecord):
            return task_as_kept(record)
        return record

    def get(self, item_type: ItemType, item_id: str) -> ItemRecord:
        """One item; googleapiclient's ``HttpError`` 404 if it is gone."""
        return self._parts[item_type].get(item_type, item_id)

    def get_many(self, item_type: ItemType, item_ids: Sequence[str]) -> dict[str, ItemRecord]:
        """People in batch reads; events and tasks are left to :meth:`get`, an item a request."""
        return self._parts[item_type].get_many(item_type, item_ids)

    def create(self, item_type: ItemType, record: ItemRecord) -> ItemRef:
        """Create the item in its group, list or (marked) in the primary calendar."""
        return self._parts[item_type].create(item_type, record)

    def update(self, item_type: ItemType, record: ItemRecord, change_key: str) -> ItemRef:
        """Write the mapped fields unless the item changed since ``change_key`` (its etag)."""
        if record.id is None:
            raise ValueError("update needs a record with an id")
        return self._parts[item_type].update(item_type, record, change_key)

    def update_many(
        self, item_type: ItemType, writes: Sequence[tuple[ItemRecord, str]]
    ) -> list[ItemRef | Exception]:
        raise UnsupportedOperation(f"{item_type.value} items are updated one at a time in Gmail")

    def delete(self, item_type: ItemType, item_id: str) -> None:
        """Delete the item; attendees of an event are never told."""
        self._parts[item_type].delete(item_type, item_id)

    def set_markers(self, item_type: ItemType, item_id: str, detail: str) -> None:
        """An e-mail gets "SAP E-Mails/Sync Error", a contact or account the group "SAP Sync
        Error", an event turns Tomato (Google has no place for the detail words)."""
        self._parts[item_type].set_markers(item_type, item_id)

    def clear_markers(self, item_type: ItemType, item_id: str) -> None:
        """Remove exactly our marker; the user's labels, groups and colours stay."""
        self._parts[item_type].clear_markers(item_type, item_id)

    def select_for_sync(self, item_type: ItemType, item_id: str) -> None:
        """Label the e-mail "SAP E-Mails", or mark the event; other types go by group or list."""
        self._parts[item_type].select_for_sync(item_type, item_id)

    def deep_link(self, item_type: ItemType, item_id: str) -> str:
        return web_link(self._address, item_type, item_id)

    def revoke(self) -> None:
        """Revoke the grant at Google (the refresh token ends every access token of it)."""
        token = self._credentials.refresh_token or self._credentials.token
        if self._revoke_token is not None and token:
            self._revoke_token(token)


GOOGLE_WEB = {
    "mail": "https://mail.google.com",
    "contacts": "https://contacts.google.com",
    "calendar": "https://calendar.google.com",
    "tasks": "https://tasks.google.com",
}
"""Where Google's web apps are."""


def web_link(address: str, item_type: ItemType, item_id: str, web_base: str | None = None) -> str:
    """Where Google's web apps open an item of the mailbox ``address``.

    Calendar's event id in links is the event id and the calendar's id (the primary calendar is
    the address), base64url without padding, as the ``htmlLink`` of an event has it.
    ``web_base`` puts every app at one address (an emulator serving Google's web apps).
    """

    def at(app: str) -> str:
        return web_base.rstrip("/") if web_base else GOOGLE_WEB[app]

    account = quote(address)
    if item_type in GROUPS:
        person = quote(item_id.removeprefix("people/"))
        return f"{at('contacts')}/person/{person}?authuser={account}"
    if item_type is ItemType.APPOINTMENT:
        eid = base64.urlsafe_b64encode(f"{item_id} {address}".encode()).decode().rstrip("=")
        return f"{at('calendar')}/calendar/event?eid={eid}&authuser={account}"
    if item_type is ItemType.TASK:
        return f"{at('tasks')}/task/{quote(item_id)}?authuser={account}"
    return f"{at('mail')}/mail/u/{account}/#all/{quote(item_id)}"
