"""The Exchange Online provider: a mailbox through Microsoft Graph (plain requests with authlib).

Graph is plain JSON over HTTPS, so the provider speaks it with ``requests`` through any
``requests.Session`` that authenticates: in production authlib's ``OAuth2Session``, which
refreshes a delegated token (or fetches a new client-credentials token) when it is due (see
``backend.sync.connect``). Microsoft's ``msgraph-sdk`` was not used: it is asynchronous (our
workers are not), pulls in the Kiota runtime and its generated models, and hides the HTTP
status, ``Retry-After`` and error codes the classifier needs.

What is synced, as with EWS:

| items | where | selected by |
|---|---|---|
| contacts, accounts | contact folders "SAP Contacts", "SAP Accounts" | the folder |
| tasks | the default To Do list ("Tasks") | the "SAP" category |
| appointments | the calendar view from a year back to two years ahead | the "SAP" category |
| e-mails | mail folder "SAP Cloud for Customer"; inbox and sent items | folder; "SAP" category |

Cursors are Graph delta links, one per source, packed as the EWS provider packs its sync
states; an expired one (410 ``syncStateNotFound``) reads everything again. Markers are the
same categories as in Outlook ("Sync Error" red in the master category list, plus the detail).

Requests per run: the folder ids, the To Do list and the master categories are read in one
JSON batch; each delta page carries up to ``page_size`` items with the properties we map, so
no item is fetched twice. Graph runs batch parts in parallel and throttles more than four
concurrent requests per mailbox (``MailboxConcurrency``), so parts beyond ``concurrency``
wait for an earlier one (``dependsOn``).

Exchange Online sends invitations, updates and cancellations for every organiser's meeting it
is asked to create, change or delete, and Graph has no "send to none": events are created
without attendees, and a change or delete of a meeting the user organises with attendees is
refused (:class:`WouldNotifyAttendees`) so the user makes it in Outlook and decides whom to tell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from backend.mailbox.base import (
    ChangedMeanwhile,
    Changes,
    FolderChange,
    FolderNotes,
    ItemRecord,
    ItemRef,
    UnsupportedOperation,
    follow_folder,
    update_alone,
)
from backend.mailbox.cursors import (
    is_kept_folder,
    keep_folder,
    kept_folder,
    pack_cursor,
    unpack_cursor,
)
from backend.mailbox.graph.records import SELECT, json_from_record, record_from_json
from backend.mailbox.markers import MARKER, SAP_CATEGORY, CategoryMarkers
from backend.mailbox.outlook import owa_link
from backend.models.types import ItemType

GRAPH = "https://graph.microsoft.com"
OUTLOOK_WEB = "https://outlook.office365.com/owa/"
RED = "preset0"
MARKER_ATTEMPTS = 3
CALENDAR_PAST, CALENDAR_AHEAD = timedelta(days=365), timedelta(days=730)
INVALID_ANSWER = "InvalidAnswer"
"""Our code for a 2xx answer that is not Graph's (not JSON, or a delta page without links)."""
MAX_BATCH, MAX_CONCURRENCY = 20, 4
"""Graph's limits: 20 requests per JSON batch, 4 concurrent requests per mailbox."""
FAILED_DEPENDENCY = 424
"""A batch part's status when a part it waited on failed: it was not run."""
WRITTEN_TOGETHER = frozenset({ItemType.CONTACT, ItemType.ACCOUNT})
"""What the sync writes over in JSON batches: To Do tasks and events are read before each
write (To Do ignores ``If-Match``; a meeting with attendees must not be changed)."""


