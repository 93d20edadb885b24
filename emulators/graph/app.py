"""The Graph emulator's Flask app: bearer tokens, whose mailbox a path opens, and Graph's error
envelope for every failure.

Every mailbox resource exists under ``/v1.0/me`` (a delegated token's own mailbox) and under
``/v1.0/users/{id or userPrincipalName}`` (any mailbox for an app token, only the caller's own
for a delegated one). A mailbox flagged ``rest_disabled`` answers 404
``MailboxNotEnabledForRESTAPI``, as Graph does for on-premises and inactive mailboxes.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from emulators.graph import batch, calendar, categories, contacts, mail, oauth, todo, users
from emulators.graph.errors import (
    GraphError,
    access_denied,
    bad_request,
    client_request_id,
    envelope,
    invalid_token,
)
from emulators.graph.mailbox import Mailbox
from emulators.graph.store import GraphStore

DIRECTORY_PATHS = ("", "/revokeSignInSessions")
"""Paths below a user that are about the directory user, not the mailbox."""


def _mailbox_blueprint() -> Blueprint:
    mailbox = Blueprint("mailbox", __name__)
    for area in (users, contacts, mail, calendar, todo, categories):
        mailbox.register_blueprint(area.create_blueprint())
    return mailbox


def _open_mailbox(store: GraphStore, segments: list[str]) -> tuple[Mailbox, str] | None:
    """The mailbox a ``/v1.0/...`` path opens and the rest of the path; None for paths
    outside any mailbox.

    Raises:
        GraphError: for ``/me`` with an app token, an unknown user or someone else's mailbox.
    """
    principal = g.principal
    if segments[0] == "me":
        if principal.is_app:
            raise bad_request("/me request is only valid with delegated authentication flow.")
        rest = segments[1:]
        mailbox = store.find_mailbox(principal.address)
    elif segments[0] == "users" and len(segments) > 1:
        rest = segments[2:]
        mailbox = store.find_mailbox(segments[1])
        if mailbox is None and not rest:
            raise GraphError(
                404,
                "Request_ResourceNotFound",
                f"Resource '{segments[1]}' does not exist or one of its queried reference-"
                "property objects are not present.",
            )
        if mailbox is None:
            raise GraphError(
                404, "ErrorInvalidUser", f"The requested user '{segments[1]}' is invalid."
            )
    else:
        return None
    if mailbox is None:
        raise invalid_token(empty=False)
    if not principal.is_app and principal.address != mailbox.address:
        raise access_denied()
    return mailbox, "/" + "/".join(rest) if rest else ""


def create_app(store: GraphStore) -> Flask:
    app = Flask("emulators.graph", static_folder=None)
    app.register_blueprint(oauth.create_blueprint(store.oauth))
    app.register_blueprint(batch.create_blueprint())
    mailbox_api = _mailbox_blueprint()
    app.register_blueprint(mailbox_api, url_prefix="/v1.0/me", name="me")
    app.register_blueprint(mailbox_api, url_prefix="/v1.0/users/<user>", name="user")

    @app.url_value_preprocessor
    def drop_user(_endpoint: str | None, values: dict | None) -> None:
        if values:
            values.pop("user", None)

    @app.before_request
    def authenticate() -> None:
        g.store = store
        if not request.path.startswith("/v1.0/"):
            return
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        principal = store.principal_of(token) if token else None
        if principal is None:
            raise invalid_token(empty=not token)
        g.principal = principal
        opened = _open_mailbox(store, request.path.split("/")[2:])
        if opened is not None:
            g.mailbox, rest = opened
            if rest not in DIRECTORY_PATHS:
                if g.mailbox.rest_disabled:
                    raise GraphError(
                        404,
                        "MailboxNotEnabledForRESTAPI",
                        "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
                    )
                store.enter(g.mailbox.address)
                g.entered = g.mailbox.address
        store.lock.acquire()
        g.locked = True

    @app.teardown_request
    def release(_error: BaseException | None) -> None:
        if g.pop("locked", False):
            store.lock.release()
        entered = g.pop("entered", None)
        if entered is not None:
            store.leave(entered)

    @app.after_request
    def identify(response: Response) -> Response:
        response.headers.setdefault("request-id", client_request_id())
        response.headers.setdefault("client-request-id", request.headers.get(
            "client-request-id", response.headers["request-id"]))  # fmt: skip
        return response

    @app.errorhandler(GraphError)
    def graph_error(error: GraphError) -> Response:
        return envelope(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if error.code == 405:
            return envelope(GraphError(405, "BadRequest", "Specified HTTP method is not "
                                       "allowed for the request target."))  # fmt: skip
        if error.code == 404:
            segment = request.path.rstrip("/").rsplit("/", 1)[-1]
            return envelope(bad_request(f"Resource not found for the segment '{segment}'."))
        return envelope(GraphError(error.code or 500, "UnknownError", error.description or ""))

    return app
