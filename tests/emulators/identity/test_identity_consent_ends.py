"""Consents that end: Google says how long a time-limited consent has left
(``refresh_token_expires_in``) on every token answer, and refuses its refresh token after;
an app whose consent screen is in testing gets seven days. Microsoft's answers never say it."""

from __future__ import annotations

import pytest
import requests

from emulators.identity import IdentityEmulator
from emulators.identity.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.support.clock import Clock
from tests.support.identity import ANNA, signed_in

DAY = 86400


def refresh(identity: IdentityEmulator, realm: str, token: str) -> requests.Response:
    return requests.post(
        identity.provider.issuer(realm) + "/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET), timeout=5,
    )  # fmt: skip


def test_a_time_limited_google_consent_says_what_it_has_left_then_ends(
    identity: IdentityEmulator, clock: Clock
) -> None:
    identity.provider.limit_consent("google", ANNA[0], 3 * DAY)
    _flow, token = signed_in(identity, "google")
    assert token["refresh_token_expires_in"] == 3 * DAY
    clock.advance(DAY)
    answer = refresh(identity, "google", token["refresh_token"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["refresh_token_expires_in"] == 2 * DAY, "what is left, not the grant"
    clock.advance(2 * DAY)
    ended = refresh(identity, "google", token["refresh_token"])
    assert (ended.status_code, ended.json()["error"]) == (400, "invalid_grant")


def test_a_consent_without_limit_says_nothing_of_an_end(identity: IdentityEmulator) -> None:
    _flow, token = signed_in(identity, "google")
    assert "refresh_token_expires_in" not in token
    answer = refresh(identity, "google", token["refresh_token"]).json()
    assert "refresh_token_expires_in" not in answer


def test_an_app_in_testing_gets_seven_days(identity: IdentityEmulator, clock: Clock) -> None:
    client = identity.provider.directory.client("google", DEMO_CLIENT_ID)
    assert client is not None
    testing = identity.provider.register_client(
        "google", DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, client.redirect_uris, testing=True
    )
    try:
        _flow, token = signed_in(identity, "google")
        assert token["refresh_token_expires_in"] == 7 * DAY
        clock.advance(7 * DAY)
        assert refresh(identity, "google", token["refresh_token"]).status_code == 400
    finally:
        identity.provider.register_client(
            "google", DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, testing.redirect_uris
        )


def test_microsoft_never_says_when_a_refresh_token_ends(identity: IdentityEmulator) -> None:
    identity.provider.limit_consent("microsoft", ANNA[0], 3 * DAY)
    _flow, token = signed_in(identity, "microsoft")
    assert "refresh_token_expires_in" not in token


def test_a_seeded_consent_is_refreshed_with_its_known_token(
    identity: IdentityEmulator, clock: Clock
) -> None:
    identity.provider.limit_consent("google", ANNA[0], 3 * DAY)
    identity.provider.seed_consent(
        "google", DEMO_CLIENT_ID, ANNA[0], ["openid", "email"], "rt.seeded-anna"
    )
    answer = refresh(identity, "google", "rt.seeded-anna")
    assert answer.status_code == 200, answer.text
    assert answer.json()["refresh_token_expires_in"] == 3 * DAY
    with pytest.raises(ValueError):
        identity.provider.seed_consent("google", DEMO_CLIENT_ID, "nobody@x.test", [], "rt.x")
