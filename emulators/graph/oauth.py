"""Entra ID's v2.0 token endpoint for Graph: ``POST /{tenant}/oauth2/v2.0/token``.

Two grants: ``refresh_token`` for delegated access (consent is granted by the test hook
:meth:`EntraTokens.grant`; each refresh answers a rotated refresh token, the old one staying
valid as Entra's do for a while) and ``client_credentials`` for app-only access with
``scope=https://graph.microsoft.com/.default``. Errors use Entra's JSON shape (``AADSTS``
numbers, ``error_codes``, trace ids), written by :mod:`emulators.identity.errors`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request

from emulators.identity.errors import NO_STORE, OAuthError, error_response
from emulators.identity.token_endpoint import read_form

GRAPH = "https://graph.microsoft.com/"
DELEGATED_SCOPES = ("Contacts.ReadWrite", "Mail.ReadWrite", "Calendars.ReadWrite",
                    "Tasks.ReadWrite", "MailboxSettings.ReadWrite", "User.Read")  # fmt: skip
OPENID_SCOPES = {"openid", "profile", "email", "offline_access"}
LIFETIME = 3599


@dataclass(frozen=True)
class Principal:
    """Who an access token stands for: a user (delegated) or an app (``address`` None)."""

    address: str | None
    client_id: str | None = None

    @property
    def is_app(self) -> bool:
        return self.address is None


@dataclass
class Consent:
    address: str
    client_id: str
    scopes: tuple[str, ...]
    state: str = "active"
    """``active``, ``revoked`` (sessions revoked) or ``expired`` (unused for too long)."""


class EntraTokens:
    """Registered apps, refresh tokens and the token endpoint's decisions.

    Args:
        issue: makes an access token for a principal (the store keeps it).
    """

    def __init__(self, issue: Callable[[Principal], str]) -> None:
        self.apps: dict[str, tuple[str, str]] = {}
        self.refresh_tokens: dict[str, Consent] = {}
        self.lock = threading.RLock()
        self._issue = issue

    def add_app(self, client_id: str, secret: str, tenant: str) -> None:
        self.apps[client_id] = (secret, tenant)

    def grant(
        self, address: str, client_id: str, scopes: tuple[str, ...] = DELEGATED_SCOPES
    ) -> str:
        """A user's consent for ``client_id``: the refresh token a stored credential holds."""
        token = "0.A" + secrets.token_urlsafe(64)
        with self.lock:
            self.refresh_tokens[token] = Consent(address.lower(), client_id, scopes)
        return token

    def revoke_grant(self, refresh_token: str) -> None:
        with self.lock:
            self.refresh_tokens[refresh_token].state = "revoked"

    def expire_grant(self, refresh_token: str) -> None:
        """Let the refresh token lapse, as after 90 days without use."""
        with self.lock:
            self.refresh_tokens[refresh_token].state = "expired"

    def revoke_user(self, address: str) -> None:
        with self.lock:
            for consent in self.refresh_tokens.values():
                if consent.address == address:
                    consent.state = "revoked"

    def token(self, tenant: str, form: dict[str, str]) -> dict[str, Any]:
        """The token answer for a form of the token endpoint.

        Raises:
            OAuthError: as Entra refuses.
        """
        kind = form.get("grant_type")
        if kind == "refresh_token":
            return self._refresh(form)
        if kind == "client_credentials":
            return self._client_credentials(tenant, form)
        if not kind:
            raise _missing("grant_type")
        raise OAuthError(
            "unsupported_grant_type", f"The provided value for the input parameter 'grant_type' "
            f"is not valid. Expected values are the following: 'authorization_code', "
            f"'refresh_token', 'client_credentials'. Provided: '{kind}'.", aadsts=70003,
        )  # fmt: skip

    def _client(self, form: dict[str, str]) -> tuple[str, str | None]:
        """The client id and, if given, the secret (HTTP Basic or form)."""
        basic = request.authorization
        if basic is not None and basic.type == "basic":
            return basic.username or "", basic.password
        return form.get("client_id", ""), form.get("client_secret")

    def _check_secret(self, client_id: str, secret: str, tenant: str) -> None:
        app = self.apps.get(client_id)
        if app is None or tenant not in (app[1], "common", "organizations"):
            raise OAuthError(
                "unauthorized_client", f"Application with identifier '{client_id}' was not "
                f"found in the directory '{tenant}'.", aadsts=700016,
            )  # fmt: skip
        if not secrets.compare_digest(app[0], secret):
            raise OAuthError(
                "invalid_client", "Invalid client secret provided. Ensure the secret being sent "
                "in the request is the client secret value, not the client secret ID, for a "
                f"secret added to app '{client_id}'.", aadsts=7000215,
            )  # fmt: skip

    def _refresh(self, form: dict[str, str]) -> dict[str, Any]:
        client_id, secret = self._client(form)
        if not client_id:
            raise _missing("client_id")
        if secret is not None:
            self._check_secret(client_id, secret, "common")
        if not form.get("refresh_token"):
            raise _missing("refresh_token")
        with self.lock:
            consent = self.refresh_tokens.get(form["refresh_token"])
        if consent is None:
            raise OAuthError(
                "invalid_grant", "Invalid request. Request is malformed or invalid.", aadsts=9002313
            )
        if consent.client_id != client_id:
            raise OAuthError(
                "invalid_grant", "Provided grant is invalid or malformed.", aadsts=70000
            )
        if consent.state == "expired":
            raise OAuthError(
                "invalid_grant", "The provided authorization code or refresh token has expired "
                "due to inactivity. Send a new interactive authorization request for this user "
                "and resource.", aadsts=70008,
            )  # fmt: skip
        if consent.state == "revoked":
            raise OAuthError(
                "invalid_grant", "The provided grant has expired due to it being revoked, a "
                "fresh auth token is needed. The user might have changed or reset their "
                "password. The grant was issued on '2026-01-01T00:00:00Z' and the TokensValidFrom"
                " date (before which tokens are not valid) for this user is later.", aadsts=50173,
            )  # fmt: skip
        wanted = [s.removeprefix(GRAPH) for s in form.get("scope", "").split()]
        wanted = [s for s in wanted if s not in OPENID_SCOPES and s != ".default"]
        missing = [s for s in wanted if s not in consent.scopes]
        if missing:
            raise OAuthError(
                "invalid_grant", "The user or administrator has not consented to use the "
                f"application with ID '{client_id}'. Send an interactive authorization request "
                f"for this user and resource. Missing: {' '.join(missing)}.", aadsts=65001,
            )  # fmt: skip
        scopes = wanted or list(consent.scopes)
        return {
            "token_type": "Bearer",
            "scope": " ".join(GRAPH + s for s in scopes),
            "expires_in": LIFETIME,
            "ext_expires_in": LIFETIME,
            "access_token": self._issue(Principal(consent.address, client_id)),
            "refresh_token": self.grant(consent.address, client_id, consent.scopes),
        }

    def _client_credentials(self, tenant: str, form: dict[str, str]) -> dict[str, Any]:
        client_id, secret = self._client(form)
        if not client_id:
            raise _missing("client_id")
        if secret is None:
            raise OAuthError(
                "invalid_client", "The request body must contain the following parameter: "
                "'client_assertion' or 'client_secret'.", aadsts=7000218,
            )  # fmt: skip
        self._check_secret(client_id, secret, tenant)
        scope = form.get("scope", "")
        if not scope:
            raise _missing("scope")
        if scope.split() != [GRAPH + ".default"]:
            raise OAuthError(
                "invalid_scope", f"The provided value for scope {scope} is not valid. Client "
                "credential flows must have a scope value with /.default suffixed to the "
                "resource identifier (application ID URI).", aadsts=1002012,
            )  # fmt: skip
        return {
            "token_type": "Bearer",
            "expires_in": LIFETIME,
            "ext_expires_in": LIFETIME,
            "access_token": self._issue(Principal(None, client_id)),
        }


def _missing(name: str) -> OAuthError:
    return OAuthError(
        "invalid_request",
        f"The request body must contain the following parameter: '{name}'.",
        aadsts=900144,
    )


def create_blueprint(tokens: EntraTokens) -> Blueprint:
    entra = Blueprint("entra", __name__)

    @entra.post("/<tenant>/oauth2/v2.0/token")
    def token(tenant: str) -> Response:
        issuer = f"https://login.microsoftonline.com/{tenant}/v2.0"
        try:
            answer = jsonify(tokens.token(tenant, read_form()))
        except OAuthError as error:
            return error_response(error, entra_style=True, issuer=issuer)
        answer.headers.update(NO_STORE)
        return answer

    return entra
