"""Seed data for the Graph emulator, written through its store the way Graph itself creates
items (so they have the API's shapes).

``seed_contoso`` fills a Contoso person's Microsoft 365 mailbox the way
``emulators.ews.seed.seed_contoso`` fills an Exchange mailbox and
``emulators.google.seed.seed_contoso`` a Gmail one, for the same C4C system
(``emulators.c4c.seed.seed_contoso``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from emulators.graph.calendar import EVENT
from emulators.graph.contacts import CONTACT
from emulators.graph.items import insert
from emulators.graph.mailbox import Mailbox
from emulators.graph.store import GraphStore
from emulators.graph.todo import TASK

DEMO_ADDRESS, DEMO_TOKEN = "demo@example.com", "graph.demo"
SAP = "SAP"


def _contact(mailbox: Mailbox, folder: str, first: str, last: str, email: str | None) -> None:
    body: dict[str, Any] = {"givenName": first}
    if last:
        body["surname"] = last
    if email:
        body["emailAddresses"] = [{"address": email, "name": f"{first} {last}".strip()}]
    target = next(f for f in mailbox.folders.values() if f.display_name == folder)
    insert(CONTACT, mailbox, target, body)


def _account(mailbox: Mailbox, name: str, email: str | None) -> None:
    body: dict[str, Any] = {"companyName": name, "displayName": name, "fileAs": name}
    if email:
        body["emailAddresses"] = [{"address": email, "name": name}]
    target = next(f for f in mailbox.folders.values() if f.display_name == "SAP Accounts")
    insert(CONTACT, mailbox, target, body)


def _meeting(mailbox: Mailbox, subject: str, attendee: str, days: int, marked: bool) -> None:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
    body = {
        "subject": subject,
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "UTC"},
        "attendees": [{"type": "required", "emailAddress": {"address": attendee}}],
        "categories": [SAP] if marked else [],
    }  # fmt: skip
    insert(EVENT, mailbox, mailbox.default_folder("calendar"), body, react=False)


def _task(mailbox: Mailbox, title: str) -> None:
    due = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT00:00:00")
    body = {
        "title": title,
        "categories": [SAP],
        "dueDateTime": {"dateTime": due, "timeZone": "UTC"},
    }
    insert(TASK, mailbox, mailbox.default_folder("todoTaskList"), body)


def seed_contoso(store: GraphStore, address: str, token: str) -> Mailbox:
    """The Microsoft 365 side of the Contoso demo for ``address`` (reachable with ``token``).

    Synced cleanly: Fabrikam, Jane Doe, a contact new to C4C, a task, a visit with Jane, a
    workshop with someone C4C does not know, and an e-mail from Jane. Issues, one of each kind
    a first sync meets: a contact without a last name, an e-mail from a sender C4C does not
    know, and an edit of Northwind Traders, which C4C keeps read-only.
    """
    mailbox = store.add_mailbox(address, token)
    contacts = mailbox.default_folder("contactFolder")
    for name in ("SAP Contacts", "SAP Accounts"):
        mailbox.add_unique_folder("contactFolder", name, contacts.id)
    mailbox.add_category(SAP, "preset4")
    _account(mailbox, "Fabrikam", None)
    _account(mailbox, "Northwind Traders", "info@northwind.test")
    _contact(mailbox, "SAP Contacts", "Jane", "Doe", "jane@fabrikam.test")
    _contact(mailbox, "SAP Contacts", "Olivia", "Newman", "olivia@newco.test")
    _contact(mailbox, "SAP Contacts", "Lena", "", "lena@fabrikam.test")
    _contact(mailbox, "Contacts", "Private", "Friend", "friend@example.org")
    _task(mailbox, "Prepare the Fabrikam renewal")
    mailbox.receive("Renewal terms", "jane@fabrikam.test", categories=[SAP])
    mailbox.receive("Trade fair leads", "someone@unknown.test", categories=[SAP])
    mailbox.receive("Team lunch", "friend@example.org")
    _meeting(mailbox, "Visit at Fabrikam", "jane@fabrikam.test", 2, marked=True)
    _meeting(mailbox, "Workshop with a prospect", "prospect@unknown.test", 3, marked=True)
    _meeting(mailbox, "Dentist", "dentist@example.org", 4, marked=False)
    return mailbox


def seed_demo(store: GraphStore) -> Mailbox:
    """A demo mailbox (``demo@example.com``, token ``graph.demo``) with the Contoso items."""
    return seed_contoso(store, DEMO_ADDRESS, DEMO_TOKEN)
