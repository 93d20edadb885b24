"""The back-channel endpoints: token (code and refresh grants), revocation and introspection.

All three take ``application/x-www-form-urlencoded`` bodies, authenticate the client with
``client_secret_basic`` or ``client_secret_post`` (never both at once) and answer errors as
RFC 6749 JSON, never cached.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from flask import Response, request

from emulators.identity.directory import Client
from emulators.identity.errors import NO_STORE, OAuthError, error_response
from emulators.identity.provider import Provider
from emulators.identity.realms import Realm
from emulators.identity.tokens import ACCESS, ACCESS_TOKEN_LIFETIME, REFRESH, Grant, IssuedToken

_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


def read_form() -> dict[str, str]:
    """The request's form parameters, each given once.

    Raises:
        OAuthError: ``invalid_request`` for another content type or a repeated parameter.
    """
    if request.mimetype != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "The body must be application/x-www-form-urlencoded.")
    repeated = sorted(name for name in request.form if len(request.form.getlist(name)) > 1)
    if repeated:
        raise OAuthError("invalid_request", f"Parameters must not repeat: {repeated}.")
    return request.form.to_dict()


def authenticate(
    provider: Provider, realm: Realm, form: dict[str, str], *, required: bool = True
) -> Client | None:
    """The client authenticated by Basic credentials or ``client_id``/``client_secret``.

    Args:
        provider: knows the clients.
        realm: the realm asked.
        form: the request's form parameters.
        required: refuse a request without client credentials.

    Returns:
        The client, or ``None`` when none authenticated and ``required`` is false.

    Raises:
        OAuthError: ``invalid_client`` (wrong or missing credentials) or ``invalid_request``.
    """
    header = request.headers.get("Authorization", "")
    basic = header[:6].lower() == "basic "
    if basic and "client_secret" in form:
        raise OAuthError("invalid_request", "Use only one client authentication method.")
    if basic:
        try:
            client_id, secret = (
                base64.b64decode(header[6:].strip(), validate=True).decode().split(":", 1)
            )
        except ValueError:
            raise OAuthError("invalid_client", "Malformed Basic credentials.") from None
        if form.get("client_id") not in (None, client_id, unquote_plus(client_id)):
            raise OAuthError("invalid_request", "client_id differs from the Basic credentials.")
        client = provider.directory.authenticate_client(realm.name, client_id, secret)
        client = client or provider.directory.authenticate_client(
            realm.name, unquote_plus(client_id), unquote_plus(secret)
        )
    elif "client_secret" in form:
        client_id = form.get("client_id", "")
        client = provider.directory.authenticate_client(
            realm.name, client_id, form["client_secret"]
        )
    elif not required:
        return None
    else:
        raise OAuthError(
            "invalid_client", "The request must contain client credentials.", aadsts=7000218
        )
    if client is None:
        raise OAuthError("invalid_client", "Invalid client secret provided.", aadsts=7000215)
    return client


def _answer(body: dict[str, Any] | None, status: int = 200) -> Response:
    text = "" if body is None else json.dumps(body)
    content_type = "text/plain" if body is None else "application/json"
    return Response(text, status=status, content_type=content_type, headers=NO_STORE)


def _handle(provider: Provider, realm: Realm, work: Callable[[], Response]) -> Response:
    try:
        return work()
    except OAuthError as error:
        return error_response(
            error, entra_style=realm.entra_style, issuer=provider.issuer(realm.name)
        )


def token(provider: Provider, realm: Realm) -> Response:
    """Answer ``POST <realm>/token``."""

    def work() -> Response:
        form = read_form()
        client = authenticate(provider, realm, form)
        assert client is not None
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return _answer(_code_grant(provider, realm, client, form))
        if grant_type == "refresh_token":
            return _answer(_refresh_grant(provider, realm, client, form))
        if not grant_type:
            raise OAuthError("invalid_request", "The request must contain grant_type.")
        raise OAuthError(
            "unsupported_grant_type", f"The grant_type '{grant_type}' is not supported.",
            aadsts=70003,
        )  # fmt: skip

    return _handle(provider, realm, work)


def _code_grant(
    provider: Provider, realm: Realm, client: Client, form: dict[str, str]
) -> dict[str, Any]:
    if not form.get("code"):
        raise OAuthError("invalid_request", "The request must contain code.", aadsts=900144)
    if not form.get("redirect_uri"):
        raise OAuthError("invalid_request", "The request must contain redirect_uri.")
    code = provider.tokens.redeem_code(form["code"], realm.name, client.client_id, provider.now())
    if form["redirect_uri"] != code.redirect_uri:
        raise OAuthError(
            "invalid_grant", "The redirect_uri differs from the authorization request.",
            aadsts=50011,
        )  # fmt: skip
    verifier = form.get("code_verifier")
    if code.code_challenge is not None:
        if not verifier:
            raise OAuthError("invalid_request", "The request must contain code_verifier.")
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if not _VERIFIER.match(verifier) or computed != code.code_challenge:
            raise OAuthError(
                "invalid_grant", "The code_verifier does not match the code_challenge.",
                aadsts=501481,
            )  # fmt: skip
    elif verifier:
        raise OAuthError("invalid_grant", "code_verifier sent but no code_challenge was.")
    grant = code.grant
    refresh = None
    if grant.offline:
        refresh = provider.tokens.issue(REFRESH, grant, grant.scope, provider.now())
    return _tokens(provider, realm, grant, grant.scope, refresh, id_token=True, nonce=code.nonce)


def _refresh_grant(
    provider: Provider, realm: Realm, client: Client, form: dict[str, str]
) -> dict[str, Any]:
    if not form.get("refresh_token"):
        raise OAuthError("invalid_request", "The request must contain refresh_token.")
    old = provider.tokens.find(form["refresh_token"], REFRESH)
    if (
        old is None
        or old.grant.realm != realm.name
        or old.grant.client_id != client.client_id
        or not old.active(provider.now())
    ):
        raise OAuthError(
            "invalid_grant", "The refresh token is invalid, expired or revoked.", aadsts=70000
        )
    grant = old.grant
    scope = realm.normalize_scope(form.get("scope", "").split()) or grant.scope
    if not set(scope) <= set(grant.scope):
        raise OAuthError("invalid_scope", "The scope exceeds what was granted.", aadsts=70011)
    refresh = None
    if realm.rotates_refresh_tokens:
        provider.tokens.retire(old)
        refresh = provider.tokens.issue(REFRESH, grant, grant.scope, provider.now())
    wants_id_token = realm.id_token_on_refresh and "openid" in scope
    return _tokens(provider, realm, grant, scope, refresh, id_token=wants_id_token, nonce=None)


def _tokens(
    provider: Provider,
    realm: Realm,
    grant: Grant,
    scope: list[str],
    refresh: IssuedToken | None,
    *,
    id_token: bool,
    nonce: str | None,
) -> dict[str, Any]:
    access = provider.tokens.issue(ACCESS, grant, scope, provider.now())
    body: dict[str, Any] = {
        "access_token": access.value,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME,
        "scope": realm.granted_scope(scope),
    }
    if realm.entra_style:
        body["ext_expires_in"] = ACCESS_TOKEN_LIFETIME
    if refresh is not None:
        body["refresh_token"] = refresh.value
    if realm.tells_consent_end and grant.ends_at is not None and grant.offline:
        body["refresh_token_expires_in"] = max(0, int(grant.ends_at - provider.now()))
    if id_token:
        body["id_token"] = provider.id_token(
            realm.name, grant.user, grant.client_id, scope, nonce=nonce, access_token=access.value
        )
    return body


def revoke(provider: Provider, realm: Realm) -> Response:
    """Answer ``POST <realm>/revoke`` (RFC 7009): 200 with an empty body, known token or not."""

    def work() -> Response:
        form = read_form()
        optional = realm.revocation_without_client_auth and "client_id" not in form
        client = authenticate(provider, realm, form, required=not optional)
        if not form.get("token"):
            raise OAuthError("invalid_request", "The request must contain token.")
        found = provider.tokens.find(form["token"])
        if found is not None and found.grant.realm == realm.name:
            if client is not None and found.grant.client_id != client.client_id:
                raise OAuthError("invalid_grant", "The token was issued to another client.")
            provider.tokens.revoke(found, whole_grant=realm.revoking_access_ends_grant)
        return _answer(None)

    return _handle(provider, realm, work)


def introspect(provider: Provider, realm: Realm) -> Response:
    """Answer ``POST <realm>/introspect`` (RFC 7662) for tokens of the calling client."""

    def work() -> Response:
        form = read_form()
        client = authenticate(provider, realm, form)
        assert client is not None
        if not form.get("token"):
            raise OAuthError("invalid_request", "The request must contain token.")
        found = provider.tokens.find(form["token"])
        if (
            found is None
            or found.grant.realm != realm.name
            or found.grant.client_id != client.client_id
            or not found.active(provider.now())
        ):
            return _answer({"active": False})
        return _answer(
            {
                "active": True,
                "token_type": "Bearer" if found.kind == ACCESS else "refresh_token",
                "scope": realm.granted_scope(found.scope),
                "client_id": client.client_id,
                "username": found.grant.user.email,
                "sub": found.grant.user.subject,
                "aud": client.client_id,
                "iss": provider.token_issuer(realm.name, found.grant.user),
                "iat": int(found.issued_at),
                "exp": int(found.expires_at),
            }
        )

    return _handle(provider, realm, work)
