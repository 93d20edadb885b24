"""Google's OAuth 2.0 endpoints as the APIs' clients use them: ``/token`` (authorization code
and refresh grants), ``/revoke``, and the certificates ID tokens are signed with
(``/oauth2/v3/certs``).

Tests register a client (:meth:`OAuthServer.register_client`) and grant a user's consent
(:meth:`OAuthServer.grant`), which returns the refresh token a stored credential would hold.
Errors have Google's OAuth shape: ``{"error": "invalid_grant", "error_description": ...}``.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request

from emulators.identity.keys import Keyring

ACCESS_TOKEN_SECONDS = 3599
ISSUER = "https://accounts.google.com"


@dataclass
class Grant:
    address: str
    client_id: str
    scope: str


class OAuthServer:
    """Clients, grants (refresh tokens and single-use codes) and the ID token signing keys."""

    def __init__(self, issue_access_token: Callable[[str], str]) -> None:
        self.clients: dict[str, str] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.codes: dict[str, Grant] = {}
        self.keys = Keyring()
        self.lock = threading.RLock()
        self._issue_access_token = issue_access_token

    def register_client(self, client_id: str, secret: str) -> None:
        self.clients[client_id] = secret

    def grant(self, address: str, client_id: str, scope: str = "") -> str:
        """A user's consent for ``client_id``: the refresh token."""
        token = "1//" + secrets.token_urlsafe(32)
        self.refresh_tokens[token] = Grant(address.lower(), client_id, scope)
        return token

    def code(self, address: str, client_id: str, scope: str = "") -> str:
        """A single-use authorization code, as the consent screen would redirect with."""
        code = "4/" + secrets.token_urlsafe(24)
        self.codes[code] = Grant(address.lower(), client_id, scope)
        return code

    def sign_id_token(self, claims: dict[str, Any]) -> str:
        """An ID token signed with the published keys (``iss``, ``iat``, ``exp`` defaulted)."""
        now = int(time.time())
        return self.keys.sign({"iss": ISSUER, "iat": now, "exp": now + 3600, **claims})

    def token(self, form: dict[str, str]) -> dict[str, Any]:
        client_id = form.get("client_id", "")
        if not client_id or self.clients.get(client_id) != form.get("client_secret"):
            raise OAuthRefused(401, "invalid_client", "Unauthorized")
        kind = form.get("grant_type")
        with self.lock:
            if kind == "refresh_token":
                grant = self.refresh_tokens.get(form.get("refresh_token", ""))
                refresh = None
            elif kind == "authorization_code":
                grant = self.codes.pop(form.get("code", ""), None)
                refresh = self.grant(grant.address, client_id, grant.scope) if grant else None
            else:
                raise OAuthRefused(400, "unsupported_grant_type", f"Invalid grant_type: {kind}")
        if grant is None or grant.client_id != client_id:
            raise OAuthRefused(400, "invalid_grant", "Token has been expired or revoked.")
        answer: dict[str, Any] = {
            "access_token": self._issue_access_token(grant.address),
            "expires_in": ACCESS_TOKEN_SECONDS,
            "scope": grant.scope,
            "token_type": "Bearer",
        }
        if refresh is not None:
            answer["refresh_token"] = refresh
        return answer

    def revoke(self, token: str, forget_access_token: Callable[[str], bool]) -> None:
        with self.lock:
            grant = self.refresh_tokens.pop(token, None)
        if grant is None and not forget_access_token(token):
            raise OAuthRefused(400, "invalid_token", "Bad Request")


class OAuthRefused(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


def create_blueprint(server: OAuthServer, forget_access_token: Callable[[str], bool]) -> Blueprint:
    oauth = Blueprint("oauth", __name__)

    @oauth.errorhandler(OAuthRefused)
    def refused(error: OAuthRefused) -> tuple[Response, int]:
        return jsonify(error=error.error, error_description=error.description), error.status

    @oauth.post("/token")
    def token() -> Response:
        answer = jsonify(server.token(request.form.to_dict()))
        answer.headers["Cache-Control"] = "no-cache, no-store, max-age=0, must-revalidate"
        return answer

    @oauth.post("/revoke")
    def revoke() -> Response:
        server.revoke(request.values.get("token", ""), forget_access_token)
        return jsonify({})

    @oauth.get("/oauth2/v3/certs")
    def certs() -> Response:
        return jsonify(server.keys.jwks())

    @oauth.get("/oauth2/v1/certs")
    def certificates() -> Response:
        return jsonify(server.keys.certificates())

    return oauth
