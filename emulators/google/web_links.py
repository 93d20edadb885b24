"""Google's own web links to a user's items, answered by the emulator for a person in the demo
(each app at one address here, where Google has one host per app):

- Gmail's message links, ``/mail/u/<account>/#all/<message id>``: the fragment never reaches a
  server, so the page reads it, as Gmail's does, and opens the message in the emulated Gmail
  (``/mail/``) with that account chosen;
- Contacts' ``/person/<id>?authuser=<account>``, Calendar's
  ``/calendar/event?eid=<base64url of "event-id calendar-id">`` and Tasks'
  ``/task/<id>?authuser=<account>``: a page with the item's main fields.

An unknown account or item answers 404 with a page that says so.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, session, url_for

from emulators.google.app import GoogleStore


def _first(contact_fields: dict[str, Any], name: str, key: str) -> str:
    values = contact_fields.get(name) or [{}]
    return str(values[0].get(key) or "")


def _person(store: GoogleStore, account: str, person_id: str) -> tuple[str, list] | None:
    people = store.people.get(account)
    contact = people.contacts.get(person_id) if people else None
    if contact is None or contact.deleted:
        return None
    names = contact.fields.get("names") or [{}]
    title = " ".join(filter(None, (names[0].get("givenName"), names[0].get("familyName"))))
    groups = [people.groups[g].name for g in contact.groups
              if g in people.groups and not people.groups[g].system]  # fmt: skip
    rows = [
        ("Company", _first(contact.fields, "organizations", "name")),
        ("E-mail", _first(contact.fields, "emailAddresses", "value")),
        ("Labels", ", ".join(groups)),
    ]
    return title or "(no name)", rows


def _event(store: GoogleStore, eid: str) -> tuple[str, str, list] | None:
    try:
        decoded = base64.urlsafe_b64decode(eid + "=" * (-len(eid) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    event_id, _, account = decoded.partition(" ")
    calendar = store.calendars.get(account.lower())
    event = calendar.events.get(event_id) if calendar else None
    if event is None or event.cancelled:
        return None
    fields = event.fields
    attendees = ", ".join(a.get("email", "") for a in fields.get("attendees") or [])
    rows = [
        ("Starts", (fields.get("start") or {}).get("dateTime", "")),
        ("Ends", (fields.get("end") or {}).get("dateTime", "")),
        ("Guests", attendees),
    ]
    return account.lower(), fields.get("summary") or "(No title)", rows


def _task(store: GoogleStore, account: str, task_id: str) -> tuple[str, list] | None:
    tasks = store.tasks.get(account)
    for task_list in tasks.lists.values() if tasks else ():
        task = task_list.tasks.get(task_id)
        if task is not None and not task.deleted:
            rows = [("List", task_list.title), ("Due", task.fields.get("due") or ""),
                    ("Status", task.fields.get("status") or "")]  # fmt: skip
            return task.fields.get("title") or "(No title)", rows
    return None


def create_blueprint(store: GoogleStore) -> Blueprint:
    web = Blueprint("google_web", __name__, template_folder="templates")

    def page(app: str, what: str, account: str | None, found: tuple[str, list] | None) -> Any:
        if found is None:
            return render_template("gmail/item.html", app="Google", title="Not found", rows=[],
                                   note=f"{what} was not found.", account=None), 404  # fmt: skip
        title, rows = found
        return render_template("gmail/item.html", app=app, title=title, rows=rows, note=None,
                               account=account)  # fmt: skip

    @web.get("/mail/u/<account>/")
    def gmail_link(account: str) -> Any:
        account = account.lower()
        if account not in store.mailboxes:
            return page("Gmail", "This Google account", None, None)
        session["gmail_address"] = account
        return render_template("gmail/link.html", account=account,
                               inbox=url_for("gmail_preview.inbox"))  # fmt: skip

    by_id = {"person": ("Contacts", "This contact", _person), "task": ("Tasks", "This task", _task)}

    @web.get("/<any(person, task):kind>/<item_id>")
    def contact_or_task(kind: str, item_id: str) -> Any:
        app, what, lookup = by_id[kind]
        account = request.args.get("authuser", "").lower()
        with store.lock:
            return page(app, what, account, lookup(store, account, item_id))

    @web.get("/calendar/event")
    def calendar_event() -> Any:
        with store.lock:
            found = _event(store, request.args.get("eid", ""))
        account, shown = (found[0], found[1:]) if found else (None, None)
        return page("Calendar", "This event", account, shown)

    @web.get("/mail/u/")
    def no_account() -> Any:
        return redirect(url_for("gmail_preview.inbox"))

    return web


def install(app: Flask, store: GoogleStore) -> None:
    """Serve Google's web links from the emulator's app (next to the emulated Gmail)."""
    app.register_blueprint(create_blueprint(store))
