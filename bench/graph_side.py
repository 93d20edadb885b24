"""The Exchange Online side of ``bench.sync_bench``: a mailbox on the Graph emulator.

Items are put straight into the emulator's mailbox (Graph's own shapes, far quicker than 6,500
HTTP calls): contacts and accounts in the contact folders "SAP Contacts" and "SAP Accounts",
tasks in the default To Do list and appointments in the calendar, both with the "SAP"
category, and e-mails in the inbox with the "SAP" category, sent by the contacts.

The floor reads the same data with plain requests and no sync logic: one delta query per
source, in pages of 1,000 (Graph's largest), then from each delta link.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from backend.mailbox.graph.records import SELECT
from backend.models.mailbox import Provider
from backend.models.types import ItemType, MailSystem
from emulators.graph import GraphEmulator
from emulators.graph.calendar import EVENT
from emulators.graph.contacts import CONTACT
from emulators.graph.items import insert
from emulators.graph.todo import TASK

ADDRESS, TOKEN = "bench@contoso.test", "eyJ0.bench"
FLOOR_PAGE = 1000


class GraphReader:
    """Plain requests: every source's delta query, then its delta link."""

    def __init__(self, url: str) -> None:
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {TOKEN}"
        self.http.headers["Prefer"] = f'odata.maxpagesize={FLOOR_PAGE}, outlook.timezone="UTC"'
        me = f"{url}/v1.0/me"
        # Folder look-ups happen here, before any clock starts.
        folders = self._get(f"{me}/contactFolders?$top=100")["value"]
        named = {f["displayName"]: f["id"] for f in folders}
        lists = self._get(f"{me}/todo/lists")["value"]
        default = next(t["id"] for t in lists if t.get("wellknownListName") == "defaultList")
        now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
        window = f"startDateTime={(now - timedelta(days=365)).isoformat()}Z" + (
            f"&endDateTime={(now + timedelta(days=730)).isoformat()}Z"
        )
        self.links = [
            f"{me}/contactFolders/{named['SAP Contacts']}/contacts/delta"
            f"?$select={SELECT[ItemType.CONTACT]}",
            f"{me}/contactFolders/{named['SAP Accounts']}/contacts/delta"
            f"?$select={SELECT[ItemType.ACCOUNT]}",
            f"{me}/todo/lists/{default}/tasks/delta",
            f"{me}/calendarView/delta?{window}",
            f"{me}/mailFolders/inbox/messages/delta?$select={SELECT[ItemType.EMAIL]}",
        ]

    def _get(self, url: str) -> dict[str, Any]:
        answer = self.http.get(url, timeout=60)
        answer.raise_for_status()
        return answer.json()

    def read(self) -> int:
        """Everything changed since the last call (everything on the first); items read."""
        seen = 0
        for index, link in enumerate(self.links):
            url: str | None = link
            while url is not None:
                page = self._get(url)
                seen += len(page.get("value", []))
                url = page.get("@odata.nextLink")
                self.links[index] = page.get("@odata.deltaLink", self.links[index])
        return seen


class GraphSide:
    """An Exchange Online mailbox on the Graph emulator (its request log counts the mailbox's
    requests)."""

    label = "Graph"

    def __init__(self) -> None:
        self.emulator = GraphEmulator().start()
        self.mailbox = self.emulator.add_mailbox(ADDRESS, TOKEN)
        self.settings = {"GRAPH_API_BASE": self.emulator.url}
        self.tenant: dict[str, Any] = {"mail_system": MailSystem.EXCHANGE_ONLINE,
                                       "mail_endpoint": None}  # fmt: skip
        self.user: dict[str, Any] = {
            "mailbox_credentials": {"kind": "oauth", "provider": "microsoft",
                                    "access_token": TOKEN},
            "provider": Provider.GRAPH,
        }  # fmt: skip

    def stop(self) -> None:
        self.emulator.stop()

    def seed(self, sizes: dict[str, int]) -> None:
        box = self.mailbox
        contacts = box.default_folder("contactFolder")
        accounts = box.add_folder("contactFolder", "SAP Accounts", contacts.id)
        for n in range(sizes["accounts"]):
            name = f"Customer {n:04d}"
            insert(CONTACT, box, accounts, {"displayName": name, "companyName": name})
        folder = box.add_folder("contactFolder", "SAP Contacts", contacts.id)
        for n in range(sizes["contacts"]):
            insert(CONTACT, box, folder, {
                "givenName": f"Given{n:04d}", "surname": f"Surname{n:04d}",
                "emailAddresses": [{"name": f"c{n}", "address": f"c{n}@customer.test"}],
            })  # fmt: skip
        tasks = box.default_folder("todoTaskList")
        now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
        due = {"dateTime": f"{(now + timedelta(days=7)).date()}T00:00:00", "timeZone": "UTC"}
        for n in range(sizes["tasks"]):
            body = {"title": f"Follow up {n}", "dueDateTime": due, "categories": ["SAP"]}
            insert(TASK, box, tasks, body)
        calendar = box.default_folder("calendar")
        for n in range(sizes["appointments"]):
            start = now + timedelta(days=n % 60, hours=9)
            insert(EVENT, box, calendar, {
                "subject": f"Visit {n}", "categories": ["SAP"],
                "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat(), "timeZone": "UTC"},
            })  # fmt: skip
        for n in range(sizes["emails"]):
            sender = f"c{n % sizes['contacts']}@customer.test"
            box.receive(f"Quote {n}", sender, categories=["SAP"])

    def reader(self) -> GraphReader:
        return GraphReader(self.emulator.url)

    def change(self, count: int) -> None:
        """Edit ``count`` "SAP Contacts" contacts' job titles, as Outlook would."""
        box = self.mailbox
        folder = next(f for f in box.folders.values() if f.display_name == "SAP Contacts")
        for item in box.items_in(folder.id)[:count]:
            box.touch(item, {"jobTitle": "Changed in Outlook"})
