"""The Flask app: one blueprint per realm, each a complete OpenID provider under its path.

Every realm serves ``.well-known/openid-configuration``, ``authorize``, ``token``,
``userinfo``, ``jwks``, ``revoke``, ``introspect`` and ``logout`` below its path
(``/microsoft/v2.0`` or ``/google``), and ``microsoft`` also ``adminconsent``; ``/`` lists the
realms' discovery documents.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, request

from emulators.identity.admin_consent import admin_consent
from emulators.identity.authorize import authorize, with_query
from emulators.identity.keys import ALGORITHM
from emulators.identity.pages import signed_out_page
from emulators.identity.provider import Provider
from emulators.identity.realms import Realm
from emulators.identity.token_endpoint import introspect, revoke, token
from emulators.identity.tokens import ACCESS

DISCOVERY = "/.well-known/openid-configuration"


def _json(body: Any, status: int = 200, **headers: str) -> Response:
    return Response(
        json.dumps(body), status=status, content_type="application/json", headers=headers
    )


def discovery_document(provider: Provider, realm: Realm) -> dict[str, Any]:
    """The realm's OpenID Provider metadata (OpenID Connect Discovery 1.0, RFC 8414)."""
    issuer = provider.issuer(realm.name)
    document: dict[str, Any] = {
        "issuer": realm.advertised_issuer(issuer),
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "revocation_endpoint": f"{issuer}/revoke",
        "introspection_endpoint": f"{issuer}/introspect",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "scopes_supported": list(realm.scopes),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_supported": sorted(_claims(realm)),
    }
    if realm.advertises_logout:
        document["end_session_endpoint"] = f"{issuer}/logout"
    return document


def _claims(realm: Realm) -> set[str]:
    common = {"iss", "sub", "aud", "exp", "iat", "nonce", "name", "email"}
    if realm.entra_style:
        return common | {"nbf", "oid", "tid", "preferred_username", "ver"}
    return common | {"azp", "at_hash", "email_verified", "hd", "given_name", "family_name"}


def userinfo(provider: Provider, realm: Realm) -> Response:
    """Answer ``GET``/``POST <realm>/userinfo`` for a Bearer access token."""
    header = request.headers.get("Authorization", "")
    value = header[7:].strip() if header[:7].lower() == "bearer " else ""
    found = provider.tokens.find(value, ACCESS) if value else None
    if found is None or found.grant.realm != realm.name or not found.active(provider.now()):
        description = "The access token is missing, unknown, expired or revoked."
        challenge = (
            f'Bearer realm="{provider.issuer(realm.name)}", error="invalid_token", '
            f'error_description="{description}"'
        )
        body = {"error": "invalid_token", "error_description": description}
        return _json(body, 401, **{"WWW-Authenticate": challenge, "Cache-Control": "no-store"})
    return _json(realm.userinfo(found.grant.user, found.scope), **{"Cache-Control": "no-store"})


def logout(provider: Provider, realm: Realm) -> Response:
    """Answer ``<realm>/logout``: forget the browser's sign-in, then return or say so.

    The browser goes back to ``post_logout_redirect_uri`` only if it is a redirect URI of a
    client of this realm; otherwise it sees a signed-out page.
    """
    provider.end_session(request.cookies.get(realm.cookie_name))
    target = request.values.get("post_logout_redirect_uri", "")
    registered = {
        uri for client in provider.directory.clients(realm.name) for uri in client.redirect_uris
    }
    if target and target in registered:
        location = with_query(target, {"state": request.values.get("state")})
        response = Response(status=302, headers={"Location": location})
    else:
        response = Response(signed_out_page(realm), content_type="text/html")
    response.delete_cookie(realm.cookie_name, path=realm.path)
    return response


def realm_blueprint(provider: Provider, realm: Realm) -> Blueprint:
    """Every endpoint of ``realm`` under its path."""
    routes = Blueprint(realm.name, __name__, url_prefix=realm.path)
    routes.add_url_rule(DISCOVERY, "discovery", lambda: _json(discovery_document(provider, realm)))
    routes.add_url_rule("/jwks", "jwks", lambda: _json(provider.keys[realm.name].jwks()))
    routes.add_url_rule(
        "/authorize", "authorize", lambda: authorize(provider, realm), methods=["GET", "POST"]
    )
    routes.add_url_rule("/token", "token", lambda: token(provider, realm), methods=["POST"])
    routes.add_url_rule(
        "/userinfo", "userinfo", lambda: userinfo(provider, realm), methods=["GET", "POST"]
    )
    routes.add_url_rule("/revoke", "revoke", lambda: revoke(provider, realm), methods=["POST"])
    routes.add_url_rule(
        "/introspect", "introspect", lambda: introspect(provider, realm), methods=["POST"]
    )
    routes.add_url_rule(
        "/logout", "logout", lambda: logout(provider, realm), methods=["GET", "POST"]
    )
    if realm.entra_style:
        routes.add_url_rule(
            "/adminconsent", "adminconsent", lambda: admin_consent(provider, realm),
            methods=["GET", "POST"],
        )  # fmt: skip
    return routes


def create_app(provider: Provider) -> Flask:
    """The emulator's Flask app serving every realm of ``provider``."""
    app = Flask(__name__)
    for realm in provider.realms.values():
        app.register_blueprint(realm_blueprint(provider, realm))

    @app.get("/")
    def index() -> Response:
        return _json(
            {name: provider.issuer(name) + DISCOVERY for name in provider.realms},
        )

    return app
