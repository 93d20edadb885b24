"""The Gmail provider: a Google Workspace mailbox through Google's APIs (google-api-python-client).

E-mails are the messages labelled "SAP E-Mails"; a failing one also gets "SAP E-Mails/Sync
Error", red from Gmail's palette (the parent label is created first, as Gmail nests by "/").
The cursor is Gmail's ``historyId``: a stale one (404) gives a full read, as the Exchange
provider does for an invalid sync state.

Contacts and accounts are the people in the contact groups "SAP Contacts" and "SAP Accounts"
(People API); a failing one is also put in the group "SAP Sync Error". Their cursor is the
People sync token; an expired one gives a full read. Writes carry the person's etag, so an edit
made meanwhile is refused as a conflict.

Clients are built from the discovery documents shipped with the library (no network for
discovery), with ``api_endpoint`` from settings. Messages are read 50 per request through
Gmail's batch endpoint, whose address is always given (the library's default would be Google's
public batch URL). Credentials are google-auth's, refreshed by the library; a refused refresh
surfaces as ``RefreshError`` for the classifier.

Tasks are the tasks of the list "SAP Tasks" (cursor: the newest ``updated`` seen, with the
ids of the tasks updated at that time, so they are not read again). Appointments
are the events of the primary calendar marked with the private property ``ssiSync=1`` (cursor:
the Calendar sync token; an expired one, 410, gives a full read); a failing one turns Tomato
(``colorId`` "11") and keeps its own colour in a private property, restored when it is fixed.
Google checks no change key for tasks and events: an update reads the item first and refuses
with :class:`ChangedMeanwhile` when its etag moved. Tasks have nowhere to show a marker.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httplib2
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, HttpRequest

from backend.mailbox.base import (
    AccountRecord,
    AppointmentRecord,
    ChangedMeanwhile,
    Changes,
    ContactRecord,
    EmailRecord,
    ItemRecord,
    ItemRef,
    TaskRecord,
    UnsupportedOperation,
)
from backend.mailbox.gmail import records as google_records
from backend.models.types import ItemType

SAP_LABEL = "SAP E-Mails"
ERROR_LABEL = f"{SAP_LABEL}/Sync Error"
RED = {"backgroundColor": "#cc3a21", "textColor": "#ffffff"}
"""The error label's colour: the red of Gmail's palette that white text reads on (WCAG AA)."""
"""Gmail's palette red, with white text."""
GROUPS = {ItemType.CONTACT: "SAP Contacts", ItemType.ACCOUNT: "SAP Accounts"}
ERROR_GROUP = "SAP Sync Error"
PEOPLE_FIELDS = {
    ItemType.CONTACT: google_records.CONTACT_FIELDS,
    ItemType.ACCOUNT: google_records.ACCOUNT_FIELDS,
}
TASK_LIST = "SAP Tasks"
MARK, COLOUR_KEPT, TOMATO = "ssiSync", "ssiSyncColor", "11"
"""The private event property that selects an event, the one keeping its colour, and red."""
PAGE = 500
BATCH = 50
"""Messages read per batch request (Gmail takes up to 100 and advises at most 50)."""
GMAIL_BATCH = "https://gmail.googleapis.com/batch/gmail/v1"


