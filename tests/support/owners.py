"""A mailbox as its owner uses it, in Outlook (bare exchangelib for Exchange Server, plain
requests to Graph for Exchange Online) or in Gmail (the plain Google client): no code of ours
in between. The engine's scenario tests run against either.

Both speak of the same things: contacts with their own tags (Outlook categories, Gmail contact
groups), received e-mails picked for sync, tasks, meetings, and what the mail system does when
it is busy or down. Markers are part of the tags, so a test states what the owner would see.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

import requests
from exchangelib import Account, CalendarItem, Contact, EWSDateTime, Task
from exchangelib.indexed_properties import EmailAddress
from exchangelib.properties import Attendee
from exchangelib.properties import Mailbox as Address

from backend.models.types import ItemType
from emulators.base import Fault
from emulators.ews import EwsEmulator, server_busy_fault
from emulators.ews.seed import add_message
from emulators.google import GoogleEmulator
from emulators.google.errors import google_fault
from emulators.graph import GraphEmulator
from emulators.graph.errors import graph_fault
from tests.support.discovery import service
from tests.support.outlook import bare_account

PRIVATE_GROUPS = {"myContacts", "starred", "all", "chatBuddies", "friends", "family", "coworkers"}


@dataclass(frozen=True)
class OwnedContact:
    """A contact as its owner sees it."""

    id: str
    first: str | None
    last: str | None
    job_title: str | None
    tags: frozenset[str]
    company: str | None = None


class MailboxOwner(Protocol):
    kind: str
    contacts_folder: str
    """Where the owner keeps SAP contacts (the product's "SAP Contacts" until renamed)."""
    picked: frozenset[str]
    """The tags of an e-mail picked for sync."""
    busy_wait: float
    """The wait, in seconds, that :meth:`make_busy` asks for."""

    def error_tags(self, item_type: ItemType, detail: str) -> frozenset[str]: ...
    def add_contact(self, first: str | None = None, last: str | None = None, *,
                    email: str | None = None, job_title: str | None = None,
                    tags: tuple[str, ...] = ()) -> str: ...  # fmt: skip
    def contact(self, contact_id: str) -> OwnedContact: ...
    def edit_contact(self, contact_id: str, **fields: str) -> None: ...
    def delete_contact(self, contact_id: str) -> None: ...
    def contact_ids(self) -> list[str]: ...
    def rename_contacts_folder(self, name: str) -> None: ...
    def delete_contacts_folder(self) -> None: ...
    def receive(self, subject: str, sender: str, *, picked: bool) -> str: ...
    def email_tags(self, email_id: str) -> frozenset[str]: ...
    def add_task(self, subject: str) -> str: ...
    def task_done(self, task_id: str) -> bool: ...
    def edit_task(self, subject: str, *, to: str | None = None, done: bool = False) -> None:
        """Rename the task called ``subject`` ``to``, or mark it done, as its owner would."""

    def rename_meeting(self, subject: str, to: str) -> None:
        """Rename the calendar item called ``subject`` ``to``, inviting nobody."""

    def add_meeting(self, subject: str, attendee: str) -> str: ...
    def meeting_subject(self, meeting_id: str) -> str: ...
    def contact_names(self) -> list[str]: ...
    def task_subjects(self) -> list[str]: ...
    def meeting_subjects(self) -> list[str]: ...
    def invitations_sent(self) -> int: ...
    def forget_requests(self) -> None: ...
    def wrong_credentials(self) -> dict[str, Any]: ...
    def make_busy(self, times: int) -> None: ...
    def take_down(self) -> None: ...
    def bring_up(self) -> None: ...
    def later(self) -> None:
        """Let a second pass on the mail server, so its next change is stamped later than any
        change made before (Exchange and Graph keep change times to the second)."""


class OutlookOwner:
    """The owner in Outlook: contacts in "SAP Contacts", items picked by the "SAP" category."""

    kind = "exchange"
    picked = frozenset({"SAP"})
    busy_wait = 0.3

    def __init__(self, ews: EwsEmulator, address: str, password: str) -> None:
        self.ews, self.address, self._password = ews, address, password
        self.account: Account = bare_account(ews.endpoint, address, password)
        self.contacts_folder = "SAP Contacts"

    def rename_contacts_folder(self, name: str) -> None:
        box = self.ews.store.mailbox(self.address)
        box.folder_by_path("Contacts", self.contacts_folder).display_name = name
        self.contacts_folder = name
        self.account = bare_account(self.ews.endpoint, self.address, self._password)

    def delete_contacts_folder(self) -> None:
        box = self.ews.store.mailbox(self.address)
        box.remove_folder(box.folder_by_path("Contacts", self.contacts_folder).id)
        self.contacts_folder = "SAP Contacts"
        self.account = bare_account(self.ews.endpoint, self.address, self._password)

    def error_tags(self, item_type: ItemType, detail: str) -> frozenset[str]:
        return frozenset({"Sync Error", f"Sync Error: {detail}"})

    @property
    def _folder(self):
        return self.account.contacts / self.contacts_folder

    def add_contact(self, first=None, last=None, *, email=None, job_title=None, tags=()) -> str:
        name = " ".join(part for part in (first, last) if part)
        addresses = [EmailAddress(email=email, label="EmailAddress1")] if email else None
        contact = Contact(
            folder=self._folder, account=self.account, given_name=first, surname=last,
            display_name=name, job_title=job_title, email_addresses=addresses,
            categories=list(tags) or None,
        )  # fmt: skip
        contact.save()
        return contact.id

    def _contact(self, contact_id: str) -> Contact:
        return self._folder.get(id=contact_id)

    def contact(self, contact_id: str) -> OwnedContact:
        found = self._contact(contact_id)
        return OwnedContact(
            found.id, found.given_name, found.surname, found.job_title,
            frozenset(found.categories or ()), found.company_name,
        )  # fmt: skip

    def edit_contact(self, contact_id: str, **fields: str) -> None:
        names = {"first": "given_name", "last": "surname", "job_title": "job_title",
                 "company": "company_name"}  # fmt: skip
        found = self._contact(contact_id)
        for name, value in fields.items():
            setattr(found, names[name], value)
        found.save(update_fields=[names[name] for name in fields])

    def delete_contact(self, contact_id: str) -> None:
        self._contact(contact_id).delete()

    def contact_ids(self) -> list[str]:
        return [contact.id for contact in self._folder.all()]

    def receive(self, subject: str, sender: str, *, picked: bool) -> str:
        box = self.ews.store.mailbox(self.address)
        categories = list(self.picked) if picked else None
        return add_message(box, subject, sender, categories=categories).id

    def email_tags(self, email_id: str) -> frozenset[str]:
        return frozenset(self.account.inbox.get(id=email_id).categories or ())

    def add_task(self, subject: str) -> str:
        task = Task(folder=self.account.tasks, account=self.account, subject=subject,
                    categories=["SAP"])  # fmt: skip
        task.save()
        return task.id

    def task_done(self, task_id: str) -> bool:
        return self.account.tasks.get(id=task_id).status == "Completed"

    def edit_task(self, subject: str, *, to: str | None = None, done: bool = False) -> None:
        task = next(task for task in self.account.tasks.all() if task.subject == subject)
        changed = []
        if to is not None:
            task.subject = to
            changed.append("subject")
        if done:
            task.status = "Completed"
            changed.append("status")
        task.save(update_fields=changed)

    def rename_meeting(self, subject: str, to: str) -> None:
        meeting = next(item for item in self.account.calendar.all() if item.subject == subject)
        meeting.subject = to
        meeting.save(update_fields=["subject"], send_meeting_invitations="SendToNone")

    def add_meeting(self, subject: str, attendee: str) -> str:
        zone = self.account.default_timezone
        start = EWSDateTime.now(tz=zone).replace(microsecond=0) + timedelta(days=1)
        meeting = CalendarItem(
            folder=self.account.calendar, account=self.account, subject=subject, start=start,
            end=start + timedelta(hours=1), categories=["SAP"],
            required_attendees=[Attendee(mailbox=Address(email_address=attendee))],
        )  # fmt: skip
        meeting.save(send_meeting_invitations="SendToNone")
        return meeting.id

    def meeting_subject(self, meeting_id: str) -> str:
        return self.account.calendar.get(id=meeting_id).subject

    def contact_names(self) -> list[str]:
        return sorted(f"{c.given_name} {c.surname}" for c in self._folder.all())

    def task_subjects(self) -> list[str]:
        return sorted(task.subject for task in self.account.tasks.all())

    def meeting_subjects(self) -> list[str]:
        return sorted(item.subject for item in self.account.calendar.all())

    def invitations_sent(self) -> int:
        """Calendar writes that did not say "send to none"."""
        return sum(
            1
            for entry in self.ews.log.entries("POST")
            if b"CalendarItem" in entry.body
            and (b"UpdateItem" in entry.body or b"CreateItem" in entry.body)
            and b'SendMeetingInvitations="SendToNone"' not in entry.body
            and b'SendMeetingInvitationsOrCancellations="SendToNone"' not in entry.body
        )

    def forget_requests(self) -> None:
        self.ews.log.clear()

    def wrong_credentials(self) -> dict[str, Any]:
        return {"password": "wrong"}

    def make_busy(self, times: int) -> None:
        self.ews.faults.add(server_busy_fault(int(self.busy_wait * 1000), times=times))

    def take_down(self) -> None:
        self.ews.faults.add(
            Fault(path="/EWS/", status=503, body="Service Unavailable", times=10_000)
        )

    def bring_up(self) -> None:
        self.ews.faults.clear()

    def later(self) -> None:
        self.ews.store.clock.advance()


class GmailOwner:
    """The owner in Gmail: contacts in the group "SAP Contacts", e-mails labelled "SAP E-Mails",
    tasks in the list "SAP Tasks", meetings marked by the add-on's private property."""

    kind = "gmail"
    picked = frozenset({"SAP E-Mails"})
    busy_wait = 1.0

    def __init__(self, google: GoogleEmulator, address: str, token: str) -> None:
        self.google, self.address, self.token = google, address, token
        self.contacts_folder = "SAP Contacts"
        self.gmail = service(google.url, "gmail", "v1", token).users()
        self.people = service(google.url, "people", "v1", token)
        self.tasks = service(google.url, "tasks", "v1", token)
        self.events = service(google.url, "calendar", "v3", token).events()

    def error_tags(self, item_type: ItemType, detail: str) -> frozenset[str]:
        if item_type is ItemType.EMAIL:
            return frozenset({"SAP E-Mails/Sync Error"})
        return frozenset({"SAP Sync Error"})

    def _group(self, name: str) -> str:
        groups = self.people.contactGroups().list().execute().get("contactGroups", [])
        found = next((g["resourceName"] for g in groups if g["name"] == name), None)
        if found:
            return found
        made = self.people.contactGroups().create(body={"contactGroup": {"name": name}}).execute()
        return made["resourceName"]

    def add_contact(self, first=None, last=None, *, email=None, job_title=None, tags=()) -> str:
        groups = [self._group(name) for name in (self.contacts_folder, *tags)]
        body: dict[str, Any] = {
            "names": [{"givenName": first, "familyName": last}],
            "memberships": [
                {"contactGroupMembership": {"contactGroupResourceName": group}} for group in groups
            ],
        }
        if email:
            body["emailAddresses"] = [{"value": email}]
        if job_title:
            body["organizations"] = [{"title": job_title}]
        return self.people.people().createContact(body=body).execute()["resourceName"]

    def _person(self, contact_id: str) -> dict[str, Any]:
        fields = "names,organizations,memberships"
        return self.people.people().get(resourceName=contact_id, personFields=fields).execute()

    def _group_names(self) -> dict[str, str]:
        groups = self.people.contactGroups().list().execute().get("contactGroups", [])
        return {g["resourceName"]: g["name"] for g in groups}

    def contact(self, contact_id: str) -> OwnedContact:
        person, names = self._person(contact_id), self._group_names()
        name = (person.get("names") or [{}])[0]
        organization = (person.get("organizations") or [{}])[0]
        title = organization.get("title")
        groups = {
            names.get(m["contactGroupMembership"]["contactGroupResourceName"], "")
            for m in person.get("memberships", [])
            if "contactGroupMembership" in m
        }
        tags = groups - PRIVATE_GROUPS - {self.contacts_folder, "SAP Accounts", ""}
        return OwnedContact(
            contact_id, name.get("givenName"), name.get("familyName"), title, frozenset(tags),
            organization.get("name"),
        )  # fmt: skip

    def edit_contact(self, contact_id: str, **fields: str) -> None:
        person = self._person(contact_id)
        name = dict((person.get("names") or [{}])[0])
        name.pop("metadata", None)
        body: dict[str, Any] = {"etag": person["etag"]}
        changed = []
        if "first" in fields or "last" in fields:
            name["givenName"] = fields.get("first", name.get("givenName"))
            name["familyName"] = fields.get("last", name.get("familyName"))
            body["names"] = [name]
            changed.append("names")
        if "job_title" in fields or "company" in fields:
            organization = dict((person.get("organizations") or [{}])[0])
            organization.pop("metadata", None)
            names = {"job_title": "title", "company": "name"}
            organization.update({names[k]: v for k, v in fields.items() if k in names})
            body["organizations"] = [organization]
            changed.append("organizations")
        self.people.people().updateContact(
            resourceName=contact_id, updatePersonFields=",".join(changed), body=body
        ).execute()

    def delete_contact(self, contact_id: str) -> None:
        self.people.people().deleteContact(resourceName=contact_id).execute()

    def contact_ids(self) -> list[str]:
        group = self._group(self.contacts_folder)
        found = self.people.contactGroups().get(resourceName=group, maxMembers=1000).execute()
        return list(found.get("memberResourceNames", []))

    def _contacts_group(self) -> Any:
        people = self.google.store.people[self.address.lower()]
        return people, next(g for g in people.groups.values() if g.name == self.contacts_folder)

    def rename_contacts_folder(self, name: str) -> None:
        _people, group = self._contacts_group()
        group.name, self.contacts_folder = name, name

    def delete_contacts_folder(self) -> None:
        """As Google Contacts deletes a label and keeps its contacts: they leave the group."""
        people, group = self._contacts_group()
        members = [c.resource_name for c in people.contacts.values() if group.id in c.groups]
        people.modify_members(group, [], members)
        del people.groups[group.id]
        self.contacts_folder = "SAP Contacts"

    def _label(self, name: str) -> str:
        labels = self.gmail.labels().list(userId="me").execute()["labels"]
        found = next((label["id"] for label in labels if label["name"] == name), None)
        if found:
            return found
        return self.gmail.labels().create(userId="me", body={"name": name}).execute()["id"]

    def receive(self, subject: str, sender: str, *, picked: bool) -> str:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = sender, self.address, subject
        mail["Date"] = "Mon, 23 Nov 2026 09:30:00 +0000"
        mail.set_content(f"About {subject}.")
        labels = ["INBOX", *([self._label("SAP E-Mails")] if picked else [])]
        raw = base64.urlsafe_b64encode(mail.as_bytes()).decode()
        body = {"raw": raw, "labelIds": labels}
        return self.gmail.messages().insert(userId="me", body=body).execute()["id"]

    def email_tags(self, email_id: str) -> frozenset[str]:
        labels = self.gmail.labels().list(userId="me").execute()["labels"]
        own = {label["id"]: label["name"] for label in labels if label["type"] == "user"}
        message = self.gmail.messages().get(userId="me", id=email_id, format="minimal").execute()
        return frozenset(own[i] for i in message.get("labelIds", []) if i in own)

    def _task_list(self) -> str:
        lists = self.tasks.tasklists().list().execute().get("items", [])
        found = next((item["id"] for item in lists if item["title"] == "SAP Tasks"), None)
        if found:
            return found
        return self.tasks.tasklists().insert(body={"title": "SAP Tasks"}).execute()["id"]

    def add_task(self, subject: str) -> str:
        made = self.tasks.tasks().insert(tasklist=self._task_list(), body={"title": subject})
        return made.execute()["id"]

    def task_done(self, task_id: str) -> bool:
        task = self.tasks.tasks().get(tasklist=self._task_list(), task=task_id).execute()
        return task["status"] == "completed"

    def edit_task(self, subject: str, *, to: str | None = None, done: bool = False) -> None:
        listed = self.tasks.tasks().list(tasklist=self._task_list()).execute()
        task = next(task for task in listed.get("items", []) if task["title"] == subject)
        body = {"title": subject if to is None else to, **({"status": "completed"} if done else {})}
        self.tasks.tasks().patch(tasklist=self._task_list(), task=task["id"], body=body).execute()

    def rename_meeting(self, subject: str, to: str) -> None:
        found = self.events.list(calendarId="primary").execute().get("items", [])
        event = next(event for event in found if event.get("summary") == subject)
        self.events.patch(calendarId="primary", eventId=event["id"], body={"summary": to},
                          sendUpdates="none").execute()  # fmt: skip

    def add_meeting(self, subject: str, attendee: str) -> str:
        start = datetime.now().astimezone().replace(microsecond=0) + timedelta(days=1)
        body = {
            "summary": subject,
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            "attendees": [{"email": attendee}],
            "extendedProperties": {"private": {"ssiSync": "1"}},
        }
        made = self.events.insert(calendarId="primary", body=body, sendUpdates="none")
        return made.execute()["id"]

    def meeting_subject(self, meeting_id: str) -> str:
        return self.events.get(calendarId="primary", eventId=meeting_id).execute()["summary"]

    def contact_names(self) -> list[str]:
        names = [self.contact(contact_id) for contact_id in self.contact_ids()]
        return sorted(f"{name.first} {name.last}" for name in names)

    def task_subjects(self) -> list[str]:
        found = self.tasks.tasks().list(tasklist=self._task_list()).execute()
        return sorted(task["title"] for task in found.get("items", []))

    def meeting_subjects(self) -> list[str]:
        found = self.events.list(calendarId="primary").execute()
        return sorted(event.get("summary", "") for event in found.get("items", []))

    def invitations_sent(self) -> int:
        """Event writes that did not ask Google to send no updates."""
        writes = [
            entry
            for method in ("POST", "PATCH", "PUT", "DELETE")
            for entry in self.google.log.entries(method, "/calendar/v3/")
        ]
        return sum(1 for entry in writes if "sendUpdates=none" not in entry.query)

    def forget_requests(self) -> None:
        self.google.log.clear()

    def wrong_credentials(self) -> dict[str, Any]:
        return {"kind": "oauth", "provider": "google", "access_token": "ya29.wrong"}

    def make_busy(self, times: int) -> None:
        fault = google_fault("rateLimitExceeded", times=times, retry_after=int(self.busy_wait))
        self.google.faults.add(fault)

    def take_down(self) -> None:
        self.google.faults.add(google_fault("backendError", times=10_000))

    def bring_up(self) -> None:
        self.google.faults.clear()

    def later(self) -> None:
        self.google.store.clock.advance()


class GraphOwner:
    """The owner in Outlook on Exchange Online, seen through Graph with plain requests: contacts
    in the folder "SAP Contacts", items picked by the "SAP" category, tasks in To Do."""

    kind = "graph"
    picked = frozenset({"SAP"})
    busy_wait = 1.0

    def __init__(self, graph: GraphEmulator, address: str, token: str) -> None:
        self.graph, self.address = graph, address
        self.contacts_folder = "SAP Contacts"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self._notified = 0

    def _call(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        answer = self.http.request(method, f"{self.graph.url}/v1.0/me/{path}", timeout=10,
                                   **options)  # fmt: skip
        answer.raise_for_status()
        return answer.json() if answer.content else {}

    def error_tags(self, item_type: ItemType, detail: str) -> frozenset[str]:
        return frozenset({"Sync Error", f"Sync Error: {detail}"})

    def _folder(self) -> str:
        folders = self._call("GET", "contactFolders")["value"]
        found = next((f["id"] for f in folders if f["displayName"] == self.contacts_folder), None)
        if found:
            return found
        return self._call("POST", "contactFolders", json={"displayName": self.contacts_folder})[
            "id"
        ]

    def _contacts_box_folder(self) -> Any:
        box = self.graph.store.mailboxes[self.address.lower()]
        return box, next(f for f in box.folders.values() if f.display_name == self.contacts_folder)

    def rename_contacts_folder(self, name: str) -> None:
        _box, folder = self._contacts_box_folder()
        folder.display_name, self.contacts_folder = name, name

    def delete_contacts_folder(self) -> None:
        box, folder = self._contacts_box_folder()
        for item in box.items_in(folder.id):
            box.remove(item)
        del box.folders[folder.id]
        self.contacts_folder = "SAP Contacts"

    def add_contact(self, first=None, last=None, *, email=None, job_title=None, tags=()) -> str:
        body: dict[str, Any] = {
            "givenName": first, "surname": last, "jobTitle": job_title, "categories": list(tags),
            "displayName": " ".join(part for part in (first, last) if part),
            "emailAddresses": [{"address": email, "name": email}] if email else [],
        }  # fmt: skip
        return self._call("POST", f"contactFolders/{self._folder()}/contacts", json=body)["id"]

    def contact(self, contact_id: str) -> OwnedContact:
        found = self._call("GET", f"contacts/{contact_id}")
        return OwnedContact(
            found["id"], found.get("givenName"), found.get("surname"), found.get("jobTitle"),
            frozenset(found.get("categories") or ()), found.get("companyName"),
        )  # fmt: skip

    def edit_contact(self, contact_id: str, **fields: str) -> None:
        names = {"first": "givenName", "last": "surname", "job_title": "jobTitle",
                 "company": "companyName"}  # fmt: skip
        body = {names[name]: value for name, value in fields.items()}
        self._call("PATCH", f"contacts/{contact_id}", json=body)

    def delete_contact(self, contact_id: str) -> None:
        self._call("DELETE", f"contacts/{contact_id}")

    def contact_ids(self) -> list[str]:
        path = f"contactFolders/{self._folder()}/contacts?$top=1000&$select=id"
        return [contact["id"] for contact in self._call("GET", path)["value"]]

    def receive(self, subject: str, sender: str, *, picked: bool) -> str:
        box = self.graph.store.mailboxes[self.address]
        return box.receive(subject, sender, categories=tuple(self.picked) if picked else ()).id

    def email_tags(self, email_id: str) -> frozenset[str]:
        return frozenset(self._call("GET", f"messages/{email_id}")["categories"])

    def _task_list(self) -> str:
        lists = self._call("GET", "todo/lists")["value"]
        return next(t["id"] for t in lists if t.get("wellknownListName") == "defaultList")

    def add_task(self, subject: str) -> str:
        body = {"title": subject, "categories": ["SAP"]}
        return self._call("POST", f"todo/lists/{self._task_list()}/tasks", json=body)["id"]

    def task_done(self, task_id: str) -> bool:
        task = self._call("GET", f"todo/lists/{self._task_list()}/tasks/{task_id}")
        return task["status"] == "completed"

    def edit_task(self, subject: str, *, to: str | None = None, done: bool = False) -> None:
        tasks = f"todo/lists/{self._task_list()}/tasks"
        task = next(task for task in self._call("GET", tasks)["value"] if task["title"] == subject)
        body = {"title": subject if to is None else to, **({"status": "completed"} if done else {})}
        self._call("PATCH", f"{tasks}/{task['id']}", json=body)

    def rename_meeting(self, subject: str, to: str) -> None:
        found = self._call("GET", "events?$top=1000")["value"]
        event = next(event for event in found if event["subject"] == subject)
        self._call("PATCH", f"events/{event['id']}", json={"subject": to})

    def add_meeting(self, subject: str, attendee: str) -> str:
        start = datetime.now(UTC).replace(microsecond=0, tzinfo=None) + timedelta(days=1)
        body = {
            "subject": subject, "categories": ["SAP"],
            "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat(), "timeZone": "UTC"},
            "attendees": [{"type": "required", "emailAddress": {"address": attendee}}],
        }  # fmt: skip
        return self._call("POST", "events", json=body)["id"]

    def meeting_subject(self, meeting_id: str) -> str:
        return self._call("GET", f"events/{meeting_id}")["subject"]

    def contact_names(self) -> list[str]:
        path = f"contactFolders/{self._folder()}/contacts?$top=1000"
        return sorted(
            f"{c.get('givenName')} {c.get('surname')}" for c in self._call("GET", path)["value"]
        )

    def task_subjects(self) -> list[str]:
        found = self._call("GET", f"todo/lists/{self._task_list()}/tasks")["value"]
        return sorted(task["title"] for task in found)

    def meeting_subjects(self) -> list[str]:
        return sorted(event["subject"] for event in self._call("GET", "events?$top=1000")["value"])

    def meeting_tags(self, meeting_id: str) -> frozenset[str]:
        return frozenset(self._call("GET", f"events/{meeting_id}")["categories"])

    def invitations_sent(self) -> int:
        """Invitations, updates and cancellations Exchange Online sent since the owner last
        forgot the requests (Graph sends them for every organiser's write)."""
        return len(self.graph.store.notifications) - self._notified

    def forget_requests(self) -> None:
        self.graph.log.clear()
        self._notified = len(self.graph.store.notifications)

    def wrong_credentials(self) -> dict[str, Any]:
        return {"kind": "oauth", "provider": "microsoft", "access_token": "eyJ.wrong"}

    def make_busy(self, times: int) -> None:
        fault = graph_fault("ApplicationThrottled", 429, retry_after=int(self.busy_wait),
                            times=times)  # fmt: skip
        self.graph.faults.add(fault)

    def take_down(self) -> None:
        self.graph.faults.add(graph_fault("ServiceUnavailable", 503, times=10_000))

    def bring_up(self) -> None:
        self.graph.faults.clear()

    def later(self) -> None:
        self.graph.store.clock.advance()
