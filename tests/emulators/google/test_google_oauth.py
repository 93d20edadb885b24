"""The Google emulator's OAuth endpoints, as google-auth uses them to refresh a stored grant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials
from joserfc import jwt
from joserfc.jwk import KeySet

from emulators.google import GoogleEmulator
from tests.support.discovery import service

ADDRESS, CLIENT, SECRET = "gina@contoso.test", "ssi-sync.apps.googleusercontent.com", "s3cret"


@pytest.fixture
def google() -> Iterator[GoogleEmulator]:
    emulator = GoogleEmulator()
    emulator.add_mailbox(ADDRESS, "ya29.initial")
    emulator.store.oauth.register_client(CLIENT, SECRET)
    with emulator:
        yield emulator


def stored_grant(google: GoogleEmulator, refresh_token: str) -> Credentials:
    return Credentials(
        token="ya29.expired",
        refresh_token=refresh_token,
        token_uri=f"{google.url}/token",
        client_id=CLIENT,
        client_secret=SECRET,
    )


def test_an_expired_access_token_is_refreshed_and_the_call_goes_through(google) -> None:
    credentials = stored_grant(google, google.store.oauth.grant(ADDRESS, CLIENT))
    gmail = service(google.url, "gmail", "v1", credentials)
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == ADDRESS
    assert credentials.token.startswith("ya29.") and credentials.token != "ya29.expired"


def test_a_revoked_grant_cannot_refresh(google) -> None:
    refresh_token = google.store.oauth.grant(ADDRESS, CLIENT)
    assert requests.post(f"{google.url}/revoke", data={"token": refresh_token}).status_code == 200
    with pytest.raises(RefreshError, match="invalid_grant"):
        stored_grant(google, refresh_token).refresh(Request())
    again = requests.post(f"{google.url}/revoke", data={"token": refresh_token})
    assert (again.status_code, again.json()["error"]) == (400, "invalid_token")


def test_codes_are_single_use_and_clients_must_authenticate(google) -> None:
    code = google.store.oauth.code(ADDRESS, CLIENT, "https://www.googleapis.com/auth/gmail.modify")
    form = {"grant_type": "authorization_code", "code": code, "client_id": CLIENT,
            "client_secret": SECRET, "redirect_uri": "http://127.0.0.1/cb"}  # fmt: skip
    tokens = requests.post(f"{google.url}/token", data=form).json()
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"].startswith("1//")
    reused = requests.post(f"{google.url}/token", data=form)
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    wrong = requests.post(f"{google.url}/token", data={**form, "client_secret": "nope"})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")


def test_id_tokens_verify_with_the_published_certs(google) -> None:
    token = google.store.oauth.sign_id_token({"aud": "https://sync.test/addon", "sub": "1"})
    keys = KeySet.import_key_set(requests.get(f"{google.url}/oauth2/v3/certs").json())
    claims = jwt.decode(token, keys).claims
    assert (claims["iss"], claims["aud"]) == (
        "https://accounts.google.com",
        "https://sync.test/addon",
    )
