"""Response headers: pages are framed only where a mail client must show them."""

from __future__ import annotations

from backend.web.security import MAIL_CLIENT_HOSTS, framed_by_mail_clients


def test_a_page_marked_for_mail_clients_may_be_framed_by_them_only(app) -> None:
    app.add_url_rule("/pane", "pane", framed_by_mail_clients(lambda: "task pane"))
    answer = app.test_client().get("/pane")
    policy = answer.headers["Content-Security-Policy"]
    ancestors = policy.split("frame-ancestors ", 1)[1].split(";")[0].split()
    assert ancestors == list(MAIL_CLIENT_HOSTS)
    assert "X-Frame-Options" not in answer.headers
    other = app.test_client().get("/login")
    assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]
    assert other.headers["X-Frame-Options"] == "DENY"


def test_forms_may_post_only_here_and_to_the_sign_in_providers(app, identity_service) -> None:
    policy = app.test_client().get("/login").headers["Content-Security-Policy"]
    targets = policy.split("form-action ", 1)[1].split(";")[0].split()
    assert targets == ["'self'", identity_service.url]
