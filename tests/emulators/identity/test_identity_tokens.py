"""The token, userinfo, revocation and introspection endpoints, and how tokens end."""

from __future__ import annotations

import pytest
import requests

from emulators.identity import IdentityEmulator
from emulators.identity.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.support.clock import Clock
from tests.support.identity import (
    REDIRECT,
    Flow,
    bearer,
    code_of,
    signed_in,
    start,
    verify_id_token,
)

AUTH = (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)


def _error(answer: requests.Response, status: int = 400) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.json()["error"]


def _code_request(flow: Flow, code: str, /, **form: str) -> requests.Response:
    base = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT[flow.realm]}
    if flow.verifier:
        base["code_verifier"] = flow.verifier
    return flow.token_request(**{**base, **form})


def _userinfo(flow: Flow, access_token: str) -> requests.Response:
    return requests.get(flow.meta["userinfo_endpoint"], headers=bearer(access_token), timeout=5)


def _introspect(flow: Flow, token: str) -> dict[str, object]:
    answer = requests.post(
        flow.meta["introspection_endpoint"], data={"token": token}, auth=AUTH, timeout=5
    )
    assert answer.status_code == 200
    return answer.json()


@pytest.mark.parametrize("realm", ["microsoft", "google"])
def test_wrong_client_secret_is_invalid_client(identity: IdentityEmulator, realm: str) -> None:
    flow = start(identity, realm)
    answer = _code_request(flow, code_of(flow.sign_in()))
    assert answer.status_code == 200
    other = start(identity, realm, secret="wrong")
    answer = requests.post(
        other.meta["token_endpoint"],
        data={"grant_type": "authorization_code", "code": code_of(other.sign_in()),
              "redirect_uri": REDIRECT[realm], "code_verifier": other.verifier},
        auth=(DEMO_CLIENT_ID, "wrong"), timeout=5,
    )  # fmt: skip
    assert _error(answer, 401) == "invalid_client"
    assert answer.headers["WWW-Authenticate"].startswith("Basic ")
    assert ("error_codes" in answer.json()) is (realm == "microsoft")


def test_client_secret_post_is_accepted_but_not_together_with_basic(
    identity: IdentityEmulator,
) -> None:
    flow = start(identity, "google", auth_method="client_secret_post")
    assert flow.exchange(code_of(flow.sign_in()))["access_token"]
    flow = start(identity, "google")
    both = _code_request(flow, code_of(flow.sign_in()), client_id=DEMO_CLIENT_ID,
                         client_secret=DEMO_CLIENT_SECRET)  # fmt: skip
    assert _error(both) == "invalid_request"
    anonymous = requests.post(
        flow.meta["token_endpoint"], data={"grant_type": "refresh_token"}, timeout=5
    )
    assert _error(anonymous, 401) == "invalid_client"


def test_a_reused_code_fails_and_revokes_what_it_gave(identity: IdentityEmulator) -> None:
    flow = start(identity, "microsoft", scope="openid offline_access")
    code = code_of(flow.sign_in())
    first = _code_request(flow, code).json()
    assert _userinfo(flow, first["access_token"]).status_code == 200
    assert _error(_code_request(flow, code)) == "invalid_grant"
    assert _userinfo(flow, first["access_token"]).status_code == 401
    assert not identity.provider.is_token_active(first["refresh_token"])


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"code_verifier": "x" * 43}, "invalid_grant"),
        ({"code_verifier": ""}, "invalid_request"),
        ({"redirect_uri": REDIRECT["microsoft"] + "?x=1"}, "invalid_grant"),
        ({"redirect_uri": ""}, "invalid_request"),
        ({"code": "made-up"}, "invalid_grant"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
    ],
)
def test_code_exchange_checks_everything(
    identity: IdentityEmulator, form: dict[str, str], error: str
) -> None:
    flow = start(identity, "microsoft")
    assert _error(_code_request(flow, code_of(flow.sign_in()), **form)) == error


def test_a_verifier_without_a_challenge_is_refused(identity: IdentityEmulator) -> None:
    flow = start(identity, "google", pkce=False)
    answer = _code_request(flow, code_of(flow.sign_in()), code_verifier="v" * 43)
    assert _error(answer) == "invalid_grant"


def test_codes_only_work_in_their_own_realm(identity: IdentityEmulator) -> None:
    google = start(identity, "google")
    microsoft = start(identity, "microsoft")
    answer = _code_request(microsoft, code_of(google.sign_in()), code_verifier=google.verifier)
    assert _error(answer) == "invalid_grant"


def test_codes_expire_after_a_minute(identity: IdentityEmulator, clock: Clock) -> None:
    flow = start(identity, "google")
    code = code_of(flow.sign_in())
    clock.advance(61)
    assert _error(_code_request(flow, code)) == "invalid_grant"


