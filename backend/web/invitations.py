"""Opening an invitation: the link from the e-mail, sign-in, then connecting the mailbox.

- ``GET /invitation/<secret>``: a usable link shows whom it invites to which company and a
  "Sign in" button; the invitation is remembered in this browser's session. An unknown link is
  404, a used, expired or withdrawn one 410, each with what to do in plain words.
- ``GET /invitation/welcome`` (signed in): the invitation is used once, by its own user only
  (signed in as someone else: 403, and it stays usable), audited, and the user goes on to
  connect their mailbox, or to the dashboard where the company's grant already opens it.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask import session as web_session
from flask_login import current_user
from werkzeug.wrappers import Response

from backend import presenters
from backend.extensions import db_session
from backend.models import Invitation, Tenant, User
from backend.models.audit import record_audit
from backend.storage.db import utcnow
from backend.tenants import invitations
from backend.web.access import me, my_mailbox, signed_in
from backend.web.security import limiter

invitation = Blueprint("invitation", __name__, url_prefix="/invitation")

SESSION_KEY = "invitation"


def _problem(found: Invitation | None, user: User | None) -> tuple[str, int] | None:
    """Why the invitation cannot be used, and the HTTP status saying so."""
    if found is None or user is None:
        return "unknown", 404
    if user.removed_at is not None:
        return "withdrawn", 410
    if found.used_at is not None:
        return "used", 410
    if not found.usable(utcnow()):
        return "expired", 410
    return None


def _page(reason: str, status: int, found: Invitation | None = None) -> tuple[str, int]:
    return render_template("invitation.html", reason=reason, invitation=found), status


@invitation.get("/<secret>")
@limiter.limit("20 per minute")
def open_link(secret: str) -> str | Response | tuple[str, int]:
    session = db_session()
    found = invitations.find(session, secret)
    user = session.get(User, found.user_id) if found is not None else None
    problem = _problem(found, user)
    if problem:
        return _page(*problem, found)
    web_session[SESSION_KEY] = found.id
    if current_user.is_authenticated:
        return redirect(url_for("invitation.welcome"))
    tenant = session.get(Tenant, found.tenant_id)
    return render_template("invitation.html", reason="", invitation=found, user=user,
                           tenant=tenant)  # fmt: skip


@invitation.get("/welcome")
@signed_in
def welcome() -> Response | tuple[str, int]:
    session = db_session()
    invitation_id = web_session.get(SESSION_KEY)
    found = session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
    if found is None:
        return redirect(url_for("dashboard.home"))
    user = session.get(User, found.user_id)
    problem = _problem(found, user)
    if problem:
        web_session.pop(SESSION_KEY, None)
        return _page(*problem, found)
    if user.id != me().id:
        return _page("someone else", 403, found)
    web_session.pop(SESSION_KEY, None)
    found.used_at = utcnow()
    record_audit(
        session, tenant_id=found.tenant_id, actor=user, action="user.activate",
        target_type="user", target_id=str(user.id), details={"invitation": found.id},
    )  # fmt: skip
    session.commit()
    mailbox = my_mailbox()
    if mailbox is not None and presenters.awaits_connection(mailbox):
        return redirect(url_for("reactivation.form"))
    return redirect(url_for("dashboard.home"))
