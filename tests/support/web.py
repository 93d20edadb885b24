"""Signing a test client in as a user, the way flask-login keeps a signed-in session.

The sign-in itself (OpenID Connect against the identity emulator, :func:`sign_in_with`) is
tested end to end in ``tests/web/test_signin.py``; other web tests start from its result
(:func:`sign_in`) to stay fast.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import requests
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import _create_identifier

from backend.auth.signin import SignedInUser
from backend.models import User
from emulators.identity import IdentityEmulator


def sign_in(app: Flask, client: FlaskClient, user: User) -> FlaskClient:
    """Give ``client`` a session signed in as ``user`` (session protection included)."""
    agent = client.environ_base.get("HTTP_USER_AGENT", f"Werkzeug/{_werkzeug_version()}")
    with app.test_request_context(
        environ_base={"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": agent}
    ):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session["_user_id"] = SignedInUser(user).get_id()
        session["_fresh"] = True
        session["_id"] = identifier
    return client


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token of ``client``'s session, read from a page's meta tag."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def _werkzeug_version() -> str:
    from importlib.metadata import version

    return version("werkzeug")


def sign_in_with(
    client, identity: IdentityEmulator, realm: str, email: str, password: str, **form: str
):
    """Click "Sign in with ...", fill the provider's form, follow the redirect back."""
    data = {"csrf_token": csrf_token(client, "/login"), **form}
    start = client.post(f"/auth/login/{realm}", data=data)
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert authorize.startswith(identity.provider.issuer(realm))
    page = requests.get(authorize, timeout=10)
    assert page.status_code == 200 and 'id="sign-in"' in page.text
    answer = requests.post(
        authorize, data={"email": email, "password": password}, allow_redirects=False, timeout=10
    )
    if answer.status_code != 302:
        return answer
    back = urlsplit(answer.headers["Location"])
    assert back.path == f"/auth/callback/{realm}"
    return client.get(f"{back.path}?{back.query}")


def consent_in(client: FlaskClient, email: str, password: str, hint: str = "anna@contoso.test"):
    """Grant the signed-in user's mailbox access at the provider as ``email`` (the consent
    page's form), and follow the way back to the product; the product's last answer."""
    start = client.post("/reactivate/consent", data={"csrf_token": csrf_token(client)})
    authorize = start.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert "offline_access" in query["scope"][0] or "mail.google.com" in query["scope"][0]
    assert query["login_hint"] == [hint]
    answer = requests.post(authorize, data={"email": email, "password": password},
                           allow_redirects=False, timeout=10)  # fmt: skip
    back = urlsplit(answer.headers["Location"])
    return client.get(f"{back.path}?{back.query}", follow_redirects=True)
