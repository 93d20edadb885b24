"""Driving the identity emulator as a relying party and a browser do: for its own tests and for
the tests that sign in at it (consent to a mailbox, tokens the Graph and Google emulators trust)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from emulators.identity import IdentityEmulator
from emulators.identity.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

DISCOVERY = "/.well-known/openid-configuration"
REDIRECT = {
    realm: f"http://127.0.0.1:8000/auth/callback/{realm}" for realm in ("microsoft", "google")
}
ANNA = ("anna.sales@contoso.test", "anna-demo")
BEN = ("ben.sales@contoso.test", "ben-demo")
SCOPES = {"microsoft": "openid profile email offline_access", "google": "openid email profile"}
OFFLINE = {"microsoft": {}, "google": {"access_type": "offline"}}


def metadata(emulator: IdentityEmulator, realm: str) -> dict[str, Any]:
    """The realm's discovery document, fetched over HTTP."""
    answer = requests.get(emulator.provider.issuer(realm) + DISCOVERY, timeout=5)
    assert answer.status_code == 200
    return answer.json()


@dataclass
class Flow:
    """One sign-in of the demo client through one browser."""

    realm: str
    meta: dict[str, Any]
    client: OAuth2Session
    url: str
    state: str
    verifier: str | None
    nonce: str
    browser: requests.Session = field(default_factory=requests.Session)

    def sign_in(self, user: tuple[str, str] = ANNA) -> requests.Response:
        """Open the sign-in form, post ``user``'s credentials; the answer, not followed."""
        form = self.browser.get(self.url, allow_redirects=False, timeout=5)
        assert form.status_code == 200, form.text
        email, password = user
        data = {"email": email, "password": password}
        return self.browser.post(self.url, data=data, allow_redirects=False, timeout=5)

    def exchange(self, code: str, **extra: Any) -> dict[str, Any]:
        """Redeem ``code`` at the token endpoint with authlib's client."""
        if self.verifier and "code_verifier" not in extra:
            extra["code_verifier"] = self.verifier
        return dict(self.client.fetch_token(self.meta["token_endpoint"], code=code, **extra))

    def token_request(self, **form: str) -> requests.Response:
        """A raw token request with Basic client credentials."""
        auth = (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        return requests.post(self.meta["token_endpoint"], data=form, auth=auth, timeout=5)


def start(
    emulator: IdentityEmulator,
    realm: str,
    *,
    scope: str | None = None,
    pkce: bool = True,
    secret: str = DEMO_CLIENT_SECRET,
    auth_method: str = "client_secret_basic",
    browser: requests.Session | None = None,
    **params: str,
) -> Flow:
    """A fresh authorization request of the demo client (PKCE and a nonce unless told)."""
    meta = metadata(emulator, realm)
    client = OAuth2Session(
        DEMO_CLIENT_ID,
        secret,
        scope=scope or SCOPES[realm],
        redirect_uri=REDIRECT[realm],
        code_challenge_method="S256" if pkce else None,
        token_endpoint_auth_method=auth_method,
    )
    verifier = generate_token(48) if pkce else None
    nonce = generate_token(16)
    url, state = client.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **params
    )
    flow = Flow(realm, meta, client, url, state, verifier, nonce)
    if browser is not None:
        flow.browser = browser
    return flow


def redirect_params(answer: requests.Response) -> dict[str, str]:
    """The query parameters of a redirect answer."""
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["Location"]).query, keep_blank_values=True)
    return {name: values[0] for name, values in query.items()}


def code_of(answer: requests.Response) -> str:
    """The authorization code a redirect answer carries."""
    params = redirect_params(answer)
    assert "code" in params, params
    return params["code"]


def signed_in(
    emulator: IdentityEmulator, realm: str, user: tuple[str, str] = ANNA, **params: str
) -> tuple[Flow, dict[str, Any]]:
    """A completed code flow with offline access: the flow and the token answer."""
    flow = start(emulator, realm, **{**OFFLINE[realm], **params})
    return flow, flow.exchange(code_of(flow.sign_in(user)))


def verify_id_token(
    meta: dict[str, Any], id_token: str, *, nonce: str | None, now: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check signature, ``iss``, ``aud``, ``exp``, ``iat`` (and ``nonce``); header and claims.

    A multi-tenant issuer (``.../{tenantid}/v2.0``) is checked with the token's own ``tid``.
    """
    jwks = requests.get(meta["jwks_uri"], timeout=5).json()
    token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    issuer = meta["issuer"].replace("{tenantid}", str(token.claims.get("tid")))
    expected: dict[str, Any] = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": DEMO_CLIENT_ID},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    if nonce is not None:
        expected["nonce"] = {"essential": True, "value": nonce}
    jwt.JWTClaimsRegistry(now=int(now), **expected).validate(token.claims)
    return dict(token.header), dict(token.claims)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
