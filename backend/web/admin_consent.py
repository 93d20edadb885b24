"""Exchange Online with application permissions: the company's Microsoft 365 administrator grants
the app access to every mailbox once (Entra's admin consent), and the directory that granted it
is recorded from the answer, never typed.

- ``POST /admin/consent/microsoft``: a key user starts; the browser goes to
  ``<MICROSOFT_ISSUER>/adminconsent`` (Microsoft's ``/{tenant}/v2.0/adminconsent``, for any
  directory) with our client id, this callback, a state and
  ``scope=https://graph.microsoft.com/.default``.
- ``GET /admin/consent/microsoft/callback``: Microsoft answers ``tenant``, ``admin_consent``
  and ``state``, or ``error`` and ``error_description``. The state must be the one this
  browser's session started (once); the ``tenant`` must be one of the company's own Entra
  directories (those its people sign in from): only then is it recorded as
  ``graph_app_tenant_id``, with an audit event. So a key user cannot point the app at another
  company's directory.
- ``POST /admin/consent/microsoft/forget``: stop using application permissions (each Exchange
  Online mailbox uses its user's own consent again).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, url_for
from flask import request as web_request
from flask import session as web_session
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from backend.extensions import db_session, resources
from backend.models.audit import record_audit
from backend.models.tenant import ENTRA_TENANT_ID, TenantSettings
from backend.web.access import key_user_required, me, my_tenant

admin_consent = Blueprint("admin_consent", __name__, url_prefix="/admin/consent")

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
STATE_KEY = "admin_consent"
"""Where the session keeps the state of the consent it started (and for which tenant)."""


@dataclass(frozen=True)
class ConsentAnswer:
    """What an admin consent's answer means: the granting directory, or why it is refused."""

    directory: str | None = None
    problem: str | None = None


def read_answer(
    args: Mapping[str, str], expected_state: str | None, config: TenantSettings
) -> ConsentAnswer:
    """Judge the parameters Microsoft sent back (pure: no request, no database).

    Args:
        args: the callback's query parameters.
        expected_state: the state this session started with, if any.
        config: the tenant's settings (its Entra directories).

    Returns:
        The directory to record, or a sentence for the key user (in their language).
    """
    state = args.get("state", "")
    if not expected_state or not secrets.compare_digest(state, expected_state):
        return ConsentAnswer(
            problem=_("This answer is not from a consent started here. Start again.")
        )
    if args.get("error"):
        if args["error"] == "access_denied":
            return ConsentAnswer(problem=_("The administrator did not grant access."))
        return ConsentAnswer(problem=_("Microsoft did not grant access. Try again later."))
    tenant = args.get("tenant", "").strip().lower()
    if args.get("admin_consent", "").lower() != "true" or not ENTRA_TENANT_ID.match(tenant):
        return ConsentAnswer(problem=_("Microsoft's answer did not say that access was granted."))
    if tenant not in config.entra_tenant_ids:
        return ConsentAnswer(
            problem=_(
                "Access was granted by the directory %(directory)s, which is not one your "
                "company signs in from. Ask an administrator of your own Microsoft 365 to grant "
                "it.",
                directory=tenant,
            )
        )
    return ConsentAnswer(directory=tenant)


def consent_url(issuer_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    """The admin consent request (``<issuer>/adminconsent``)."""
    query = {"client_id": client_id, "redirect_uri": redirect_uri, "state": state,
             "scope": GRAPH_SCOPE}  # fmt: skip
    return f"{issuer_url}/adminconsent?{urlencode(query)}"


@admin_consent.post("/microsoft")
@key_user_required
def start() -> Response:
    provider = resources().settings.sign_in_provider("microsoft")
    if provider is None:
        flash(_("Sign-in with Microsoft is not configured on this server."), "error")
        return redirect(url_for("admin.settings"))
    state = secrets.token_urlsafe(32)
    web_session[STATE_KEY] = {"state": state, "tenant": my_tenant().id}
    back = url_for("admin_consent.callback", _external=True)
    return redirect(consent_url(provider.issuer_url, provider.client_id, back, state))


@admin_consent.get("/microsoft/callback")
@key_user_required
def callback() -> Response:
    tenant, session = my_tenant(), db_session()
    started = web_session.pop(STATE_KEY, None) or {}
    expected = started.get("state") if started.get("tenant") == tenant.id else None
    answer = read_answer(web_request.args, expected, tenant.config)
    if answer.directory is None:
        flash(answer.problem or _("Access was not granted."), "error")
        return redirect(url_for("admin.settings"))
    config = tenant.config
    old, config.graph_app_tenant_id = config.graph_app_tenant_id, answer.directory
    tenant.config = config
    record_audit(session, tenant_id=tenant.id, actor=me(), action="tenant.graph_app_consent",
                 target_type="tenant", target_id=str(tenant.id),
                 details={"old": old, "new": answer.directory})  # fmt: skip
    session.commit()
    flash(_("Your administrator granted access: Exchange Online mailboxes now sync with the "
            "company's permission."), "success")  # fmt: skip
    return redirect(url_for("admin.settings"))


@admin_consent.post("/microsoft/forget")
@key_user_required
def forget() -> Response:
    tenant, session = my_tenant(), db_session()
    config = tenant.config
    if config.graph_app_tenant_id is None:
        flash(_("Nothing changed."))
        return redirect(url_for("admin.settings"))
    old, config.graph_app_tenant_id = config.graph_app_tenant_id, None
    tenant.config = config
    record_audit(session, tenant_id=tenant.id, actor=me(), action="tenant.graph_app_consent",
                 target_type="tenant", target_id=str(tenant.id),
                 details={"old": old, "new": None})  # fmt: skip
    session.commit()
    flash(_("Application permissions are no longer used: each user's own consent opens their "
            "mailbox."), "success")  # fmt: skip
    return redirect(url_for("admin.settings"))
