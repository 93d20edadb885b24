"""The mail catcher: a real SMTP server that keeps what it gets, plain text and HTML parts, and
a page that lists the messages and opens an HTML part as a mail program would (its own styles
only, no scripts, nothing fetched)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import requests

from emulators.smtp import MailCatcher, page_app


def send(catcher: MailCatcher, subject: str, html: str | None = None) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@x.test", "b@x.test", subject
    message.set_content("plain words")
    if html is not None:
        message.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", catcher.port, timeout=5) as smtp:
        smtp.send_message(message)


def test_html_parts_are_kept_and_shown_alone() -> None:
    catcher = MailCatcher().start()
    page = page_app(catcher).start()
    try:
        send(catcher, "Text only")
        send(catcher, "With HTML", "<h1>Hello</h1><script>alert(1)</script>")
        first, second = catcher.messages
        assert (first.body.strip(), first.html) == ("plain words", None)
        assert second.body.strip() == "plain words" and "<h1>Hello</h1>" in (second.html or "")
        listing = requests.get(f"{page.url}/", timeout=5).text
        assert listing.count("as HTML") == 1 and 'href="/messages/1.html"' in listing
        shown = requests.get(f"{page.url}/messages/1.html", timeout=5)
        assert shown.status_code == 200 and "<h1>Hello</h1>" in shown.text
        policy = shown.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script" not in policy
        for missing in ("/messages/0.html", "/messages/7.html", "/messages/-1.html"):
            assert requests.get(f"{page.url}{missing}", timeout=5).status_code == 404
    finally:
        page.stop()
        catcher.stop()