class GraphError(Exception):
    """A failure Graph answered: its HTTP status, error ``code`` and ``Retry-After``."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: float | None = None,
        url: str = "",
    ) -> None:  # fmt: skip
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.retry_after, self.url = retry_after, url

    @classmethod
    def of(cls, status: int, headers: Any, body: Any, url: str = "") -> GraphError:
        """The error of one answer (a response, or one part of a batch)."""
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        retry = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
        try:
            retry_after = float(retry) if retry is not None else None
        except ValueError:
            retry_after = None
        code = str(error.get("code") or f"HTTP {status}")
        message = str(error.get("message") or f"Graph answered {status}")
        return cls(status, code, message, retry_after=retry_after, url=url)


def is_lost_cursor(error: GraphError) -> bool:
    """Whether Graph no longer knows a delta link: expired (410) or not one of its own."""
    return error.status == 410 or error.code.casefold() == "errorinvalidsyncstatedata"


def outlook_web_link(item_type: ItemType, item_id: str, owa_url: str = OUTLOOK_WEB) -> str:
    """Outlook on the web's link to an item, which names it by its EWS id: Graph's id is the
    same bytes in URL-safe base64."""
    return owa_link(owa_url, item_type, item_id.replace("-", "/").replace("_", "+"))


class WouldNotifyAttendees(UnsupportedOperation):
    """Changing or deleting this meeting would make Exchange Online notify its attendees."""

    code = "WouldNotifyAttendees"


@dataclass(frozen=True)
class Source:
    """One place an item type is read from: a folder (by name or well-known name) or list."""

    key: str
    kind: str
    """``contacts``, ``messages``, ``tasks`` or ``events``."""
    folder: str | None
    needs_category: bool
    well_known: bool = False


SOURCES: dict[ItemType, tuple[Source, ...]] = {
    ItemType.CONTACT: (Source("contacts/SAP Contacts", "contacts", "SAP Contacts", False),),
    ItemType.ACCOUNT: (Source("contacts/SAP Accounts", "contacts", "SAP Accounts", False),),
    ItemType.TASK: (Source("todo/default", "tasks", None, True),),
    ItemType.APPOINTMENT: (Source("calendar/view", "events", None, True),),
    ItemType.EMAIL: (
        Source("mail/SAP Cloud for Customer", "messages", "SAP Cloud for Customer", False),
        Source("mail/inbox", "messages", "inbox", True, well_known=True),
        Source("mail/sentitems", "messages", "sentitems", True, well_known=True),
    ),
}


class GraphProvider(CategoryMarkers, FolderNotes):
    """One Exchange Online mailbox.

    Args:
        session: sends the requests and authenticates them (authlib's ``OAuth2Session`` in
            production).
        address: the mailbox's primary SMTP address.
        api_base: Graph's address (an emulator's in tests and the demo).
        app: the session holds an application (client credentials) token: the mailbox is
            ``/users/{address}`` rather than ``/me``.
        page_size: items per delta page (``Prefer: odata.maxpagesize``).
        batch_size: requests per JSON batch (at most 20).
        concurrency: batch parts Graph may run at once for this mailbox (at most 4).
        timeout: seconds to wait for one answer, or ``(connect, read)``.
        owa_url: Outlook on the web, for links to items.
        revoke_token: called by :meth:`revoke` (e.g. to revoke the refresh token).
    """

    writes_together = WRITTEN_TOGETHER

    def __init__(
        self,
        session: requests.Session,
        address: str,
        *,
        api_base: str = GRAPH,
        app: bool = False,
        page_size: int = 250,
        batch_size: int = MAX_BATCH,
        concurrency: int = MAX_CONCURRENCY,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        owa_url: str = OUTLOOK_WEB,
        revoke_token: Callable[[], None] | None = None,
    ) -> None:
        self._session = session
        self._prefix = f"/users/{quote(address)}" if app else "/me"
        self._api = f"{api_base.rstrip('/')}/v1.0"
        self._page_size = page_size
        self._batch_size = max(1, min(batch_size, MAX_BATCH))
        self._concurrency = max(1, min(concurrency, MAX_CONCURRENCY))
        self._timeout = timeout
        self._owa_url = owa_url
        self._revoke_token = revoke_token
        self._sent = 0
        self._folders: dict[str, dict[str, str]] | None = None
        self._task_list: str | None = None
        self._categories: list[dict[str, Any]] = []
        self._markers_ensured = False
        self._known: dict[str, tuple[str | None, str | None]] = {}
        self._moved: dict[str, FolderChange] = {}

    @property
    def requests_sent(self) -> int:
        return self._sent

    # -- plumbing -------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self._api}{self._prefix}/{path}"

    def _send(
        self, method: str, url: str, *, json: Any = None, params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        self._sent += 1
        answer = self._session.request(
            method, url, json=json, params=params, headers=headers, timeout=self._timeout
        )
        try:
            body = answer.json() if answer.content else {}
        except ValueError:
            body = None
        if answer.status_code >= 400:
            raise GraphError.of(answer.status_code, answer.headers, body, url)
        if not isinstance(body, dict):
            # A proxy's or a captive portal's page: nothing of it may be taken for Graph's.
            kind = answer.headers.get("Content-Type", "no type")
            message = f"Graph's answer is not a JSON object ({kind})"
            raise GraphError(answer.status_code, INVALID_ANSWER, message, url=url)
        return body

    def _batch(self, paths: dict[str, str]) -> dict[str, dict[str, Any]]:
        """GET each of ``paths`` (relative to the mailbox) in JSON batches; the bodies by key.

        Raises:
            GraphError: the first part that failed.
        """
        found: dict[str, dict[str, Any]] = {}
        for key, status, headers, body in self._parts(_gets(paths)):
            if status >= 400:
                raise GraphError.of(status, headers, body)
            found[key] = body or {}
        return found

    def _parts(
        self, requests_: dict[str, dict[str, Any]]
    ) -> Iterator[tuple[str, int, dict[str, str] | None, Any]]:
        """Each of ``requests_`` (a part's ``method``, ``url`` relative to the mailbox, and any
        ``headers`` and ``body``) in JSON batches, at most ``concurrency`` parts of a batch at
        once: each part's key, status, headers and body. A part after one that failed is
        answered 424 (``FailedDependency``), not run."""
        keys = list(requests_)
        for start in range(0, len(keys), self._batch_size):
            chunk = keys[start : start + self._batch_size]
            parts = []
            for index, key in enumerate(chunk):
                asked = requests_[key]
                part: dict[str, Any] = {
                    **asked, "id": str(index + 1), "url": f"{self._prefix}/{asked['url']}"
                }  # fmt: skip
                if index >= self._concurrency:
                    part["dependsOn"] = [str(index + 1 - self._concurrency)]
                parts.append(part)
            answer = self._send("POST", f"{self._api}/$batch", json={"requests": parts})
            for response in answer.get("responses", []):
                status = int(response.get("status", 500))
                key = chunk[int(response["id"]) - 1]
                yield key, status, response.get("headers"), response.get("body")

    def _prefer(self) -> dict[str, str]:
        return {
            "Prefer": f'odata.maxpagesize={self._page_size}, outlook.timezone="UTC", '
            'outlook.body-content-type="text"'
        }

    # -- folders ----------------------------------------------------------------------------------

    def _discover(self) -> dict[str, dict[str, str]]:
        """Contact and mail folders by name, the default To Do list and the master categories,
        in one batch the first time they are needed."""
        if self._folders is None:
            found = self._batch({
                "contacts": "contactFolders?$top=100&$select=id,displayName",
                "messages": "mailFolders?$top=100&$select=id,displayName",
                "tasks": "todo/lists",
                "categories": "outlook/masterCategories",
            })  # fmt: skip
            self._folders = {
                kind: {f["displayName"]: f["id"] for f in found[kind].get("value", [])}
                for kind in ("contacts", "messages")
            }
            lists = found["tasks"].get("value", [])
            default = [t for t in lists if t.get("wellknownListName") == "defaultList"]
            self._task_list = (default or lists or [{}])[0].get("id")
            self._categories = found["categories"].get("value", [])
        return self._folders

    def _folder(self, source: Source) -> str:
        """The id (or well-known name) of ``source``'s folder, created when missing."""
        folders = self._discover()
        if source.kind == "tasks":
            if self._task_list is None:
                made = self._send("POST", self._url("todo/lists"), json={"displayName": "Tasks"})
                self._task_list = made["id"]
            return self._task_list
        if source.folder is None or source.well_known:
            return source.folder or ""
        path = "contactFolders" if source.kind == "contacts" else "mailFolders"
        body = {"displayName": source.folder}
        folder_id, change = follow_folder(
            source.folder, folders[source.kind], self._known.get(source.key, (None, None)),
            lambda: self._send("POST", self._url(path), json=body)["id"],
            lambda folder_id: self._folder_elsewhere(path, folder_id),
        )  # fmt: skip
        self._note(source.key, change)
        return folder_id

    def _folder_elsewhere(self, path: str, folder_id: str) -> str | None:
        """The name of a kept folder the user moved (into Deleted Items, say), ``None`` if gone."""
        try:
            found = self._send("GET", self._url(f"{path}/{quote(folder_id, safe='')}"))
        except GraphError as error:
            if error.status == 404:
                return None
            raise
        return str(found.get("displayName", ""))

    def _folder_name(self, source: Source, folder_id: str) -> str:
        named = self._discover()[source.kind]
        return next((name for name, found in named.items() if found == folder_id), "")

    def _collection(self, source: Source) -> str:
        """Where ``source``'s items are, relative to the mailbox."""
        if source.kind == "events":
            return "calendar/events"
        parent = {"contacts": "contactFolders", "messages": "mailFolders",
                  "tasks": "todo/lists"}[source.kind]  # fmt: skip
        return f"{parent}/{quote(self._folder(source), safe='')}/{source.kind}"

    def _item_url(self, item_type: ItemType, item_id: str) -> str:
        return self._url(self._item_path(item_type, item_id))

    def _item_path(self, item_type: ItemType, item_id: str) -> str:
        source = SOURCES[item_type][0]
        # Contacts, events and messages have a mailbox-wide address; To Do tasks only their list's.
        where = self._collection(source) if source.kind == "tasks" else source.kind
        return f"{where}/{quote(item_id, safe='')}"

    # -- MailboxProvider ----------------------------------------------------------------------

    def activate(self) -> None:
        """Create the missing SAP folders and make the marker category red."""
        for sources in SOURCES.values():
            for source in sources:
                self._folder(source)
        self.ensure_marker_definitions()

    def changes(self, item_type: ItemType, cursor: str | None) -> Changes:
        """Changes since ``cursor``; an absent or expired one reads everything, and so does one
        whose delta links name the mailbox another way (``/me`` before the company granted
        application permissions, ``/users/...`` after, or back): they are bound to that path."""
        links = unpack_cursor(cursor)
        for source in SOURCES[item_type]:
            if (known := kept_folder(links or {}, source.key))[0] is not None:
                self._known[source.key] = known
        deltas = {key: link for key, link in (links or {}).items() if not is_kept_folder(key)}
        if links and not all(link.startswith(self._url("")) for link in deltas.values()):
            links = None
        try:
            return self._changes(item_type, links or {}, links is None)
        except GraphError as error:
            if links is None or not (is_lost_cursor(error) or self._folder_gone(item_type, error)):
                raise
            return replace(self._changes(item_type, {}, True), cursor_lost=is_lost_cursor(error))

    def _folder_gone(self, item_type: ItemType, error: GraphError) -> bool:
        """Whether a delta link failed because its folder is gone (the user deleted a folder
        the product keeps): it is put back by a full read."""
        kept = any(source.key in self._known for source in SOURCES[item_type])
        return kept and error.status == 404 and error.code.casefold() == "erroritemnotfound"

    def _changes(self, item_type: ItemType, links: dict[str, str], full: bool) -> Changes:
        upserted: list[ItemRecord] = []
        deleted: list[str] = []
        deselected: list[str] = []
        new_links: dict[str, str] = {}
        kept = [s for s in SOURCES[item_type] if s.folder is not None and not s.well_known]
        for source in kept:
            folder_id, name = kept_folder(links, source.key)
            if source.key not in links or folder_id is None:
                # Without a delta link the folder is looked up (a delta link follows its
                # folder through a rename: none is needed then).
                folder_id = self._folder(source)
                name = self._folder_name(source, folder_id)
            new_links |= keep_folder(source.key, folder_id, name or "")
        if not full and self._put_back(*(source.key for source in kept)):
            return self._changes(item_type, {}, True)  # a new, empty folder: read it in full
        for source in SOURCES[item_type]:
            for item in self._delta(item_type, source, links.get(source.key), new_links):
                if "@removed" in item:
                    deleted.append(item["id"])
                elif source.needs_category and SAP_CATEGORY not in (item.get("categories") or ()):
                    if not full:
                        deselected.append(item["id"])
                else:
                    upserted.append(record_from_json(item_type, item))
        return Changes(
            item_type=item_type,
            upserted=tuple(upserted),
            deleted=tuple(deleted),
            deselected=tuple(deselected),
            cursor=pack_cursor(new_links),
            full=full,
        )

    def _delta(
        self, item_type: ItemType, source: Source, link: str | None, new_links: dict[str, str]
    ) -> Iterator[dict[str, Any]]:
        """Every item of one delta read, page after page; the new delta link goes to
        ``new_links``."""
        params: dict[str, str] | None = None
        if link is None:
            if source.kind == "events":
                now = datetime.now(UTC).replace(microsecond=0)
                link = self._url("calendarView/delta")
                params = {
                    "startDateTime": (now - CALENDAR_PAST).isoformat().replace("+00:00", "Z"),
                    "endDateTime": (now + CALENDAR_AHEAD).isoformat().replace("+00:00", "Z"),
                }
            else:
                link = self._url(f"{self._collection(source)}/delta")
                if item_type in SELECT:
                    params = {"$select": SELECT[item_type]}
        url: str | None = link
        while url is not None:
            page = self._send("GET", url, params=params, headers=self._prefer())
            params = None
            yield from page.get("value", [])
            url = page.get("@odata.nextLink")
            if url is None and not page.get("@odata.deltaLink"):
                raise GraphError(200, INVALID_ANSWER, "A delta page without a next or delta link")
            if url is None:
                new_links[source.key] = str(page["@odata.deltaLink"])

    def as_kept(self, item_type: ItemType, record: ItemRecord) -> ItemRecord:
        """Every field of a record has its place here."""
        return record

    def get(self, item_type: ItemType, item_id: str) -> ItemRecord:
        """One item as a record; ``GraphError`` 404 ``ErrorItemNotFound`` if it is gone."""
        return record_from_json(item_type, self._read(item_type, item_id))

    def _read(self, item_type: ItemType, item_id: str) -> dict[str, Any]:
        params = {"$select": SELECT[item_type]} if item_type in SELECT else None
        return self._send(
            "GET", self._item_url(item_type, item_id), params=params, headers=self._prefer()
        )

    def get_many(self, item_type: ItemType, item_ids: Sequence[str]) -> dict[str, ItemRecord]:
        """The items in JSON batches (20 a request); one that failed is left out, as is one
        whose part waited on it (Graph answers such a part 424)."""
        select = f"?$select={SELECT[item_type]}" if item_type in SELECT else ""
        paths = {item_id: f"{self._item_path(item_type, item_id)}{select}" for item_id in item_ids}
        return {
            key: record_from_json(item_type, body)
            for key, status, _headers, body in self._parts(_gets(paths, self._prefer()))
            if status < 400 and isinstance(body, dict)
        }

    def create(self, item_type: ItemType, record: ItemRecord) -> ItemRef:
        """Create the item in its SAP folder, with the "SAP" category where that selects it."""
        if item_type is ItemType.EMAIL:
            raise UnsupportedOperation("E-mails sync from the mailbox to C4C only")
        source = SOURCES[item_type][0]
        body = {k: v for k, v in json_from_record(item_type, record).items() if v is not None}
        categories = list(record.categories)
        if source.needs_category and SAP_CATEGORY not in categories:
            categories.append(SAP_CATEGORY)
        body["categories"] = categories
        made = self._send(
            "POST", self._url(self._collection(source)), json=body, headers=self._prefer()
        )
        return ItemRef(made["id"], made.get("@odata.etag", ""))

    def update(self, item_type: ItemType, record: ItemRecord, change_key: str) -> ItemRef:
        """Write the mapped properties over the item if it is still at ``change_key``.

        Raises:
            GraphError: 412 ``ErrorIrresolvableConflict`` when it changed meanwhile.
            ChangedMeanwhile: a To Do task that changed meanwhile (To Do is not known to check
                ``If-Match``, so the task is read first).
            WouldNotifyAttendees: a meeting the user organises, with attendees.
        """
        if item_type is ItemType.EMAIL:
            raise UnsupportedOperation("E-mails sync from the mailbox to C4C only")
        if record.id is None:
            raise ValueError("update needs a record with an id")
        url = self._item_url(item_type, record.id)
        if item_type in (ItemType.TASK, ItemType.APPOINTMENT):
            current = self._send("GET", url, headers=self._prefer())
            self._refuse_notifying(item_type, current, "change")
            if item_type is ItemType.TASK and current.get("@odata.etag") != change_key:
                raise ChangedMeanwhile(f"The task {record.id} changed since {change_key}")
        body = json_from_record(item_type, record)
        written = self._send("PATCH", url, json=body, headers={"If-Match": change_key})
        return ItemRef(written.get("id", record.id), written.get("@odata.etag", ""))

    def update_many(
        self, item_type: ItemType, writes: Sequence[tuple[ItemRecord, str]]
    ) -> list[ItemRef | Exception]:
        """The updates as PATCH parts of JSON batches, each with its ``If-Match``. One that
        waited on a part that failed (answered 424, not run) is sent again on its own; a batch
        that fails after others were answered answers its writes with its failure."""
        if item_type not in WRITTEN_TOGETHER:
            raise UnsupportedOperation(f"{item_type.value} items are updated one at a time")
        patches: dict[str, dict[str, Any]] = {}
        for position, (record, change_key) in enumerate(writes):
            if record.id is None:
                raise ValueError("update needs a record with an id")
            patches[str(position)] = {
                "method": "PATCH",
                "url": self._item_path(item_type, record.id),
                "headers": {"Content-Type": "application/json", "If-Match": change_key},
                "body": json_from_record(item_type, record),
            }
        answers: dict[str, ItemRef | Exception] = {}
        unanswered: Exception = GraphError(200, INVALID_ANSWER, "The batch did not answer it")
        try:
            for key, status, headers, body in self._parts(patches):
                record, change_key = writes[int(key)]
                if status == FAILED_DEPENDENCY:
                    answers[key] = update_alone(self, item_type, record, change_key)
                elif status >= 400:
                    answers[key] = GraphError.of(status, headers, body)
                else:
                    written = body if isinstance(body, dict) else {}
                    etag = written.get("@odata.etag", "")
                    answers[key] = ItemRef(written.get("id", record.id), etag)
        except Exception as error:
            if not answers:
                raise  # nothing was written: the request failed as a whole
            unanswered = error  # a later batch failed: the earlier ones' answers stand
        # Graph answers a batch's parts in any order: each answer goes to its own write.
        return [answers.get(str(position), unanswered) for position in range(len(writes))]

    def delete(self, item_type: ItemType, item_id: str) -> None:
        """Delete the item (Graph moves it to Deleted Items); never a meeting with attendees."""
        url = self._item_url(item_type, item_id)
        if item_type is ItemType.APPOINTMENT:
            self._refuse_notifying(item_type, self._send("GET", url), "delete")
        self._send("DELETE", url)

    @staticmethod
    def _refuse_notifying(item_type: ItemType, event: dict[str, Any], verb: str) -> None:
        if (
            item_type is ItemType.APPOINTMENT
            and event.get("isOrganizer")
            and event.get("attendees")
        ):
            raise WouldNotifyAttendees(
                f"Exchange Online would send every attendee of this meeting a message if we "
                f"{verb} it: {verb} it in Outlook"
            )

    def _selected_by_category(self, item_type: ItemType) -> bool:
        return any(source.needs_category for source in SOURCES[item_type])

    def _edit_categories(
        self, item_type: ItemType, item_id: str, edit: Callable[[list[str]], tuple[str, ...]]
    ) -> None:
        url = self._item_url(item_type, item_id)
        params = None if item_type is ItemType.TASK else {"$select": "categories"}
        for attempt in range(MARKER_ATTEMPTS):
            item = self._send("GET", url, params=params)
            current = list(item.get("categories") or ())
            wanted = list(edit(current))
            if wanted == current:
                return
            # Categories are the user's own view of an item: no attendee is told of them.
            headers = {"If-Match": item.get("@odata.etag", "*")}
            try:
                self._send("PATCH", url, json={"categories": wanted}, headers=headers)
                return
            except GraphError as error:
                # The user edited the item between our read and write: read again, keep theirs.
                if error.status != 412 or attempt == MARKER_ATTEMPTS - 1:
                    raise

    def ensure_marker_definitions(self) -> None:
        """Make "Sync Error" red in the master category list; once per provider instance."""
        if self._markers_ensured:
            return
        self._discover()
        found = next((c for c in self._categories if c.get("displayName") == MARKER), None)
        if found is None:
            body = {"displayName": MARKER, "color": RED}
            self._categories.append(
                self._send("POST", self._url("outlook/masterCategories"), json=body)
            )
        elif found.get("color") != RED:
            path = f"outlook/masterCategories/{quote(found['id'], safe='')}"
            self._send("PATCH", self._url(path), json={"color": RED})
            found["color"] = RED
        self._markers_ensured = True

    def deep_link(self, item_type: ItemType, item_id: str) -> str:
        """An Outlook on the web URL that opens the item."""
        return outlook_web_link(item_type, item_id, self._owa_url)

    def revoke(self) -> None:
        """Give up the mailbox's access (``revoke_token`` if given) and close connections."""
        if self._revoke_token is not None:
            self._revoke_token()
        self._session.close()


def _gets(paths: dict[str, str], headers: dict[str, str] | None = None) -> dict[str, dict]:
    """A GET part of a JSON batch for each of ``paths``, each with ``headers``."""
    return {
        key: {"method": "GET", "url": path, **({"headers": headers} if headers else {})}
        for key, path in paths.items()
    }
