"""No secret reaches a log, even at DEBUG: a real Exchange sync with Basic auth (and C4C's
Basic auth), and Graph and Gmail with bearer tokens, logged at DEBUG with the HTTP libraries'
own loggers forced to DEBUG too."""

from __future__ import annotations

import base64
import logging

import pytest

from backend.logs import QUIET_LIBRARIES, REDACTED, redact
from backend.models.run import RunOutcome
from tests.support.world import (
    ADDRESS,
    C4C_PASSWORD,
    C4C_USER,
    GRAPH_TOKEN,
    PASSWORD,
    TOKEN,
    both_mail_systems,
)

SECRETS = {
    "exchange": (PASSWORD, base64.b64encode(f"{ADDRESS}:{PASSWORD}".encode()).decode()),
    "graph": (GRAPH_TOKEN,),
    "gmail": (TOKEN,),
}
C4C_SECRETS = (C4C_PASSWORD, base64.b64encode(f"{C4C_USER}:{C4C_PASSWORD}".encode()).decode())


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return {**app_config, "LOG_LEVEL": "DEBUG"}


@both_mail_systems
def test_a_sync_logged_at_debug_shows_no_credential(kind, sync_now, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    logged = caplog.text
    for secret in (*SECRETS[kind], *C4C_SECRETS):
        assert secret not in logged
    for name in QUIET_LIBRARIES:
        assert logging.getLogger(name).getEffectiveLevel() >= logging.INFO, name


@both_mail_systems
def test_the_http_libraries_forced_to_debug_are_redacted(kind, sync_now, caplog) -> None:
    """Their request logs carry ``Authorization`` headers: the values never get through."""
    caplog.set_level(logging.DEBUG)
    for name in QUIET_LIBRARIES:
        caplog.set_level(logging.DEBUG, logger=name)
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    logged = caplog.text
    for secret in (*SECRETS[kind], *C4C_SECRETS):
        assert secret not in logged
    if kind == "exchange":
        assert f"Authorization': 'Basic {REDACTED}" in logged, "exchangelib logged its headers"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Basic YW5uYTpwdw==", f"Authorization: Basic {REDACTED}"),
        ("{'Authorization': 'Bearer ya29.abc', 'Accept': '*/*'}",
         f"{{'Authorization': 'Bearer {REDACTED}', 'Accept': '*/*'}}"),
        ("authorization=NTLM TlRMTVNT", f"authorization=NTLM {REDACTED}"),
        ("POST /token grant_type=refresh_token&refresh_token=1//0g&client_secret=s3",
         f"POST /token grant_type=refresh_token&refresh_token={REDACTED}"
         f"&client_secret={REDACTED}"),
        ('{"access_token": "at.1", "token_type": "Bearer", "id_token": "ey.J"}',
         f'{{"access_token": "{REDACTED}", "token_type": "Bearer", "id_token": "{REDACTED}"}}'),
        ("password=hunter2 user=anna", f"password={REDACTED} user=anna"),
        ("x-csrf-token: Fetch", f"x-csrf-token: {REDACTED}"),
        ("X-Goog-Gmail-Access-Token: ya29.g", f"X-Goog-Gmail-Access-Token: {REDACTED}"),
        ("sync run mailbox=12 updated 3", "sync run mailbox=12 updated 3"),
        ('"GET /invitation/Zm9vYmFyYmF6cXV4LXF1dXgtMTIz HTTP/1.1" 302',
         f'"GET /invitation/{REDACTED} HTTP/1.1" 302'),
        ("GET /invitation/welcome", "GET /invitation/welcome"),
    ],
)  # fmt: skip
def test_redaction(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_a_traceback_is_redacted_too(app, caplog) -> None:
    caplog.set_level(logging.INFO)
    try:
        raise RuntimeError("refused: Authorization: Bearer secret-token-1")
    except RuntimeError:
        logging.getLogger("backend.test").exception("password=%s failed", "hunter2")
    assert "secret-token-1" not in caplog.text and "hunter2" not in caplog.text
    assert f"Bearer {REDACTED}" in caplog.text