class _CountedRequest(HttpRequest):
    """googleapiclient's request, counting what it sends (for request budgets and benchmarks)."""

    counter: list[int]

    def execute(self, http: Any = None, num_retries: int = 0) -> Any:
        self.counter[0] += 1
        return super().execute(http=http, num_retries=num_retries)


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

    def __init__(
        self,
        api_base: str | None,
        credentials: Credentials,
        revoke_token: Callable[[str], None] | None = None,
        address: str = "0",
        timeout: float = 30.0,
    ) -> None:
        self._address = address
        self._batch_uri = f"{api_base.rstrip('/')}/batch/gmail/v1" if api_base else GMAIL_BATCH
        self._sent = [0]
        counted = type("CountedRequest", (_CountedRequest,), {"counter": self._sent})
        http = AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))

        def client(api: str, version: str, path: str = "") -> Any:
            options = {"api_endpoint": api_base.rstrip("/") + path + "/"} if api_base else None
            return build(
                api,
                version,
                http=http,
                static_discovery=True,
                cache_discovery=False,
                client_options=options,
                requestBuilder=counted,
            )

        self._gmail = client("gmail", "v1").users()
        self._people = client("people", "v1")
        self._tasks = client("tasks", "v1")
        self._events = client("calendar", "v3", "/calendar/v3").events()
        self._task_list: str | None = None
        self._credentials = credentials
        self._revoke_token = revoke_token
        self._labels: dict[str, str] | None = None
        self._groups: dict[str, str] | None = None

    @property
    def requests_sent(self) -> int:
        return self._sent[0]

    # -- labels -----------------------------------------------------------------------------

    def _label_ids(self) -> dict[str, str]:
        """Label name → id, read once per provider instance."""
        if self._labels is None:
            found = self._gmail.labels().list(userId="me").execute().get("labels", [])
            self._labels = {label["name"]: label["id"] for label in found}
        return self._labels

    def _ensure_label(self, name: str, **fields: Any) -> str:
        labels = self._label_ids()
        if name not in labels:
            body = {"name": name, "labelListVisibility": "labelShow",
                    "messageListVisibility": "show", **fields}  # fmt: skip
            labels[name] = self._gmail.labels().create(userId="me", body=body).execute()["id"]
        return labels[name]

    def _group(self, name: str) -> str:
        """The resource name of contact group ``name``, created when missing."""
        if self._groups is None:
            found = self._people.contactGroups().list().execute().get("contactGroups", [])
            self._groups = {group["name"]: group["resourceName"] for group in found}
        if name not in self._groups:
            body = {"contactGroup": {"name": name}}
            created = self._people.contactGroups().create(body=body).execute()
            self._groups[name] = created["resourceName"]
        return self._groups[name]

    def _sap_tasks(self) -> str:
        """The id of the task list "SAP Tasks", created when missing."""
        if self._task_list is None:
            lists = self._tasks.tasklists().list(maxResults=100).execute().get("items", [])
            found = next((t["id"] for t in lists if t.get("title") == TASK_LIST), None)
            if found is None:
                found = self._tasks.tasklists().insert(body={"title": TASK_LIST}).execute()["id"]
            self._task_list = found
        return self._task_list

    def activate(self) -> None:
        """Create the "SAP E-Mails" labels (the error label red), the contact groups and the
        task list."""
        self.ensure_marker_definitions()
        for name in (*GROUPS.values(), ERROR_GROUP):
            self._group(name)
        self._sap_tasks()

    def ensure_marker_definitions(self) -> None:
        self._ensure_label(SAP_LABEL)
        self._ensure_label(ERROR_LABEL, color=RED)

    # -- reading ------------------------------------------------------------------------------

    def changes(self, item_type: ItemType, cursor: str | None) -> Changes:
        """What changed since ``cursor``; none, or a stale one, reads everything."""
        if item_type in GROUPS:
            return self._people_changes(item_type, cursor)
        if item_type is ItemType.TASK:
            return self._task_changes(cursor)
        if item_type is ItemType.APPOINTMENT:
            return self._event_changes(cursor)
        self._only_emails(item_type)
        sap = self._ensure_label(SAP_LABEL)
        if cursor and cursor.isdigit():
            try:
                return self._since(sap, cursor)
            except HttpError as error:
                if error.resp.status != 404:
                    raise
        return self._everything(sap)

    def _everything(self, sap: str) -> Changes:
        # The history id first: whatever changes while we read shows in the next run.
        start = self._gmail.getProfile(userId="me").execute()["historyId"]
        names = self._names()
        records = tuple(
            record_from_message(message, names)
            for _id, message in self._messages(list(self._labelled(sap)))
            if message is not None
        )
        return Changes(ItemType.EMAIL, records, (), str(start), True)

    def _since(self, sap: str, cursor: str) -> Changes:
        touched: dict[str, None] = {}
        deleted: list[str] = []
        latest = cursor
        request = self._gmail.history().list(userId="me", startHistoryId=cursor, maxResults=PAGE)
        while request is not None:
            answer = request.execute()
            latest = answer.get("historyId", latest)
            for entry in answer.get("history", []):
                for removed in entry.get("messagesDeleted", []):
                    deleted.append(removed["message"]["id"])
                    touched.pop(removed["message"]["id"], None)
                for kind in ("messagesAdded", "labelsAdded", "labelsRemoved"):
                    for change in entry.get(kind, []):
                        if change["message"]["id"] not in deleted:
                            touched[change["message"]["id"]] = None
            request = self._gmail.history().list_next(request, answer)
        upserted, deselected = [], []
        for message_id, message in self._messages(list(touched)):
            if message is None:
                deleted.append(message_id)
            elif sap in message.get("labelIds", []):
                upserted.append(record_from_message(message, self._names()))
            else:
                deselected.append(message_id)
        return Changes(ItemType.EMAIL, tuple(upserted), tuple(deleted), str(latest), False,
                       tuple(deselected))  # fmt: skip

    def _people_changes(self, item_type: ItemType, cursor: str | None) -> Changes:
        group = self._group(GROUPS[item_type])
        if cursor:
            try:
                people = list(self._connections(item_type, cursor))
            except HttpError as error:
                if error.resp.status != 400:
                    raise
            else:
                return self._people_delta(item_type, group, people)
        everyone = list(self._connections(item_type, None))
        cursor = self._sync_token
        chosen = tuple(
            _record(item_type, person) for person in everyone if group in _groups_of(person)
        )
        return Changes(item_type, chosen, (), cursor, True)

    def _people_delta(self, item_type: ItemType, group: str, people: list[dict]) -> Changes:
        upserted, deleted, deselected = [], [], []
        for person in people:
            if person.get("metadata", {}).get("deleted"):
                deleted.append(person["resourceName"])
            elif group in _groups_of(person):
                upserted.append(_record(item_type, person))
            else:
                deselected.append(person["resourceName"])
        return Changes(item_type, tuple(upserted), tuple(deleted), self._sync_token, False,
                       tuple(deselected))  # fmt: skip

    def _connections(self, item_type: ItemType, sync_token: str | None) -> Iterator[dict]:
        """Every connection (or every one changed since ``sync_token``); keeps the next token
        in ``self._sync_token``."""
        fields = ",".join((*PEOPLE_FIELDS[item_type], "memberships", "metadata"))
        connections = self._people.people().connections()
        params: dict[str, Any] = {"resourceName": "people/me", "personFields": fields,
                                  "pageSize": 1000, "requestSyncToken": True}  # fmt: skip
        if sync_token:
            params["syncToken"] = sync_token
        request = connections.list(**params)
        while request is not None:
            answer = request.execute()
            yield from answer.get("connections", [])
            self._sync_token = answer.get("nextSyncToken", "")
            request = connections.list_next(request, answer)

    def _task_changes(self, cursor: str | None) -> Changes:
        """Tasks changed since the cursor: the newest ``updated`` seen and the ids updated at
        that very time, which ``updatedMin`` (inclusive) hands out again and are left out."""
        newest, _, ids = (cursor or "").partition("|")
        seen = set(ids.split(",")) if ids else set()
        params: dict[str, Any] = {"tasklist": self._sap_tasks(), "maxResults": 100}
        if newest:
            params.update(updatedMin=newest, showDeleted=True, showHidden=True)
        tasks = self._tasks.tasks()
        found: list[dict[str, Any]] = []
        request = tasks.list(**params)
        while request is not None:
            answer = request.execute()
            found += [t for t in answer.get("items", [])
                      if not (t["updated"] == newest and t["id"] in seen)]  # fmt: skip
            request = tasks.list_next(request, answer)
        if found:
            latest = max(task["updated"] for task in found)
            at_latest = {task["id"] for task in found if task["updated"] == latest}
            seen = seen | at_latest if latest == newest else at_latest
            newest = latest
        upserted = tuple(google_records.task_record(t) for t in found if not t.get("deleted"))
        deleted = tuple(task["id"] for task in found if task.get("deleted"))
        next_cursor = f"{newest}|{','.join(sorted(seen))}" if newest else ""
        return Changes(ItemType.TASK, upserted, deleted, next_cursor, not cursor)

    def _event_changes(self, cursor: str | None) -> Changes:
        if cursor:
            try:
                return self._events_since(cursor)
            except HttpError as error:
                if error.resp.status != 410:
                    raise
        events, token = self._event_pages({})
        marked = tuple(
            google_records.appointment_record(event)
            for event in events
            if event.get("status") != "cancelled" and _marked(event)
        )
        return Changes(ItemType.APPOINTMENT, marked, (), token, True)

    def _events_since(self, cursor: str) -> Changes:
        events, token = self._event_pages({"syncToken": cursor})
        upserted, deleted, deselected = [], [], []
        for event in events:
            if event.get("status") == "cancelled":
                deleted.append(event["id"])
            elif _marked(event):
                upserted.append(google_records.appointment_record(event))
            else:
                deselected.append(event["id"])
        return Changes(ItemType.APPOINTMENT, tuple(upserted), tuple(deleted), token, False,
                       tuple(deselected))  # fmt: skip

    def _event_pages(self, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
        found: list[dict[str, Any]] = []
        token = ""
        request = self._events.list(calendarId="primary", maxResults=250, **params)
        while request is not None:
            answer = request.execute()
            found += answer.get("items", [])
            token = answer.get("nextSyncToken", token)
            request = self._events.list_next(request, answer)
        return found, token

    def _labelled(self, label_id: str) -> Iterator[str]:
        """Ids of every message with the label, page by page."""
        messages = self._gmail.messages()
        request = messages.list(userId="me", labelIds=[label_id], maxResults=PAGE)
        while request is not None:
            answer = request.execute()
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

        batch = BatchHttpRequest(callback=took, batch_uri=self._batch_uri)
        for message_id in ids:
            get = self._gmail.messages().get(userId="me", id=message_id, format="full")
            batch.add(get, request_id=message_id)
        self._sent[0] += 1
        batch.execute()
        if failures:
            raise failures[0]
        return found

    def _message(self, message_id: str) -> dict[str, Any] | None:
        try:
            return self._gmail.messages().get(userId="me", id=message_id, format="full").execute()
        except HttpError as error:
            if error.resp.status == 404:
                return None
            raise

    def _names(self) -> dict[str, str]:
        return {label_id: name for name, label_id in self._label_ids().items()}

    def get(self, item_type: ItemType, item_id: str) -> ItemRecord:
        """One item; googleapiclient's ``HttpError`` 404 if it is gone."""
        if item_type in GROUPS:
            fields = ",".join((*PEOPLE_FIELDS[item_type], "metadata"))
            person = self._people.people().get(resourceName=item_id, personFields=fields).execute()
            return _record(item_type, person)
        if item_type is ItemType.TASK:
            task = self._tasks.tasks().get(tasklist=self._sap_tasks(), task=item_id).execute()
            return google_records.task_record(task)
        if item_type is ItemType.APPOINTMENT:
            event = self._events.get(calendarId="primary", eventId=item_id).execute()
            return google_records.appointment_record(event)
        self._only_emails(item_type)
        message = self._gmail.messages().get(userId="me", id=item_id, format="full").execute()
        return record_from_message(message, self._names())

    # -- writing ------------------------------------------------------------------------------

    def create(self, item_type: ItemType, record: ItemRecord) -> ItemRef:
        """Create the item in its group, list or (marked) in the primary calendar."""
        if isinstance(record, TaskRecord):
            body = google_records.task_body(record)
            task = self._tasks.tasks().insert(tasklist=self._sap_tasks(), body=body).execute()
            return ItemRef(task["id"], task["etag"])
        if isinstance(record, AppointmentRecord):
            body = {**google_records.event_body(record),
                    "extendedProperties": {"private": {MARK: "1"}}}  # fmt: skip
            event = self._events.insert(calendarId="primary", body=body, sendUpdates="none")
            created = event.execute()
            return ItemRef(created["id"], created["etag"])
        body = {**_person(item_type, record), "memberships": [
            {"contactGroupMembership": {"contactGroupResourceName": self._group(GROUPS[item_type])}}
        ]}  # fmt: skip
        fields = ",".join(PEOPLE_FIELDS[item_type])
        person = self._people.people().createContact(body=body, personFields=fields).execute()
        return ItemRef(person["resourceName"], person["etag"])

    def update(self, item_type: ItemType, record: ItemRecord, change_key: str) -> ItemRef:
        """Write the mapped fields with the etag ``change_key``; Google refuses a stale one
        (400 ``failedPrecondition``, a conflict)."""
        if record.id is None:
            raise ValueError("update needs a record with an id")
        if isinstance(record, TaskRecord | AppointmentRecord):
            return self._checked_patch(record, change_key)
        fields = ",".join(PEOPLE_FIELDS[item_type])
        body = {**_person(item_type, record), "etag": change_key}
        person = (
            self._people.people()
            .updateContact(
                resourceName=record.id, updatePersonFields=fields, personFields=fields, body=body
            )
            .execute()
        )
        return ItemRef(person["resourceName"], person["etag"])

    def _checked_patch(self, record: TaskRecord | AppointmentRecord, change_key: str) -> ItemRef:
        """Patch a task or event unless it changed since ``change_key`` (Google checks none)."""
        assert record.id is not None
        if isinstance(record, TaskRecord):
            tasks, list_id = self._tasks.tasks(), self._sap_tasks()
            current = tasks.get(tasklist=list_id, task=record.id).execute()
            if current.get("etag") != change_key:
                raise ChangedMeanwhile(f"the task {record.id} changed since it was read")
            body = google_records.task_body(record)
            done = tasks.patch(tasklist=list_id, task=record.id, body=body).execute()
            return ItemRef(done["id"], done["etag"])
        current = self._events.get(calendarId="primary", eventId=record.id).execute()
        if current.get("etag") != change_key:
            raise ChangedMeanwhile(f"the event {record.id} changed since it was read")
        body = google_records.event_body(record)
        done = self._events.patch(
            calendarId="primary", eventId=record.id, body=body, sendUpdates="none"
        ).execute()
        return ItemRef(done["id"], done["etag"])

    def delete(self, item_type: ItemType, item_id: str) -> None:
        """Delete the item; attendees of an event are never told."""
        if item_type is ItemType.TASK:
            self._tasks.tasks().delete(tasklist=self._sap_tasks(), task=item_id).execute()
        elif item_type is ItemType.APPOINTMENT:
            self._events.delete(calendarId="primary", eventId=item_id, sendUpdates="none").execute()
        elif item_type in GROUPS:
            self._people.people().deleteContact(resourceName=item_id).execute()
        else:
            raise UnsupportedOperation("E-mails sync from the mailbox to C4C only")

    def set_markers(self, item_type: ItemType, item_id: str, detail: str) -> None:
        """An e-mail gets "SAP E-Mails/Sync Error", a contact or account the group "SAP Sync
        Error" (Google has no place for the detail words)."""
        if item_type in GROUPS:
            self._regroup(item_id, "resourceNamesToAdd")
        elif item_type is ItemType.APPOINTMENT:
            self._recolour(item_id, mark=True)
        elif item_type is not ItemType.TASK:  # a task has nowhere to show a marker
            self._only_emails(item_type)
            self._relabel(item_id, add=(self._ensure_label(ERROR_LABEL, color=RED),))

    def clear_markers(self, item_type: ItemType, item_id: str) -> None:
        """Remove exactly our marker; the user's labels and groups stay."""
        if item_type in GROUPS:
            self._regroup(item_id, "resourceNamesToRemove")
        elif item_type is ItemType.APPOINTMENT:
            self._recolour(item_id, mark=False)
        elif item_type is not ItemType.TASK:
            self._only_emails(item_type)
            self._relabel(item_id, remove=(self._ensure_label(ERROR_LABEL, color=RED),))

    def _recolour(self, item_id: str, *, mark: bool) -> None:
        """Tomato while failing, keeping the event's own colour (or none) to restore later."""
        event = self._events.get(calendarId="primary", eventId=item_id).execute()
        private = dict((event.get("extendedProperties") or {}).get("private") or {})
        if mark == (COLOUR_KEPT in private):
            return
        if mark:
            private[COLOUR_KEPT] = event.get("colorId") or "none"
            colour: str | None = TOMATO
        else:
            kept = private.pop(COLOUR_KEPT)
            colour = None if kept == "none" else kept
        shared = (event.get("extendedProperties") or {}).get("shared")
        properties = {"private": private, **({"shared": shared} if shared else {})}
        body = {"colorId": colour, "extendedProperties": properties}
        self._events.patch(calendarId="primary", eventId=item_id, body=body,
                           sendUpdates="none").execute()  # fmt: skip

    def _regroup(self, item_id: str, change: str) -> None:
        members = self._people.contactGroups().members()
        group = self._group(ERROR_GROUP)
        members.modify(resourceName=group, body={change: [item_id]}).execute()

    def select_for_sync(self, item_type: ItemType, item_id: str) -> None:
        """Label the e-mail "SAP E-Mails", or mark the event; other types go by group or list."""
        if item_type is ItemType.APPOINTMENT:
            event = self._events.get(calendarId="primary", eventId=item_id).execute()
            properties = dict(event.get("extendedProperties") or {})
            properties["private"] = {**(properties.get("private") or {}), MARK: "1"}
            self._events.patch(calendarId="primary", eventId=item_id, sendUpdates="none",
                               body={"extendedProperties": properties}).execute()  # fmt: skip
            return
        self._only_emails(item_type)
        self._relabel(item_id, add=(self._ensure_label(SAP_LABEL),))

    def _relabel(
        self, item_id: str, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()
    ) -> None:
        body = {"addLabelIds": list(add), "removeLabelIds": list(remove)}
        self._gmail.messages().modify(userId="me", id=item_id, body=body).execute()

    def deep_link(self, item_type: ItemType, item_id: str) -> str:
        return web_link(self._address, item_type, item_id)

    def revoke(self) -> None:
        """Revoke the grant at Google (the refresh token ends every access token of it)."""
        token = self._credentials.refresh_token or self._credentials.token
        if self._revoke_token is not None and token:
            self._revoke_token(token)

    @staticmethod
    def _only_emails(item_type: ItemType) -> None:
        if item_type is not ItemType.EMAIL:
            raise UnsupportedOperation(f"{item_type.value} items of Gmail are not synced yet")


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


def _marked(event: dict[str, Any]) -> bool:
    private = (event.get("extendedProperties") or {}).get("private") or {}
    return private.get(MARK) == "1"


def _groups_of(person: dict[str, Any]) -> set[str]:
    return {
        m["contactGroupMembership"].get("contactGroupResourceName", "")
        for m in person.get("memberships", [])
        if "contactGroupMembership" in m
    }


def _record(item_type: ItemType, person: dict[str, Any]) -> ItemRecord:
    if item_type is ItemType.ACCOUNT:
        return google_records.account_record(person)
    return google_records.contact_record(person)


def _person(item_type: ItemType, record: ItemRecord) -> dict[str, Any]:
    if isinstance(record, AccountRecord):
        return google_records.account_person(record)
    if isinstance(record, ContactRecord):
        return google_records.contact_person(record)
    raise UnsupportedOperation(f"{item_type.value} items of Gmail are not synced yet")


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
