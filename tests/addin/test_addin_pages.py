"""The task pane page and the sign-in dialog's pages: redirects, the token hand-over, headers."""

from __future__ import annotations

import re

import pytest

from backend.settings import OFFICE_JS_URL
from tests.support.web import sign_in


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"MAIL_CLIENT_ORIGINS": "http://127.0.0.1:8102"}


def test_the_dialog_signs_in_first_then_hands_over_a_working_token(app, client, anna) -> None:
    started = client.get("/addin/signin")
    assert started.status_code == 302
    assert started.headers["Location"] == "/login?next=/addin/signin/done"
    assert client.get("/addin/signin/done").status_code == 302

    sign_in(app, client, anna)
    assert client.get("/addin/signin").headers["Location"] == "/addin/signin/done"
    page = client.get("/addin/signin/done")
    text = page.get_data(as_text=True)
    [token] = re.findall(r'data-token="(ssa_[^"]+)"', text)
    assert f'<script src="{OFFICE_JS_URL}">' in text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    me = app.test_client().get("/addin/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert (me.status_code, me.json["user"]["email"]) == (200, anna.email)


def test_the_task_pane_may_be_framed_by_outlook_only_and_loads_office_js(client) -> None:
    page = client.get("/addin/taskpane")
    policy = page.headers["Content-Security-Policy"]
    assert page.status_code == 200
    ancestors = re.search(r"frame-ancestors ([^;]+)", policy).group(1).split()
    assert "https://outlook.office.com" in ancestors and "http://127.0.0.1:8102" in ancestors
    assert "*" not in ancestors
    assert "script-src 'self' https://appsforoffice.microsoft.com;" in policy
    assert "X-Frame-Options" not in page.headers
    assert f'<script src="{OFFICE_JS_URL}"></script>' in page.get_data(as_text=True)
    assert "X-Frame-Options" in client.get("/login").headers


def test_a_browser_signed_in_as_someone_else_is_asked_before_signing_out(
    app, client, anna, session
) -> None:
    sign_in(app, client, anna)
    same = client.get(f"/addin/signin?mailbox={anna.email.upper()}")
    assert same.headers["Location"] == "/addin/signin/done"
    other = client.get("/addin/signin?mailbox=ben@contoso.test")
    page = other.get_data(as_text=True)
    assert other.status_code == 200 and 'id="switch-account"' in page
    assert "ben@contoso.test" in page and anna.email in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    switched = client.post("/addin/signin/switch", data={"csrf_token": token})

    assert switched.headers["Location"] == "/login?next=/addin/signin/done"
    assert client.get("/addin/signin/done").status_code == 302  # signed out


def test_a_cross_site_get_signs_nobody_out(app, client, anna) -> None:
    sign_in(app, client, anna)
    client.get("/addin/signin?mailbox=other@x.test")
    assert client.get("/").status_code == 200
    assert client.post("/addin/signin/switch").status_code == 400, "needs the page's CSRF token"
    assert client.get("/").status_code == 200
