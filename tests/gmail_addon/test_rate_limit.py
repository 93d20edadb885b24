"""The add-on's requests are rate limited per user ID token, before anything else is checked."""

from __future__ import annotations

import pytest

from tests.support.cards import PUBLIC, GmailHost, addon_settings


@pytest.fixture
def app_config(google) -> dict[str, object]:
    return {**addon_settings(google), "RATE_LIMIT_PER_MINUTE": 3}


def test_a_user_token_gets_its_own_budget(gmail: GmailHost) -> None:
    event = gmail.event()
    answers = [gmail.post(f"{PUBLIC}/gmail-addon/home", event).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    kim = GmailHost(gmail.client, gmail.google, "kim@contoso.test")
    assert kim.post(f"{PUBLIC}/gmail-addon/home", kim.event()).status_code == 200
