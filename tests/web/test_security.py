"""Response headers: pages are framed only where a mail client must show them."""

from __future__ import annotations

from cryptography.fernet import Fernet

from backend import create_app
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


def test_production_answers_tell_browsers_to_use_https_only(
    database_url, redis_url, tmp_path, monkeypatch
) -> None:
    for name, value in {
        "SSI_ENV": "production", "SECRET_KEY": "s" * 32, "DATABASE_URL": database_url,
        "REDIS_URL": redis_url, "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "INSTANCE_PATH": str(tmp_path), "PUBLIC_BASE_URL": "https://sync.example.com",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    app = create_app()
    client = app.test_client()
    for path in ("/login", "/healthz", "/addin/api/v1/version", "/no-such-page"):
        assert client.get(path).headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains"
        ), path
    app.extensions["ssi"].engine.dispose()


def test_development_over_plain_http_sends_no_hsts(client) -> None:
    assert "Strict-Transport-Security" not in client.get("/login").headers
