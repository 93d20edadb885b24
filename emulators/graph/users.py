"""The user object (``GET /me``, ``GET /users/{id or userPrincipalName}``) and
``POST .../revokeSignInSessions``, which ends every session of the user: the refresh tokens
handed out for them and the access tokens they hold stop working."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g

from emulators.graph.mailbox import Mailbox
from emulators.graph.odata import METADATA, answer


def render_user(mailbox: Mailbox) -> dict[str, Any]:
    given, _, surname = mailbox.display_name.partition(" ")
    return {
        "@odata.context": f"{METADATA}users/$entity",
        "businessPhones": [],
        "displayName": mailbox.display_name,
        "givenName": given or None,
        "jobTitle": None,
        "mail": mailbox.address,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "surname": surname or None,
        "userPrincipalName": mailbox.address,
        "id": mailbox.user_id,
    }


def create_blueprint() -> Blueprint:
    users = Blueprint("users", __name__)

    @users.get("")
    def get_user() -> Response:
        return answer(render_user(g.mailbox))

    @users.post("/revokeSignInSessions")
    def revoke_sign_in_sessions() -> Response:
        g.store.revoke_user_tokens(g.mailbox.address)
        return answer({"@odata.context": f"{METADATA}Edm.Boolean", "value": True})

    return users
