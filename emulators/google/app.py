"""The emulator's Flask app: bearer-token authentication in front of each API, and Google's
error envelope for every failure."""

from __future__ import annotations

import io
import secrets
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask, Response, g, request

from emulators.base import ServerClock
from emulators.google import batch, calendar, gmail, oauth, people, tasks
from emulators.google.calendar import Calendar
from emulators.google.errors import GoogleError, envelope, unauthenticated
from emulators.google.gmail_store import GmailMailbox
from emulators.google.oauth import OAuthServer
from emulators.google.people import PeopleStore
from emulators.google.tasks import TaskStore
from emulators.oauth_trust import TrustedIssuer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

PUBLIC_PATHS = ("/_emulator/", "/token", "/revoke", "/oauth2/", "/mail/", "/batch/", "/person/",
                "/calendar/event", "/task/")  # fmt: skip
"""Paths that take no bearer token (the OAuth endpoints, the mail client preview and Google's
web links, batches, whose parts carry their own, and the emulator's own)."""


class GoogleStore:
    """Each user's Gmail mailbox, primary calendar, tasks and contacts; which access token opens
    them; and the OAuth server that hands tokens out."""

    def __init__(self) -> None:
        self.mailboxes: dict[str, GmailMailbox] = {}
        self.calendars: dict[str, Calendar] = {}
        self.tasks: dict[str, TaskStore] = {}
        self.people: dict[str, PeopleStore] = {}
        self.tokens: dict[str, str] = {}
        self.trusted: TrustedIssuer | None = None
        self.lock = threading.RLock()
        self.oauth = OAuthServer(self.new_access_token)
        self.clock = ServerClock(whole_seconds=False)
        """When contacts change (Google keeps times to the microsecond)."""

    def add_mailbox(self, address: str, token: str) -> GmailMailbox:
        address = address.lower()
        with self.lock:
            mailbox = self.mailboxes.setdefault(address, GmailMailbox(address))
            self.calendars.setdefault(address, Calendar(address))
            self.tasks.setdefault(address, TaskStore())
            self.people.setdefault(address, PeopleStore(clock=self.clock))
            self.tokens[token] = address
        return mailbox

    def new_access_token(self, address: str) -> str:
        """A fresh access token for an existing user (the token endpoint hands these out)."""
        token = "ya29." + secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = address
        return token

    def address_of(self, token: str) -> str | None:
        """Whose mailboxes ``token`` opens: one of ours, or an active token of the trusted
        issuer for a user who has a mailbox here (asked on every request, so a revoked token
        stops working at once, as at Google)."""
        with self.lock:
            found = self.tokens.get(token)
        if found is not None or self.trusted is None or not token:
            return found
        address = self.trusted.address_of(token)
        return address if address in self.mailboxes else None

    def revoke(self, token: str) -> bool:
        with self.lock:
            return self.tokens.pop(token, None) is not None


class MethodOverride:
    """A GET too long for a URL, sent as Google's client libraries send it (over 2,000
    characters): a POST with ``X-HTTP-Method-Override: GET`` and the query as a form body.
    Google's APIs answer it as the GET; so does this."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if (
            environ["REQUEST_METHOD"] == "POST"
            and environ.get("HTTP_X_HTTP_METHOD_OVERRIDE", "").upper() == "GET"
            and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
        ):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            query = environ["wsgi.input"].read(length) if length else b""
            environ = {
                **environ, "REQUEST_METHOD": "GET", "QUERY_STRING": query.decode("latin-1"),
                "CONTENT_LENGTH": "0", "wsgi.input": io.BytesIO(),
            }  # fmt: skip
        return self.app(environ, start_response)


def create_app(store: GoogleStore) -> Flask:
    app = Flask("emulators.google")

    @app.before_request
    def authenticate() -> None:
        if request.path.startswith(PUBLIC_PATHS):
            return
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        address = store.address_of(token) if scheme.lower() == "bearer" else None
        if address is None:
            raise unauthenticated()
        g.caller = address

    def mailbox_of(user_id: str) -> GmailMailbox:
        """``me`` or the caller's own address; anyone else's mailbox is refused."""
        caller = g.caller
        if user_id not in ("me", caller) and user_id.lower() != caller:
            raise GoogleError(403, "forbidden", f"Delegation denied for {caller}")
        return store.mailboxes[caller]

    app.register_blueprint(oauth.create_blueprint(store.oauth, store.revoke))
    app.register_blueprint(gmail.create_blueprint(mailbox_of))
    app.register_blueprint(batch.create_blueprint())
    app.register_blueprint(calendar.create_blueprint(lambda: store.calendars[g.caller]))
    app.register_blueprint(tasks.create_blueprint(lambda: store.tasks[g.caller]))
    app.register_blueprint(people.create_blueprint(lambda: store.people[g.caller]))

    @app.post("/_emulator/gmail/<address>/forget-history")
    def forget_history(address: str) -> tuple[str, int]:
        """Gmail keeps a mailbox's history for about a week (less after a restore): from now
        on a ``startHistoryId`` from before is answered 404, as Gmail answers one it no longer
        has."""
        mailbox = store.mailboxes.get(address.lower())
        if mailbox is None:
            raise GoogleError(404, "notFound", "Requested entity was not found.")
        with mailbox.lock:
            mailbox.forget_history()
        return "", 204

    app.wsgi_app = MethodOverride(app.wsgi_app)  # type: ignore[method-assign]

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
