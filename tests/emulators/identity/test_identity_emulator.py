"""Discovery, keys, the full code flow, claim shapes, userinfo, and authlib's Flask client."""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from authlib.integrations.flask_client import OAuth
from flask import Flask
from joserfc.errors import ExpiredTokenError
from werkzeug.wrappers import Response

from emulators.identity import IdentityEmulator
from emulators.identity.seed import CONTOSO_TENANT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.support.clock import Clock
from tests.support.identity import (
    ANNA,
    DISCOVERY,
    REDIRECT,
    bearer,
    code_of,
    metadata,
    redirect_params,
    signed_in,
    start,
    verify_id_token,
)

REALM_PATHS = {"microsoft": "/microsoft/v2.0", "google": "/google"}
ADVERTISED_ISSUERS = {"microsoft": "/microsoft/{tenantid}/v2.0", "google": "/google"}
"""Entra's multi-tenant endpoints name the issuer with a placeholder for the directory."""


@pytest.mark.parametrize("realm", ["microsoft", "google"])
def test_discovery_advertises_every_endpoint_under_one_issuer(
    identity: IdentityEmulator, realm: str
) -> None:
    meta = metadata(identity, realm)
    issuer = identity.url + REALM_PATHS[realm]
    assert identity.provider.issuer(realm) == issuer
    assert meta["issuer"] == identity.url + ADVERTISED_ISSUERS[realm]
    endpoints = ["authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                 "revocation_endpoint", "introspection_endpoint"]  # fmt: skip
    assert all(meta[name].startswith(issuer + "/") for name in endpoints)
    assert meta["response_types_supported"] == ["code"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic", "client_secret_post"
    ]  # fmt: skip
    assert {"authorization_code", "refresh_token"} <= set(meta["grant_types_supported"])
    assert "openid" in meta["scopes_supported"] and meta["subject_types_supported"]
    assert {"iss", "sub", "aud", "email", "name"} <= set(meta["claims_supported"])
    assert ("end_session_endpoint" in meta) is (realm == "microsoft")
    jwks = requests.get(meta["jwks_uri"], timeout=5).json()
    assert [(key["kty"], key["alg"], key["use"]) for key in jwks["keys"]] == [
        ("RSA", "RS256", "sig")
    ]
    assert jwks["keys"][0]["kid"] and "d" not in jwks["keys"][0]


def test_realms_sign_with_different_keys(identity: IdentityEmulator) -> None:
    kids = {realm: identity.provider.keys[realm].current_kid for realm in REALM_PATHS}
    assert kids["microsoft"] != kids["google"]


def test_microsoft_code_flow_with_pkce_and_nonce(identity: IdentityEmulator, clock: Clock) -> None:
    flow = start(identity, "microsoft")
    assert "code_challenge_method=S256" in flow.url and "nonce=" in flow.url
    answer = flow.sign_in(ANNA)
    params = redirect_params(answer)
    assert answer.headers["Location"].startswith(REDIRECT["microsoft"] + "?")
    assert params["state"] == flow.state and params["session_state"]
    token = flow.exchange(params["code"])
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    assert token["scope"] == "openid profile email offline_access"
    assert token["refresh_token"] and token["access_token"] != token["refresh_token"]
    header, claims = verify_id_token(flow.meta, token["id_token"], nonce=flow.nonce, now=clock.now)
    assert header["kid"] == identity.provider.keys["microsoft"].current_kid
    user = identity.provider.directory.user("microsoft", ANNA[0])
    assert claims["sub"] == user.subject and claims["oid"] == user.object_id
    assert claims["tid"] == CONTOSO_TENANT_ID and claims["ver"] == "2.0"
    assert (
        claims["iat"] == claims["nbf"] == int(clock.now) and claims["exp"] == claims["iat"] + 3600
    )
    assert (claims["name"], claims["preferred_username"], claims["email"]) == (
        "Anna Sales", ANNA[0], ANNA[0]
    )  # fmt: skip
    with pytest.raises(ExpiredTokenError):
        verify_id_token(flow.meta, token["id_token"], nonce=flow.nonce, now=clock.now + 3601)


def test_google_claim_shape(identity: IdentityEmulator, clock: Clock) -> None:
    flow, token = signed_in(identity, "google")
    assert token["scope"].split() == [
        "openid",
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/userinfo.profile",
    ]
    assert token["refresh_token"]
    _, claims = verify_id_token(flow.meta, token["id_token"], nonce=flow.nonce, now=clock.now)
    assert claims["azp"] == claims["aud"] == DEMO_CLIENT_ID
    assert (claims["email"], claims["email_verified"], claims["hd"]) == (
        ANNA[0], True, "contoso.test"
    )  # fmt: skip
    assert claims["name"] == "Anna Sales" and claims["sub"].isdigit() and len(claims["sub"]) == 21
    digest = hashlib.sha256(token["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert not {"oid", "tid", "ver", "preferred_username"} & set(claims)


@pytest.mark.parametrize("realm", ["microsoft", "google"])
def test_claims_follow_the_granted_scopes(
    identity: IdentityEmulator, clock: Clock, realm: str
) -> None:
    flow = start(identity, realm, scope="openid")
    token = flow.exchange(code_of(flow.sign_in()))
    _, claims = verify_id_token(flow.meta, token["id_token"], nonce=flow.nonce, now=clock.now)
    assert claims["sub"] and not {"email", "name", "preferred_username"} & set(claims)
    info = requests.get(
        flow.meta["userinfo_endpoint"], headers=bearer(token["access_token"]), timeout=5
    )
    assert info.status_code == 200 and "email" not in info.json()


@pytest.mark.parametrize("realm", ["microsoft", "google"])
def test_userinfo_describes_the_signed_in_user(identity: IdentityEmulator, realm: str) -> None:
    flow, token = signed_in(identity, realm)
    for method in ("GET", "POST"):
        answer = requests.request(
            method, flow.meta["userinfo_endpoint"], headers=bearer(token["access_token"]), timeout=5
        )
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
        info = answer.json()
        assert info["sub"] == identity.provider.directory.user(realm, ANNA[0]).subject
        assert (info["email"], info["name"], info["given_name"]) == (ANNA[0], "Anna Sales", "Anna")


def _issuer_of_the_directory(claims: dict[str, Any], value: str, template: str) -> bool:
    return value == template.replace("{tenantid}", str(claims.get("tid")))


@pytest.mark.parametrize("realm", ["microsoft", "google"])
def test_authlib_flask_client_signs_in(identity: IdentityEmulator, realm: str) -> None:
    """Google's issuer is checked by authlib as it comes; Entra's multi-tenant one names no
    directory, so the relying party checks ``iss`` against the token's ``tid`` (as it must
    with Entra's ``organizations`` endpoint)."""
    app = Flask("relying_party")
    app.secret_key = "relying-party-secret"
    oauth = OAuth(app)
    oauth.register(
        realm,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        server_metadata_url=identity.provider.issuer(realm) + DISCOVERY,
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )

    @app.get("/login")
    def login() -> Response:
        return oauth.create_client(realm).authorize_redirect(REDIRECT[realm])

    @app.get(f"/auth/callback/{realm}")
    def callback() -> dict[str, Any]:
        client = oauth.create_client(realm)
        options = None
        if realm == "microsoft":
            template = client.load_server_metadata()["issuer"]
            check = functools.partial(_issuer_of_the_directory, template=template)
            options = {"iss": {"essential": True, "validate": check}}
        token = client.authorize_access_token(claims_options=options)
        return {"claims": dict(token["userinfo"]), "access_token": token["access_token"]}

    web = app.test_client()
    authorize_url = web.get("/login").headers["Location"]
    assert authorize_url.startswith(identity.provider.issuer(realm) + "/authorize?")
    browser = requests.Session()
    assert browser.get(authorize_url, timeout=5).status_code == 200
    answer = browser.post(
        authorize_url,
        data={"email": ANNA[0], "password": ANNA[1]},
        allow_redirects=False,
        timeout=5,
    )
    back = urlsplit(answer.headers["Location"])
    done = web.get(f"{back.path}?{back.query}")
    assert done.status_code == 200, done.text
    assert done.json["claims"]["email"] == ANNA[0]
    assert identity.provider.is_token_active(done.json["access_token"])
    assert identity.log.count("POST", f"{REALM_PATHS[realm]}/token$") == 1
