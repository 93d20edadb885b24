"""The Outlook add-in's pages: the task pane, and the sign-in that runs in an Office dialog.

Sign-in: the pane opens ``/addin/signin`` with ``Office.context.ui.displayDialogAsync``. The
dialog signs in with OpenID Connect like the dashboard (skipped when the browser already has a
session), then ``/addin/signin/done`` issues an add-in token and hands it to the pane with
``Office.context.ui.messageParent``. The pane keeps the token, not a cookie: Outlook's panes
may not share cookies with a dialog, and a token can be scoped, short and revoked.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import Blueprint, Response, g, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from backend.addin.item_status import ADDIN_VERSION
from backend.addin.manifest import render_manifest
from backend.addin.texts import pane_texts
from backend.auth import addin_tokens
from backend.extensions import db_session, resources
from backend.web.access import me, signed_in
from backend.web.security import framed_by_mail_clients, origin

addin = Blueprint("addin", __name__, url_prefix="/addin")
F = TypeVar("F", bound=Callable[..., object])


def loads_office_js(view: F) -> F:
    """Let this page load Office.js from where the settings say (Microsoft's CDN)."""

    @wraps(view)
    def wrapper(*args: object, **kwargs: object) -> object:
        g.script_origins = (origin(resources().settings.office_js_url),)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _page(template: str, **values: object) -> str:
    return render_template(
        template,
        office_js_url=resources().settings.office_js_url,
        addin_version=ADDIN_VERSION,
        **values,
    )


@addin.get("/taskpane")
@framed_by_mail_clients
@loads_office_js
def taskpane() -> str:
    return _page(
        "addin/taskpane.html",
        api_base=url_for("addin_api.version").rsplit("/", 1)[0],
        pane_texts=pane_texts(),
    )


@addin.get("/manifest.xml")
def manifest() -> Response:
    """The manifest for this deployment's public base URL, to sideload or upload."""
    settings = resources().settings
    text = render_manifest(settings.public_base_url, require_https=settings.is_production)
    return Response(text, mimetype="application/xml")


@addin.get("/signin")
def signin() -> Response | str:
    """Start of the Office dialog: sign in unless the browser already is, as the mailbox's
    owner (``?mailbox=`` from Office.js), then hand a token.

    A browser signed in as someone else (a colleague's dashboard session on a shared machine)
    is asked whether to sign in as the mailbox's owner instead: signing out is a ``POST`` of
    that page (with its CSRF token), never this ``GET``, which any site could make a browser
    send.
    """
    done = url_for("addin.signin_done")
    expected = request.args.get("mailbox", "").strip().lower()
    if current_user.is_authenticated:
        if not expected or current_user.email.lower() == expected:
            return redirect(done)
        return _page("addin/signin_switch.html", mailbox=expected)
    return redirect(url_for("auth.login", next=done))


@addin.post("/signin/switch")
def signin_switch() -> Response:
    """Sign this browser out, then in again as the mailbox's owner."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login", next=url_for("addin.signin_done")))


@addin.get("/signin/done")
@signed_in
@loads_office_js
def signin_done() -> str:
    session = db_session()
    issued = addin_tokens.issue(session, me(), "outlook", resources().settings.addin_token_minutes)
    session.commit()
    return _page("addin/signin_done.html", issued=issued)
