"""The emulator's Flask app: bearer-token authentication in front of each API, and Google's
error envelope for every failure."""

from __future__ import annotations

import threading

from flask import Flask, Response, g, request

from emulators.google import calendar, gmail, people, tasks
from emulators.google.calendar import Calendar
from emulators.google.errors import GoogleError, envelope, unauthenticated
from emulators.google.gmail_store import GmailMailbox
from emulators.google.people import PeopleStore
from emulators.google.tasks import TaskStore


class GoogleStore:
    """Each user's Gmail mailbox and primary calendar, and which access token opens them."""

    def __init__(self) -> None:
        self.mailboxes: dict[str, GmailMailbox] = {}
        self.calendars: dict[str, Calendar] = {}
        self.tasks: dict[str, TaskStore] = {}
        self.people: dict[str, PeopleStore] = {}
        self.tokens: dict[str, str] = {}
        self.lock = threading.RLock()

    def add_mailbox(self, address: str, token: str) -> GmailMailbox:
        address = address.lower()
        with self.lock:
            mailbox = self.mailboxes.setdefault(address, GmailMailbox(address))
            self.calendars.setdefault(address, Calendar(address))
            self.tasks.setdefault(address, TaskStore())
            self.people.setdefault(address, PeopleStore())
            self.tokens[token] = address
        return mailbox

    def revoke(self, token: str) -> bool:
        with self.lock:
            return self.tokens.pop(token, None) is not None


def create_app(store: GoogleStore) -> Flask:
    app = Flask("emulators.google")

    @app.before_request
    def authenticate() -> None:
        if request.path.startswith("/_emulator/"):
            return
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        address = store.tokens.get(token) if scheme.lower() == "bearer" else None
        if address is None:
            raise unauthenticated()
        g.caller = address

    def mailbox_of(user_id: str) -> GmailMailbox:
        """``me`` or the caller's own address; anyone else's mailbox is refused."""
        caller = g.caller
        if user_id not in ("me", caller) and user_id.lower() != caller:
            raise GoogleError(403, "forbidden", f"Delegation denied for {caller}")
        return store.mailboxes[caller]

    app.register_blueprint(gmail.create_blueprint(mailbox_of))
    app.register_blueprint(calendar.create_blueprint(lambda: store.calendars[g.caller]))
    app.register_blueprint(tasks.create_blueprint(lambda: store.tasks[g.caller]))
    app.register_blueprint(people.create_blueprint(lambda: store.people[g.caller]))

    @app.errorhandler(GoogleError)
    def google_error(error: GoogleError) -> Response:
        return envelope(error)

    @app.errorhandler(404)
    def unknown_path(_error: Exception) -> Response:
        return envelope(GoogleError(404, "notFound", "Requested entity was not found."))

    @app.errorhandler(405)
    def wrong_method(_error: Exception) -> Response:
        return envelope(GoogleError(405, "badRequest", "Method not allowed", "UNIMPLEMENTED"))

    return app
