"""Sending one e-mail over SMTP with the configured server and credentials: plain text, with an
HTML alternative when there is one."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from backend.settings import Settings


class MailNotSent(Exception):
    """The SMTP server could not be reached or refused the message."""


def send_mail(
    settings: Settings, recipients: list[str], subject: str, body: str, html: str | None = None
) -> None:
    """Send ``body`` (and ``html`` as its alternative) to ``recipients``.

    Raises:
        MailNotSent: the server was unreachable or refused the message.
    """
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    with _mail_server(settings) as smtp:
        smtp.send_message(message)


def check_mail_server(settings: Settings) -> None:
    """Connect, sign in as configured and ask the server whether it is there (NOOP).

    Raises:
        MailNotSent: what went wrong.
    """
    with _mail_server(settings) as smtp:
        code, answer = smtp.noop()
        if code != 250:
            raise MailNotSent(f"the server answered NOOP with {code} {answer!r}")


@contextmanager
def _mail_server(settings: Settings) -> Iterator[smtplib.SMTP]:
    """The configured SMTP server, with STARTTLS and sign-in as set up."""
    try:
        # smtplib has one limit for connecting and for each answer of the server.
        timeout = settings.read_timeout_seconds
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            yield smtp
    except (OSError, smtplib.SMTPException) as error:
        raise MailNotSent(f"{type(error).__name__}: {error}") from error
