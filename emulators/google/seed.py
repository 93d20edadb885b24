"""Seed data for the Google emulator, written through its own API (so it has the API's shapes).

``seed_contoso`` fills a Contoso person's Gmail the way ``emulators.ews.seed.seed_contoso``
fills an Exchange mailbox, for the same C4C system (``emulators.c4c.seed.seed_contoso``), and
adds what only Google has: a task list, marked calendar events and nested labels.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask import Flask

from emulators.google.app import GoogleStore, create_app

DEMO_ADDRESS, DEMO_TOKEN = "demo@example.com", "ya29.demo"


class _Owner:
    """The mailbox's owner at work: every call goes through the emulator's HTTP API."""

    def __init__(self, app: Flask, token: str) -> None:
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, **query) -> dict:
        answer = self.client.open(
            path, method=method, json=body, headers=self.headers, query_string=query
        )
        if answer.status_code >= 400:
            raise RuntimeError(f"seeding failed: {method} {path}: {answer.get_data(as_text=True)}")
        return answer.get_json() or {}

    def group(self, name: str) -> str:
        groups = self.call("GET", "/v1/contactGroups").get("contactGroups", [])
        found = next((g["resourceName"] for g in groups if g["name"] == name), None)
        if found:
            return found
        made = self.call("POST", "/v1/contactGroups", {"contactGroup": {"name": name}})
        return made["resourceName"]

    def contact(self, first: str, last: str, email: str | None, groups: tuple[str, ...]) -> None:
        body: dict[str, Any] = {
            "names": [{"givenName": first, **({"familyName": last} if last else {})}],
            "memberships": [
                {"contactGroupMembership": {"contactGroupResourceName": self.group(name)}}
                for name in groups
            ],
        }
        if email:
            body["emailAddresses"] = [{"value": email}]
        self.call("POST", "/v1/people:createContact", body)

    def account(self, name: str, email: str | None) -> None:
        body: dict[str, Any] = {
            "names": [{"givenName": name}],
            "organizations": [{"name": name}],
            "memberships": [
                {"contactGroupMembership": {"contactGroupResourceName": self.group("SAP Accounts")}}
            ],
        }
        if email:
            body["emailAddresses"] = [{"value": email}]
        self.call("POST", "/v1/people:createContact", body)

    def label(self, name: str) -> str:
        labels = self.call("GET", "/gmail/v1/users/me/labels")["labels"]
        found = next((label["id"] for label in labels if label["name"] == name), None)
        return found or self.call("POST", "/gmail/v1/users/me/labels", {"name": name})["id"]

    def message(self, subject: str, sender: str, address: str, labels: tuple[str, ...]) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = sender, address, subject
        mail["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        mail.set_content(f"{subject}: see below.")
        raw = base64.urlsafe_b64encode(mail.as_bytes()).decode()
        ids = ["INBOX", *(self.label(name) for name in labels)]
        self.call("POST", "/gmail/v1/users/me/messages", {"raw": raw, "labelIds": ids})

    def task(self, title: str) -> None:
        lists = self.call("GET", "/tasks/v1/users/@me/lists").get("items", [])
        found = next((item["id"] for item in lists if item["title"] == "SAP Tasks"), None)
        if not found:
            found = self.call("POST", "/tasks/v1/users/@me/lists", {"title": "SAP Tasks"})["id"]
        due = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT00:00:00.000Z")
        self.call("POST", f"/tasks/v1/lists/{found}/tasks", {"title": title, "due": due})

    def event(self, summary: str, attendee: str, days: int, *, marked: bool = True) -> None:
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
        body: dict[str, Any] = {
            "summary": summary,
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            "attendees": [{"email": attendee}],
        }
        if marked:
            body["extendedProperties"] = {"private": {"ssiSync": "1"}}
        self.call("POST", "/calendar/v3/calendars/primary/events", body, sendUpdates="none")


def seed_contoso(store: GoogleStore, address: str, token: str) -> None:
    """The Gmail side of the Contoso demo for ``address`` (reachable with ``token``).

    Synced cleanly: Fabrikam, Jane Doe, a contact new to C4C, a task, a visit with Jane, a
    workshop with someone C4C does not know, and an e-mail from Jane. Issues, one of each kind
    a first sync meets: a contact without a last name (put in the "SAP Sync Error" group), an
    e-mail from a sender C4C does not know (labelled "SAP E-Mails/Sync Error"), a task and a
    meeting without a title (the meeting turns Tomato), and an edit of Northwind Traders, which
    C4C keeps read-only.
    """
    store.add_mailbox(address, token)
    owner = _Owner(create_app(store), token)
    owner.account("Fabrikam", None)
    owner.account("Northwind Traders", "info@northwind.test")
    owner.contact("Jane", "Doe", "jane@fabrikam.test", ("SAP Contacts", "Customers"))
    owner.contact("Olivia", "Newman", "olivia@newco.test", ("SAP Contacts",))
    owner.contact("Lena", "", "lena@fabrikam.test", ("SAP Contacts", "Follow up"))
    owner.contact("Private", "Friend", "friend@example.org", ())
    owner.task("Prepare the Fabrikam renewal")
    owner.task("")
    owner.message("Renewal terms", "jane@fabrikam.test", address, ("SAP E-Mails",))
    owner.message("Trade fair leads", "someone@unknown.test", address, ("SAP E-Mails",))
    owner.message("Team lunch", "friend@example.org", address, ())
    owner.event("Visit at Fabrikam", "jane@fabrikam.test", 2)
    owner.event("Workshop with a prospect", "prospect@unknown.test", 3)
    owner.event("", "jane@fabrikam.test", 5)
    owner.event("Dentist", "dentist@example.org", 4, marked=False)


def seed_demo(store: GoogleStore) -> None:
    """A demo mailbox (``demo@example.com``, token ``ya29.demo``) with the Contoso items."""
    seed_contoso(store, DEMO_ADDRESS, DEMO_TOKEN)
