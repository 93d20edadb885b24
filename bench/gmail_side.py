"""The Gmail side of ``bench.sync_bench``: a Google Workspace mailbox on the Google emulator.

Items are put straight into the emulator's stores (the API's own shapes, far quicker than 6,500
HTTP calls): contacts and accounts are people in the contact groups "SAP Contacts" and "SAP
Accounts" (an account's organisation names the company), tasks are in the list "SAP Tasks"
(many in one millisecond, as an import writes them), appointments are primary-calendar events
with the private property ``ssiSync=1`` and e-mails are messages labelled "SAP E-Mails", sent
by the contacts.

The floor reads the same data with the plain Google client and no sync logic, with the
provider's fields, formats and page sizes where they are the fewest requests: People
``connections.list`` once for both groups (then its sync token), Tasks ``tasks.list`` of the
list (then ``updatedMin``), Calendar ``events.list`` filtered by the private property in pages
of 2,500 (then its sync token) and Gmail ``messages.list`` by label with the messages read
(``format=full``) 50 per batch request (then ``history.list`` by label from the last history
id).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from backend.mailbox.gmail import records as google_records
from backend.mailbox.gmail.calendar import MARK
from backend.mailbox.gmail.messages import BATCH, PAGE, SAP_LABEL
from backend.mailbox.gmail.people import GROUPS
from backend.mailbox.gmail.tasks import TASK_LIST
from backend.models.mailbox import Provider
from backend.models.types import ItemType, MailSystem
from emulators.google import GoogleEmulator
from emulators.google.people import ContactGroup, PeopleStore
from tests.support.discovery import service

ADDRESS, TOKEN = "bench@contoso.test", "ya29.bench"
PEOPLE_FIELDS = ",".join((*google_records.ACCOUNT_FIELDS, "memberships", "metadata"))
"""Every field the provider reads of contacts and accounts (accounts' are a superset)."""
EVENT_PAGE = 2500


def _pages(collection: Any, **params: Any) -> Iterator[dict[str, Any]]:
    """Every answer of a paged ``list`` call."""
    request = collection.list(**params)
    while request is not None:
        answer = request.execute()
        yield answer
        request = collection.list_next(request, answer)


def _member_of(store: PeopleStore, name: str) -> list[dict[str, Any]]:
    """A person's ``memberships`` for contact group ``name`` (created as the API creates it)."""
    group = next((g for g in store.groups.values() if g.name == name), None)
    if group is None:
        group = ContactGroup(secrets.token_hex(8), name)
        store.groups[group.id] = group
    return [{"contactGroupMembership": {"contactGroupResourceName": group.resource_name}}]


class GmailReader:
    """The bare Google client: everything selected, then what changed since the last read."""

    def __init__(self, url: str) -> None:
        self.batch_uri = f"{url}/batch/gmail/v1"
        self.gmail = service(url, "gmail", "v1", TOKEN).users()
        self.people = service(url, "people", "v1", TOKEN).people().connections()
        self.tasks = service(url, "tasks", "v1", TOKEN)
        self.events = service(url, "calendar", "v3", TOKEN).events()
        # Label, group and list look-ups happen here, before any clock starts.
        labels = self.gmail.labels().list(userId="me").execute()["labels"]
        self.label = next(label["id"] for label in labels if label["name"] == SAP_LABEL)
        groups = service(url, "people", "v1", TOKEN).contactGroups().list().execute()
        self.groups = {
            g["resourceName"] for g in groups["contactGroups"] if g["name"] in GROUPS.values()
        }
        lists = self.tasks.tasklists().list(maxResults=100).execute()["items"]
        self.task_list = next(t["id"] for t in lists if t["title"] == TASK_LIST)
        self.people_token: str | None = None
        self.tasks_since: str | None = None
        self.events_token: str | None = None
        self.history_id: str | None = None

    def read(self) -> int:
        """Everything changed since the last call (everything on the first); items read."""
        return self._people() + self._tasks() + self._events() + self._emails()

    def _people(self) -> int:
        params: dict[str, Any] = {"resourceName": "people/me", "personFields": PEOPLE_FIELDS,
                                  "pageSize": 1000, "requestSyncToken": True}  # fmt: skip
        if self.people_token:
            params["syncToken"] = self.people_token
        seen = 0
        for answer in _pages(self.people, **params):
            for person in answer.get("connections", []):
                groups = {
                    m["contactGroupMembership"]["contactGroupResourceName"]
                    for m in person.get("memberships", [])
                    if "contactGroupMembership" in m
                }
                seen += bool(groups & self.groups or person.get("metadata", {}).get("deleted"))
            self.people_token = answer.get("nextSyncToken", self.people_token)
        return seen

    def _tasks(self) -> int:
        params: dict[str, Any] = {"tasklist": self.task_list, "maxResults": 100}
        if self.tasks_since:
            params.update(updatedMin=self.tasks_since, showDeleted=True, showHidden=True)
        found = [
            task for answer in _pages(self.tasks.tasks(), **params) for task in answer["items"]
        ]
        self.tasks_since = max((task["updated"] for task in found), default=self.tasks_since)
        return len(found)

    def _events(self) -> int:
        params: dict[str, Any] = {"calendarId": "primary", "maxResults": EVENT_PAGE}
        if self.events_token:
            params["syncToken"] = self.events_token
        else:
            params["privateExtendedProperty"] = f"{MARK}=1"
        seen = 0
        for answer in _pages(self.events, **params):
            seen += len(answer.get("items", []))
            self.events_token = answer.get("nextSyncToken", self.events_token)
        return seen

    def _emails(self) -> int:
        messages = self.gmail.messages()
        if self.history_id is None:
            # The history id first: whatever changes while we read shows in the next read.
            self.history_id = self.gmail.getProfile(userId="me").execute()["historyId"]
            pages = _pages(messages, userId="me", labelIds=[self.label], maxResults=PAGE)
            ids = [m["id"] for answer in pages for m in answer.get("messages", [])]
        else:
            ids = self._history()
        found: list[str] = []

        def took(request_id: str, _response: Any, error: HttpError | None) -> None:
            if error is None:
                found.append(request_id)
            elif error.resp.status != 404:
                raise error

        for start in range(0, len(ids), BATCH):
            batch = BatchHttpRequest(callback=took, batch_uri=self.batch_uri)
            for message_id in ids[start : start + BATCH]:
                batch.add(messages.get(userId="me", id=message_id, format="full"),
                          request_id=message_id)  # fmt: skip
            batch.execute()
        return len(found)

    def _history(self) -> list[str]:
        """Messages added to, or labelled with, "SAP E-Mails" since the last read."""
        touched: dict[str, None] = {}
        pages = _pages(self.gmail.history(), userId="me", startHistoryId=self.history_id,
                       labelId=self.label, maxResults=PAGE)  # fmt: skip
        for answer in pages:
            for entry in answer.get("history", []):
                for kind in ("messagesAdded", "labelsAdded"):
                    touched.update(dict.fromkeys(c["message"]["id"] for c in entry.get(kind, [])))
            self.history_id = answer.get("historyId", self.history_id)
        return list(touched)


class GmailSide:
    """A Gmail mailbox on the Google emulator (its request log counts the mailbox's requests)."""

    label = "GAPI"
    """The table's name for the mailbox's requests (Google's APIs)."""

    def __init__(self) -> None:
        self.emulator = GoogleEmulator().start()
        self.emulator.add_mailbox(ADDRESS, TOKEN)
        self.settings = {"GOOGLE_API_BASE": self.emulator.url}
        self.tenant: dict[str, Any] = {"mail_system": MailSystem.GMAIL, "mail_endpoint": None}
        self.user: dict[str, Any] = {
            "mailbox_credentials": {"kind": "oauth", "provider": "google", "access_token": TOKEN},
            "provider": Provider.GMAIL,
        }

    def stop(self) -> None:
        self.emulator.stop()

    def seed(self, sizes: dict[str, int]) -> None:
        store = self.emulator.store
        people = store.people[ADDRESS]
        accounts = _member_of(people, GROUPS[ItemType.ACCOUNT])
        for n in range(sizes["accounts"]):
            name = f"Customer {n:04d}"
            people.create({"names": [{"givenName": name}], "organizations": [{"name": name}],
                           "memberships": accounts})  # fmt: skip
        contacts = _member_of(people, GROUPS[ItemType.CONTACT])
        for n in range(sizes["contacts"]):
            name = {"givenName": f"Given{n:04d}", "familyName": f"Surname{n:04d}"}
            people.create({"names": [name], "emailAddresses": [{"value": f"c{n}@customer.test"}],
                           "memberships": contacts})  # fmt: skip
        tasks = store.tasks[ADDRESS]
        task_list = tasks.add_list(TASK_LIST).id
        now = datetime.now(UTC)
        due = (now + timedelta(days=7)).strftime("%Y-%m-%dT00:00:00.000Z")
        for n in range(sizes["tasks"]):
            tasks.insert(task_list, {"title": f"Follow up {n}", "due": due})
        calendar = store.calendars[ADDRESS]
        for n in range(sizes["appointments"]):
            start = now.replace(microsecond=0) + timedelta(days=n % 60, hours=9)
            calendar.insert({
                "summary": f"Visit {n}", "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
                "extendedProperties": {"private": {MARK: "1"}},
            })  # fmt: skip
        mailbox = store.mailboxes[ADDRESS]
        labels = ["INBOX", "UNREAD", mailbox.create_label(SAP_LABEL).id]
        sent = now.strftime("%a, %d %b %Y %H:%M:%S +0000")
        for n in range(sizes["emails"]):
            sender = f"c{n % sizes['contacts']}@customer.test"
            raw = (
                f"From: {sender}\r\nTo: {ADDRESS}\r\nSubject: Quote {n}\r\nDate: {sent}\r\n"
                f"Message-ID: <{secrets.token_hex(8)}@example.com>\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                f"Hello, this is about Quote {n}.\r\n"
            )
            mailbox.insert(raw.encode(), labels)

    def reader(self) -> GmailReader:
        return GmailReader(self.emulator.url)

    def change(self, count: int) -> None:
        """Edit ``count`` "SAP Contacts" people's job titles, as an update through the People
        API does (with the person's current etag)."""
        people = self.emulator.store.people[ADDRESS]
        group = _member_of(people, GROUPS[ItemType.CONTACT])[0]["contactGroupMembership"]
        group_id = group["contactGroupResourceName"].removeprefix("contactGroups/")
        with people.lock:
            chosen = [c for c in people.contacts.values() if not c.deleted and group_id in c.groups]
            for contact in chosen[:count]:
                organization = (contact.fields.get("organizations") or [{}])[0]
                changed = {**organization, "title": "Changed in Gmail"}
                body = {"etag": contact.etag, "organizations": [changed]}
                people.update(contact.resource_name, body, ["organizations"])
