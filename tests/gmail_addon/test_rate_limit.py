"""The add-on's requests are rate limited per user ID token, before anything else is checked."""

from __future__ import annotations

import pytest

from tests.support.cards import PUBLIC, GmailHost, RenderActions, addon_settings


@pytest.fixture
def app_config(google) -> dict[str, object]:
    return {**addon_settings(google), "RATE_LIMIT_PER_MINUTE": 3}


def test_a_user_token_gets_its_own_budget(gmail: GmailHost) -> None:
    event = gmail.event()
    answers = [gmail.post(f"{PUBLIC}/gmail-addon/home", event) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200], (
        "Gmail shows its own generic error for anything but 200: the limit is said in a card"
    )
    limited = RenderActions.model_validate(answers[3].get_json()).action
    assert limited.navigations is None
    assert limited.notification.text.startswith("Too many clicks")
    assert all(a.get_json()["action"].get("navigations") for a in answers[:3])
    kim = GmailHost(gmail.client, gmail.google, "kim@contoso.test")
    assert kim.post(f"{PUBLIC}/gmail-addon/home", kim.event()).status_code == 200
