"""The authorization endpoint: request checks, the sign-in form, remembered sign-ins, logout."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests

from emulators.identity import IdentityEmulator
from emulators.identity.seed import DEMO_CLIENT_ID
from tests.support.identity import ANNA, BEN, REDIRECT, code_of, metadata, redirect_params, start


def _authorize(identity: IdentityEmulator, realm: str, **params: str) -> requests.Response:
    query = {
        "client_id": DEMO_CLIENT_ID,
        "redirect_uri": REDIRECT[realm],
        "response_type": "code",
        "scope": "openid email",
        "state": "s-1",
        **params,
    }
    url = f"{identity.provider.issuer(realm)}/authorize?{urlencode(query)}"
    return requests.get(url, allow_redirects=False, timeout=5)


@pytest.mark.parametrize(("realm", "title"), [("microsoft", "Microsoft"), ("google", "Google")])
def test_sign_in_page_has_the_fields_browser_tests_drive(
    identity: IdentityEmulator, realm: str, title: str
) -> None:
    page = _authorize(identity, realm)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    for marker in ('id="email"', 'id="password"', 'id="sign-in"', f"<h1>Sign in with {title}</h1>"):
        assert marker in page.text
    assert 'id="error"' not in page.text


def test_wrong_password_shows_the_form_again_with_an_error(identity: IdentityEmulator) -> None:
    flow = start(identity, "microsoft")
    answer = flow.sign_in((ANNA[0], "not-her-password"))
    assert answer.status_code == 200 and "Location" not in answer.headers
    assert 'id="error"' in answer.text and "password is incorrect" in answer.text
    assert f'value="{ANNA[0]}"' in answer.text
    assert not flow.browser.cookies


def test_users_of_one_realm_cannot_sign_in_to_the_other(identity: IdentityEmulator) -> None:
    identity.provider.add_user("google", "gina@gmail.com", "Gina Example", "gina-pw")
    answer = start(identity, "microsoft").sign_in(("gina@gmail.com", "gina-pw"))
    assert answer.status_code == 200 and 'id="error"' in answer.text
    assert code_of(start(identity, "google").sign_in(("GINA@gmail.com", "gina-pw")))


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"redirect_uri": "http://127.0.0.1:8000/evil"}, "redirect_uri_mismatch"),
        ({"redirect_uri": REDIRECT["microsoft"] + "/"}, "redirect_uri_mismatch"),
        ({"client_id": "unknown-app"}, "invalid_client"),
        ({"client_id": ""}, "invalid_request"),
    ],
)
def test_untrusted_redirect_targets_get_an_error_page(
    identity: IdentityEmulator, params: dict[str, str], code: str
) -> None:
    answer = _authorize(identity, "microsoft", **params)
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert answer.headers["Content-Type"].startswith("text/html") and code in answer.text


@pytest.mark.parametrize(
    ("realm", "params", "error"),
    [
        ("microsoft", {"response_type": "token"}, "unsupported_response_type"),
        ("google", {"response_type": "id_token"}, "unsupported_response_type"),
        ("microsoft", {"scope": "email profile"}, "invalid_scope"),
        ("google", {"scope": "email"}, "invalid_scope"),
        ("google", {"scope": "openid offline_access"}, "invalid_scope"),
        (
            "microsoft",
            {"code_challenge": "a" * 43, "code_challenge_method": "plain"},
            "invalid_request",
        ),
        ("microsoft", {"code_challenge": "a" * 43}, "invalid_request"),
        ("google", {"prompt": "none login"}, "invalid_request"),
        ("google", {"access_type": "forever"}, "invalid_request"),
        ("microsoft", {"response_mode": "fragment"}, "invalid_request"),
    ],
)
def test_bad_requests_are_reported_to_the_redirect_uri(
    identity: IdentityEmulator, realm: str, params: dict[str, str], error: str
) -> None:
    answer = _authorize(identity, realm, **params)
    assert answer.headers["Location"].startswith(REDIRECT[realm] + "?")
    found = redirect_params(answer)
    assert (found["error"], found["state"]) == (error, "s-1") and "code" not in found
    assert found["error_description"].startswith("AADSTS") is (realm == "microsoft")


def test_prompt_none_without_a_sign_in_cookie_needs_login(identity: IdentityEmulator) -> None:
    found = redirect_params(_authorize(identity, "google", prompt="none"))
    assert found["error"] == "login_required" and found["state"] == "s-1"


def test_a_signed_in_browser_is_remembered_per_realm(identity: IdentityEmulator) -> None:
    browser = requests.Session()
    first = start(identity, "microsoft", browser=browser)
    assert code_of(first.sign_in(ANNA))
    again = start(identity, "microsoft", browser=browser)
    assert code_of(browser.get(again.url, allow_redirects=False, timeout=5))
    silent = start(identity, "microsoft", browser=browser, prompt="none")
    assert code_of(browser.get(silent.url, allow_redirects=False, timeout=5))
    other_user = start(identity, "microsoft", browser=browser, prompt="none", login_hint=BEN[0])
    answer = browser.get(other_user.url, allow_redirects=False, timeout=5)
    assert redirect_params(answer)["error"] == "login_required"
    forced = start(identity, "microsoft", browser=browser, prompt="login")
    assert browser.get(forced.url, allow_redirects=False, timeout=5).status_code == 200
    google = start(identity, "google", browser=browser)
    assert browser.get(google.url, allow_redirects=False, timeout=5).status_code == 200


def test_login_hint_prefills_the_email(identity: IdentityEmulator) -> None:
    page = _authorize(identity, "google", login_hint=BEN[0])
    assert page.status_code == 200 and f'value="{BEN[0]}"' in page.text


def test_logout_forgets_the_browser_and_returns_only_to_registered_uris(
    identity: IdentityEmulator,
) -> None:
    browser = requests.Session()
    assert code_of(start(identity, "microsoft", browser=browser).sign_in(ANNA))
    logout = metadata(identity, "microsoft")["end_session_endpoint"]
    query = {"post_logout_redirect_uri": REDIRECT["microsoft"], "state": "bye"}
    answer = browser.get(logout, params=query, allow_redirects=False, timeout=5)
    assert redirect_params(answer) == {"state": "bye"}
    silent = start(identity, "microsoft", browser=browser, prompt="none")
    answer = browser.get(silent.url, allow_redirects=False, timeout=5)
    assert redirect_params(answer)["error"] == "login_required"
    query["post_logout_redirect_uri"] = "http://127.0.0.1:9/elsewhere"
    answer = browser.get(logout, params=query, allow_redirects=False, timeout=5)
    assert answer.status_code == 200 and "signed out" in answer.text