def test_access_tokens_expire_after_an_hour(identity: IdentityEmulator, clock: Clock) -> None:
    flow, token = signed_in(identity, "microsoft")
    clock.advance(3599)
    assert _userinfo(flow, token["access_token"]).status_code == 200
    clock.advance(2)
    answer = _userinfo(flow, token["access_token"])
    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    assert _introspect(flow, token["access_token"]) == {"active": False}
    assert not identity.provider.is_token_active(token["access_token"])
    assert identity.provider.is_token_active(token["refresh_token"])


def test_userinfo_without_a_token_is_unauthorized(identity: IdentityEmulator) -> None:
    flow = start(identity, "google")
    answer = requests.get(flow.meta["userinfo_endpoint"], timeout=5)
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer ")


def test_microsoft_rotates_refresh_tokens_and_sends_a_new_id_token(
    identity: IdentityEmulator, clock: Clock
) -> None:
    flow, token = signed_in(identity, "microsoft")
    clock.advance(600)
    refreshed = flow.token_request(grant_type="refresh_token", refresh_token=token["refresh_token"])
    body = refreshed.json()
    assert refreshed.status_code == 200 and body["refresh_token"] != token["refresh_token"]
    _, claims = verify_id_token(flow.meta, body["id_token"], nonce=None, now=clock.now)
    assert claims["iat"] == int(clock.now) and "nonce" not in claims
    assert _userinfo(flow, body["access_token"]).status_code == 200
    again = flow.token_request(grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert _error(again) == "invalid_grant"


def test_google_keeps_its_refresh_token(identity: IdentityEmulator) -> None:
    flow, token = signed_in(identity, "google")
    for _ in range(2):
        answer = flow.token_request(
            grant_type="refresh_token", refresh_token=token["refresh_token"]
        )
        body = answer.json()
        assert answer.status_code == 200 and set(body) == {
            "access_token", "token_type", "expires_in", "scope"
        }  # fmt: skip
    wider = flow.token_request(grant_type="refresh_token", refresh_token=token["refresh_token"],
                               scope="openid email profile https://mail.google.com/")  # fmt: skip
    assert _error(wider) == "invalid_scope"


@pytest.mark.parametrize("realm", ["microsoft", "google"])
def test_refresh_tokens_only_for_offline_access(identity: IdentityEmulator, realm: str) -> None:
    flow = start(identity, realm, scope="openid email")
    assert "refresh_token" not in flow.exchange(code_of(flow.sign_in()))


@pytest.mark.parametrize("realm", ["microsoft", "google"])
def test_revoking_the_refresh_token_ends_the_sign_in(
    identity: IdentityEmulator, realm: str
) -> None:
    flow, token = signed_in(identity, realm)
    assert _introspect(flow, token["access_token"])["active"] is True
    answer = requests.post(
        flow.meta["revocation_endpoint"],
        data={"token": token["refresh_token"], "token_type_hint": "refresh_token"},
        auth=AUTH, timeout=5,
    )  # fmt: skip
    assert answer.status_code == 200 and answer.text == ""
    assert _userinfo(flow, token["access_token"]).status_code == 401
    refresh = flow.token_request(grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert _error(refresh) == "invalid_grant"
    assert _introspect(flow, token["access_token"]) == {"active": False}
    assert _introspect(flow, token["refresh_token"]) == {"active": False}


def test_revocation_needs_client_auth_except_at_google(identity: IdentityEmulator) -> None:
    microsoft, ms_token = signed_in(identity, "microsoft")
    endpoint = microsoft.meta["revocation_endpoint"]
    answer = requests.post(endpoint, data={"token": ms_token["access_token"]}, timeout=5)
    assert _error(answer, 401) == "invalid_client"
    answer = requests.post(
        endpoint, data={"token": ms_token["access_token"]}, auth=(DEMO_CLIENT_ID, "x"), timeout=5
    )
    assert _error(answer, 401) == "invalid_client"
    assert identity.provider.is_token_active(ms_token["access_token"])
    unknown = requests.post(endpoint, data={"token": "never-issued"}, auth=AUTH, timeout=5)
    assert unknown.status_code == 200 and unknown.text == ""
    google, token = signed_in(identity, "google")
    answer = requests.post(
        google.meta["revocation_endpoint"], data={"token": token["access_token"]}, timeout=5
    )
    assert answer.status_code == 200
    assert not identity.provider.is_token_active(token["refresh_token"])


def test_introspection_describes_active_tokens_to_their_client(identity: IdentityEmulator) -> None:
    flow, token = signed_in(identity, "google")
    found = _introspect(flow, token["access_token"])
    assert found["active"] is True and found["client_id"] == DEMO_CLIENT_ID
    assert found["username"] == "anna.sales@contoso.test" and found["token_type"] == "Bearer"
    assert found["iss"] == identity.provider.issuer("google")
    answer = requests.post(
        flow.meta["introspection_endpoint"],
        data={"token": token["access_token"]},
        auth=(DEMO_CLIENT_ID, "wrong"),
        timeout=5,
    )
    assert _error(answer, 401) == "invalid_client"
