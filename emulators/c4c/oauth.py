"""C4C's OAuth 2.0 server: access tokens for a SAML 2.0 bearer assertion (RFC 7522).

C4C issues OAuth tokens for its OData API through the ABAP OAuth server at
``/sap/bc/sec/oauth2/token``, and only for a SAML 2.0 bearer assertion: a C4C administrator
registers an OAuth client (id, secret, the issuer it trusts, its scopes) and the identity provider
that signs the assertions (its issuer name and signing certificate). The token request is a form
``POST`` with the client's id and secret in HTTP Basic, ``grant_type`` the SAML 2.0 bearer URN,
``assertion`` the base64url-encoded signed assertion, ``client_id`` and ``scope``.

As the ABAP server does, the assertion must be signed (the whole assertion, with the certificate
of its issuer), name this system's service provider as its audience and the token endpoint as its
recipient, be within its validity, confirm its subject by ``bearer``, name a known user, and be
used once. Errors follow RFC 6749: ``invalid_client`` (401), ``invalid_request``,
``unsupported_grant_type``, ``invalid_grant`` and ``invalid_scope`` (400), as JSON.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import Flask, Response, jsonify, request
from lxml import etree
from signxml import InvalidInput, InvalidSignature, XMLVerifier

TOKEN_PATH = "/sap/bc/sec/oauth2/token"
SAML2_BEARER = "urn:ietf:params:oauth:grant-type:saml2-bearer"
BEARER_METHOD = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS = {"saml": SAML}
SKEW = timedelta(minutes=3)
"""Clock difference the server tolerates on ``NotBefore`` and ``NotOnOrAfter``."""


class OAuthRefusal(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


@dataclass
class OAuthClient:
    """An OAuth client registered in C4C (Administrator, OAuth 2.0 Client Registration)."""

    secret: str
    issuer: str
    scopes: frozenset[str] = frozenset({"UIWC:CC_HOME"})


@dataclass
class OAuthServer:
    """The registered clients, the trusted identity providers and the tokens issued.

    Attributes:
        service_provider: this system's SAML service provider name (what assertions must name
            as their audience; C4C shows it as the local service provider).
        users: the users an assertion may name (the tenant's business users).
        token_lifetime: seconds an access token lives.
    """

    service_provider: str
    users: Callable[[], set[str]]
    token_lifetime: float = 3600.0
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    identity_providers: dict[str, str] = field(default_factory=dict)
    """Issuer name to its signing certificate (PEM)."""
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def trust(self, issuer: str, certificate: str) -> None:
        """Trust an identity provider's assertions (its certificate uploaded by an admin)."""
        self.identity_providers[issuer] = certificate

    def register(self, client_id: str, secret: str, issuer: str, scopes: set[str]) -> None:
        self.clients[client_id] = OAuthClient(secret, issuer, frozenset(scopes))

    def user_of(self, token: str) -> str | None:
        """The user an access token was issued for, while it is valid."""
        with self._lock:
            found = self._tokens.get(token)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def expire_tokens(self) -> None:
        """End every issued access token (as when their lifetime has passed)."""
        with self._lock:
            self._tokens = {token: (user, 0.0) for token, (user, _) in self._tokens.items()}

    def reset(self) -> None:
        with self._lock:
            self.clients.clear()
            self.identity_providers.clear()
            self._tokens.clear()
            self._used.clear()

    def issue(self, form: dict[str, str], basic: tuple[str, str] | None, endpoint: str) -> dict:
        """Answer a token request, or raise :class:`OAuthRefusal`."""
        client_id = form.get("client_id", "")
        if basic is None or basic[0] != client_id or client_id not in self.clients:
            raise OAuthRefusal(401, "invalid_client", "Client authentication failed")
        client = self.clients[client_id]
        if not secrets.compare_digest(client.secret, basic[1]):
            raise OAuthRefusal(401, "invalid_client", "Client authentication failed")
        if form.get("grant_type") != SAML2_BEARER:
            raise OAuthRefusal(400, "unsupported_grant_type", "Grant type is not supported")
        if not form.get("assertion"):
            raise OAuthRefusal(400, "invalid_request", "Parameter assertion is missing")
        scopes = set(form.get("scope", "").split()) or set(client.scopes)
        if not scopes <= client.scopes:
            raise OAuthRefusal(400, "invalid_scope", "Requested scope is not assigned to client")
        user = self._subject(form["assertion"], client, endpoint)
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = (user, time.monotonic() + self.token_lifetime)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": str(int(self.token_lifetime)),
            "scope": " ".join(sorted(scopes)),
        }

    def _subject(self, encoded: str, client: OAuthClient, endpoint: str) -> str:
        """The user of a valid assertion."""
        try:
            padded = encoded + "=" * (-len(encoded) % 4)
            document = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
            root = etree.fromstring(
                document, parser=etree.XMLParser(resolve_entities=False, no_network=True)
            )
        except (binascii.Error, ValueError, etree.XMLSyntaxError) as error:
            raise _invalid("Assertion could not be parsed") from error
        if root.tag != f"{{{SAML}}}Assertion" or root.get("Version") != "2.0":
            raise _invalid("Assertion is not a SAML 2.0 assertion")
        issuer = root.findtext("saml:Issuer", namespaces=NS) or ""
        if issuer != client.issuer or issuer not in self.identity_providers:
            raise _invalid(f"Issuer {issuer} is not trusted for this client")
        try:
            verified = (
                XMLVerifier()
                .verify(root, x509_cert=self.identity_providers[issuer], id_attribute="ID")
                .signed_xml
            )
        except (InvalidSignature, InvalidInput) as error:
            raise _invalid("Signature of assertion is invalid") from error
        if verified is None or verified.tag != root.tag:
            raise _invalid("Signature does not cover the assertion")
        return self._checked(verified, endpoint)

    def _checked(self, assertion: etree._Element, endpoint: str) -> str:
        now = datetime.now(UTC)
        conditions = assertion.find("saml:Conditions", NS)
        if conditions is None:
            raise _invalid("Assertion has no conditions")
        if _time(conditions.get("NotBefore"), now) > now + SKEW:
            raise _invalid("Assertion is not yet valid")
        if _time(conditions.get("NotOnOrAfter"), None) <= now - SKEW:
            raise _invalid("Assertion has expired")
        audiences = {
            item.text for item in conditions.iterfind("saml:AudienceRestriction/saml:Audience", NS)
        }
        if self.service_provider not in audiences:
            raise _invalid(f"Audience must be {self.service_provider}")
        confirmations = [
            item
            for item in assertion.iterfind("saml:Subject/saml:SubjectConfirmation", NS)
            if item.get("Method") == BEARER_METHOD
        ]
        if not confirmations:
            raise _invalid("Subject is not confirmed by bearer")
        data = confirmations[0].find("saml:SubjectConfirmationData", NS)
        if data is None or data.get("Recipient") != endpoint:
            raise _invalid(f"Recipient must be {endpoint}")
        if _time(data.get("NotOnOrAfter"), None) <= now - SKEW:
            raise _invalid("Subject confirmation has expired")
        user = (assertion.findtext("saml:Subject/saml:NameID", namespaces=NS) or "").strip()
        if user not in self.users():
            raise _invalid(f"User {user or '(none)'} does not exist")
        with self._lock:
            if assertion.get("ID", "") in self._used or not assertion.get("ID"):
                raise _invalid("Assertion has already been used")
            self._used.add(assertion.get("ID", ""))
        return user


