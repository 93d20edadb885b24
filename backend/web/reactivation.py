"""Re-activation: a user grants access to their mailbox again after it stopped or was revoked.

Exchange Server mailboxes reached with the user's own password get it again, checked against the
server before it is stored. Mailboxes reached with OAuth tokens run the provider's consent again
(the same sign-in provider, asking for offline access to the mailbox).
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.base_client.errors import OAuthError
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from backend.actions import mailbox as mailbox_actions
from backend.auth.credentials import ACCESS_ENDS, mailbox_credentials
from backend.auth.directories import directory_of, verified_email
from backend.auth.signin import authorize_access_token, oauth_client
from backend.extensions import db_session, resources
from backend.jobs.schedule import enqueue_now
from backend.models import Mailbox, Tenant
from backend.models.mailbox import HealthStatus, Provider
from backend.models.tenant import ExchangeSignIn
from backend.models.types import IssueCode
from backend.presenters import awaits_connection
from backend.storage.db import utcnow
from backend.sync.connect import classify_mailbox_error, provider_with
from backend.sync.errors import SyncError
from backend.web.access import me, my_mailbox, my_tenant, signed_in
from backend.web.security import limiter

reactivation = Blueprint("reactivation", __name__, url_prefix="/reactivate")

MAILBOX_SCOPES = {
    Provider.EXCHANGE: "openid email offline_access "
    "https://outlook.office365.com/EWS.AccessAsUser.All",
    Provider.GRAPH: "openid email offline_access Mail.ReadWrite Contacts.ReadWrite "
    "Calendars.ReadWrite Tasks.ReadWrite MailboxSettings.ReadWrite",
    Provider.GMAIL: "openid email https://mail.google.com/ "
    "https://www.googleapis.com/auth/contacts https://www.googleapis.com/auth/calendar "
    "https://www.googleapis.com/auth/tasks",
}
"""What the consent asks for, by the mailbox's mail system (Graph's master categories need
MailboxSettings)."""
OAUTH_PROVIDER_OF = {Provider.GRAPH: "microsoft", Provider.GMAIL: "google"}


def _mailbox() -> Mailbox:
    mailbox = my_mailbox()
    if mailbox is None:
        abort(404)
    return mailbox


def _oauth_provider(mailbox: Mailbox) -> str | None:
    """The sign-in provider whose consent grants this mailbox's access, if it uses tokens."""
    stored = mailbox_credentials(mailbox, resources().cipher) or {}
    return stored.get("provider") or OAUTH_PROVIDER_OF.get(mailbox.provider)


@reactivation.get("/")
@signed_in
def form() -> str:
    mailbox = _mailbox()
    return render_template(
        "dashboard/reactivate.html", mailbox=mailbox, oauth_provider=_oauth_provider(mailbox),
        windows=_windows_sign_in(),
    )  # fmt: skip


@reactivation.post("/")
@signed_in
@limiter.limit("10 per minute")
def with_password() -> str | Response | tuple[str, int]:
    mailbox, tenant = _mailbox(), my_tenant()
    password = request.form.get("password", "")
    username = request.form.get("username", "").strip() or mailbox.address
    credentials: dict[str, Any] = {"username": username, "password": password}
    problem = None
    if not password:
        problem = _("Enter your mailbox password.")
    else:
        problem = _check(tenant, mailbox, credentials)
    if problem:
        page = render_template(
            "dashboard/reactivate.html", mailbox=mailbox, oauth_provider=None,
            problem=problem, username=username, windows=_windows_sign_in(),
        )  # fmt: skip
        return page, 422
    _connect(mailbox, credentials)
    return redirect(url_for("dashboard.home"))


def _windows_sign_in() -> bool:
    """Whether the company's Exchange signs mailboxes in with Windows (NTLM) user names."""
    return my_tenant().config.exchange_sign_in is ExchangeSignIn.NTLM


def _connect(mailbox: Mailbox, credentials: dict[str, Any]) -> None:
    """Store the credentials (checked), queue the run at once and say so."""
    session, found = db_session(), resources()
    first = awaits_connection(mailbox)
    mailbox_actions.reactivate(session, mailbox, me(), found.cipher, credentials)
    session.commit()
    if mailbox.status is not HealthStatus.PAUSED:
        enqueue_now(session, found, mailbox, utcnow())
    if first:
        flash(_("Your mailbox is connected. Synchronization starts now."), "success")
    else:
        flash(_("Your mailbox is connected again. Synchronization starts now."), "success")


def _check(tenant: Tenant, mailbox: Mailbox, credentials: dict[str, Any]) -> str | None:
    """Try the credentials against the mail server; a sentence for the user if they fail."""
    try:
        provider_with(tenant, mailbox, credentials, resources().settings).activate()
    except SyncError as error:
        return error.classification.message
    except Exception as error:  # any failure of the server is the user's answer
        code = classify_mailbox_error(mailbox, error)
        if code.code is IssueCode.AUTH:
            return _("The mail server did not accept this user name and password.")
        return _(
            "The mail server could not be reached (%(reason)s). Try again later.",
            reason=code.message,
        )
    return None


@reactivation.post("/consent")
@signed_in
def consent() -> Response:
    mailbox = _mailbox()
    provider = _oauth_provider(mailbox)
    if provider is None:
        return redirect(url_for("reactivation.form"))
    client = oauth_client(provider)
    extra = {"access_type": "offline", "prompt": "consent"} if provider == "google" else {}
    return client.authorize_redirect(
        url_for("reactivation.callback", name=provider, _external=True),
        scope=MAILBOX_SCOPES[mailbox.provider],
        login_hint=mailbox.address,
        **extra,
    )


@reactivation.get("/callback/<name>")
@signed_in
def callback(name: str) -> Response:
    mailbox = _mailbox()
    if _oauth_provider(mailbox) != name:
        flash(_("That consent was for another provider."), "error")
        return redirect(url_for("reactivation.form"))
    try:
        token = authorize_access_token(oauth_client(name))
    except OAuthError as error:
        flash(
            _("Access was not granted: %(reason)s", reason=error.description or error.error),
            "error",
        )
        return redirect(url_for("reactivation.form"))
    except JoseError:
        flash(_("The sign-in provider's answer could not be checked. Try again."), "error")
        return redirect(url_for("reactivation.form"))
    claims = token.get("userinfo") or {}
    from_company = my_tenant().config.allows_directory(name, directory_of(name, claims))
    if verified_email(name, claims) != mailbox.address or not from_company:
        flash(
            _("Sign in as %(address)s to grant access to that mailbox.", address=mailbox.address),
            "error",
        )
        return redirect(url_for("reactivation.form"))
    credentials = {
        "kind": "oauth",
        "provider": name,
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
        "expires_at": token.get("expires_at"),
        "scope": token.get("scope"),
    }
    lasts = token.get("refresh_token_expires_in")
    if isinstance(lasts, int | float) and not isinstance(lasts, bool) and lasts > 0:
        # A time-limited consent: the refresh token ends then, whatever the sync does.
        credentials[ACCESS_ENDS] = int(utcnow().timestamp() + lasts)
    _connect(mailbox, credentials)
    return redirect(url_for("dashboard.home"))
