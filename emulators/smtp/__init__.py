"""A mail catcher: a real SMTP server (aiosmtpd) that keeps every message, and a page listing them.

Tests read :attr:`MailCatcher.messages`; the demo serves SMTP on 127.0.0.1:8125 and the list of
caught messages on http://127.0.0.1:8126/.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask, Response, abort, render_template_string

from emulators.base import Emulator


@dataclass(frozen=True)
class CaughtMail:
    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str
    received_at: datetime
    html: str | None = None
    """The HTML alternative, when the message has one."""


class _Handler:
    def __init__(self, catcher: MailCatcher) -> None:
        self._catcher = catcher

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        part = parsed.get_body(preferencelist=("plain",))
        html = parsed.get_body(preferencelist=("html",))
        self._catcher.add(
            CaughtMail(
                sender=envelope.mail_from,
                recipients=tuple(envelope.rcpt_tos),
                subject=str(parsed["Subject"] or ""),
                body=part.get_content() if part is not None else "",
                received_at=datetime.now(UTC),
                html=html.get_content() if html is not None else None,
            )
        )
        return "250 Message accepted for delivery"


class MailCatcher:
    """An SMTP server on 127.0.0.1 that keeps what it receives (thread-safe)."""

    def __init__(self) -> None:
        self._messages: list[CaughtMail] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self._port = 0

    def start(self, port: int = 0) -> MailCatcher:
        """Serve SMTP on ``port``; 0 picks a free one (aiosmtpd itself needs a fixed port)."""
        if port == 0:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        self._port = port
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def port(self) -> int:
        return self._port

    def add(self, mail: CaughtMail) -> None:
        with self._lock:
            self._messages.append(mail)

    @property
    def messages(self) -> list[CaughtMail]:
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mail catcher</title>
<style>
body { font: 14px/1.45 "Segoe UI", system-ui, sans-serif; margin: 2rem; color: #242424; }
h1 { font-size: 20px; font-weight: 600; }
article { border: 1px solid #e0e0e0; border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
.meta { color: #616161; font-size: 12px; }
pre { white-space: pre-wrap; font-family: inherit; margin: 8px 0 0; }
</style></head><body>
<h1>Mail catcher: {{ messages|length }} message(s)</h1>
{% for m in messages|reverse %}
<article><strong>{{ m.subject }}</strong>
{% if m.html %} &middot;
<a href="/messages/{{ messages|length - loop.index }}.html">as HTML</a>{% endif %}
<div class="meta">{{ m.received_at.strftime("%Y-%m-%d %H:%M:%S") }} UTC &middot;
from {{ m.sender }} &middot; to {{ m.recipients|join(", ") }}</div>
<pre>{{ m.body }}</pre></article>
{% else %}<p>Nothing was sent yet.</p>{% endfor %}
</body></html>"""


def page_app(catcher: MailCatcher) -> Emulator:
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        return render_template_string(PAGE, messages=catcher.messages)

    @app.get("/messages/<int:number>.html")
    def as_html(number: int) -> Response:
        """A message's HTML part as its recipient's mail program shows it."""
        messages = catcher.messages
        if number >= len(messages) or messages[number].html is None:
            abort(404)
        answer = Response(messages[number].html, content_type="text/html; charset=utf-8")
        answer.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return answer

    return Emulator(app)
