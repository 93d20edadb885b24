"""What an add-on request may cost before Google vouches for it: no body is read before the
system ID token (a header) checks out, a body larger than MAX_REQUEST_BYTES is refused at once,
JSON too deep or broken is a 400, and callers that are not Google are turned away per address
after a few refusals. Once Google vouches for a user, the user has their own budget."""

from __future__ import annotations

import json

import pytest

from tests.support.cards import PUBLIC, GmailHost, RenderActions, addon_settings

HOME = f"{PUBLIC}/gmail-addon/home"
DEEP = "[" * 50_000 + "]" * 50_000


@pytest.fixture
def app_config(google) -> dict[str, object]:
    return {**addon_settings(google), "RATE_LIMIT_PER_MINUTE": 3,
            "RATE_LIMIT_REFUSED_PER_MINUTE": 3}  # fmt: skip


def _raw(gmail: GmailHost, body: str | bytes, *, signed: bool, address: str = "203.0.113.9"):
    headers = {"Content-Type": "application/json"}
    if signed:
        headers["Authorization"] = f"Bearer {gmail.host.system_token(HOME)}"
    return gmail.client.post("/gmail-addon/home", data=body, headers=headers,
                             environ_base={"REMOTE_ADDR": address})  # fmt: skip


def test_a_user_token_gets_its_own_budget(gmail: GmailHost) -> None:
    event = gmail.event()
    answers = [gmail.post(HOME, event) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200], (
        "Gmail shows its own generic error for anything but 200: the limit is said in a card"
    )
    limited = RenderActions.model_validate(answers[3].get_json()).action
    assert limited.navigations is None
    assert limited.notification.text.startswith("Too many clicks")
    assert all(a.get_json()["action"].get("navigations") for a in answers[:3])
    kim = GmailHost(gmail.client, gmail.google, "kim@contoso.test")
    assert kim.post(HOME, kim.event()).status_code == 200


def test_an_oversized_body_is_refused_before_anything_reads_it(gmail: GmailHost) -> None:
    event = gmail.event()
    event["padding"] = "x" * (8 * 1024 * 1024)
    body = json.dumps(event)
    for signed in (False, True):
        answer = _raw(gmail, body, signed=signed)
        assert answer.status_code == 413, signed
        assert answer.get_json()["error"] == "too_large"


def test_deep_json_is_refused_as_bad_request_never_a_server_error(gmail: GmailHost) -> None:
    assert _raw(gmail, DEEP, signed=False).status_code == 401, "the body is not even read"
    answer = _raw(gmail, DEEP, signed=True)
    assert answer.status_code == 400 and answer.get_json()["error"] == "bad_request"


@pytest.mark.parametrize("body", ["{", "[]", "null", '"event"'])
def test_broken_json_or_not_an_object_is_a_bad_request(gmail: GmailHost, body: str) -> None:
    assert _raw(gmail, body, signed=True).status_code == 400


def test_callers_that_are_not_google_are_turned_away_after_a_few_refusals(
    gmail: GmailHost,
) -> None:
    event = gmail.event()
    answers = [
        gmail.client.post("/gmail-addon/home", json=event,
                          headers={"Authorization": f"Bearer forged-{n}"},
                          environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code
        for n in range(5)
    ]  # fmt: skip
    assert answers == [401, 401, 401, 429, 429]
    assert gmail.post(HOME, event).status_code == 200, "another address (Google) goes on"


def test_refusals_of_people_google_vouches_for_never_block_googles_address(
    gmail: GmailHost,
) -> None:
    """Every call comes from Google: a domain's users who are not set up here must not lock
    everyone else out."""
    stranger = GmailHost(gmail.client, gmail.google, "stranger@contoso.test")
    assert [stranger.post(HOME, stranger.event()).status_code for _ in range(5)] == [401] * 5
    assert gmail.post(HOME, gmail.event()).status_code == 200
