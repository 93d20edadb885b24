"""What an add-in API request may cost before its token is known: made-up tokens are turned
away per address after a few refusals, oversized bodies are refused, deep JSON is a 400."""

from __future__ import annotations

import pytest
from flask import request

LB, BEHIND = "10.0.0.1", ("198.51.100.10", "198.51.100.11")


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"RATE_LIMIT_REFUSED_PER_MINUTE": 3, "TRUSTED_PROXIES": LB}


def _me(client, token: str, address: str, forwarded_for: str | None = None):
    headers = {"Authorization": f"Bearer {token}"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    return client.get("/addin/api/v1/me", headers=headers, environ_base={"REMOTE_ADDR": address})


def test_a_new_made_up_token_per_request_is_throttled_per_address(client, pane) -> None:
    answers = [_me(client, f"ssa_made-up-{n}", "203.0.113.5").status_code for n in range(5)]
    assert answers == [401, 401, 401, 429, 429]
    assert _me(client, pane.token, "203.0.113.6").status_code == 200, "other addresses go on"
    assert pane.call("GET", "/me").status_code == 200


def test_people_behind_the_load_balancer_are_told_apart(client, pane) -> None:
    first = [_me(client, f"ssa_x{n}", LB, BEHIND[0]).status_code for n in range(4)]
    assert first == [401, 401, 401, 429]
    assert _me(client, pane.token, LB, BEHIND[1]).status_code == 200


def test_a_client_cannot_choose_its_own_address(client) -> None:
    """``X-Forwarded-For`` from anyone but the load balancer is ignored."""
    answers = [
        _me(client, f"ssa_x{n}", "203.0.113.5", f"192.0.2.{n}").status_code for n in range(4)
    ]
    assert answers == [401, 401, 401, 429]


def test_deep_json_is_a_bad_request(pane) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    answer = pane.call("POST", "/item/track", data=deep,
                       headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 400 and answer.json["error"] == "invalid_request"


def test_an_oversized_body_is_refused(pane) -> None:
    answer = pane.call("POST", "/item/track", data="x" * (2 * 1024 * 1024),
                       headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 413 and answer.json["error"] == "too_large"


def test_only_the_load_balancer_says_who_the_client_is_and_over_which_scheme(app) -> None:
    app.add_url_rule("/peer", "peer", lambda: f"{request.scheme} {request.remote_addr}")
    client = app.test_client()
    forwarded = {"X-Forwarded-For": BEHIND[0], "X-Forwarded-Proto": "https"}
    via_lb = client.get("/peer", headers=forwarded, environ_base={"REMOTE_ADDR": LB})
    direct = client.get("/peer", headers=forwarded, environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert via_lb.get_data(as_text=True) == f"https {BEHIND[0]}"
    assert direct.get_data(as_text=True) == "http 203.0.113.5"