def _invalid(description: str) -> OAuthRefusal:
    return OAuthRefusal(400, "invalid_grant", description)


def _time(text: str | None, default: datetime | None) -> datetime:
    if text is None:
        if default is None:
            raise _invalid("Assertion lacks a validity end")
        return default
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise _invalid(f"Invalid time {text}") from error


def install(app: Flask, server: OAuthServer) -> None:
    """Serve the token endpoint, and the administrator's registrations under ``/_emulator``."""

    @app.post(TOKEN_PATH)
    def token() -> tuple[Response, int]:
        if request.mimetype != "application/x-www-form-urlencoded":
            return _error(OAuthRefusal(400, "invalid_request", "Content type must be a form"))
        auth = request.authorization
        basic = None
        if auth is not None and auth.type == "basic":
            basic = (auth.username or "", auth.password or "")
        try:
            answer = server.issue(request.form.to_dict(), basic, request.base_url)
        except OAuthRefusal as refusal:
            return _error(refusal)
        response = jsonify(answer)
        response.headers["Cache-Control"] = "no-store"
        return response, 200

    @app.post("/_emulator/oauth/identity-providers")
    def trust() -> tuple[Response, int]:
        body = request.get_json(force=True)
        server.trust(body["issuer"], body["certificate"])
        return jsonify({"issuer": body["issuer"]}), 201

    @app.post("/_emulator/oauth/clients")
    def register() -> tuple[Response, int]:
        body = request.get_json(force=True)
        scopes = set(body.get("scopes") or ["UIWC:CC_HOME"])
        server.register(body["client_id"], body["secret"], body["issuer"], scopes)
        return jsonify({"client_id": body["client_id"]}), 201


def _error(refusal: OAuthRefusal) -> tuple[Response, int]:
    response = jsonify({"error": refusal.error, "error_description": refusal.description})
    response.headers["Cache-Control"] = "no-store"
    if refusal.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="SAP NetWeaver Application Server"'
    return response, refusal.status
