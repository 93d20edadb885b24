"""The company's connections, for key users (``/admin/connections``).

- ``GET``: the SAP Cloud for Customer address and integration user (a stored password is never
  shown, only that one is stored), the mail system's settings, and whether SAP refuses the
  integration user (syncing is paused for the whole company until the connection works).
- ``POST`` with ``action=test``: try what the form holds (a blank password: the stored one) and
  say step by step what worked; nothing is saved.
- ``POST`` with ``action=save``: store it (the password encrypted), audit what changed (never
  the password itself), then test it. A test that gets through ends the company's pause.
- ``GET certificate.pem``: the certificate of the company's signing key, for SAP's trusted
  OAuth 2.0 identity provider.

SAP is reached with the integration user's password, or with OAuth 2.0: C4C grants tokens for a
SAML 2.0 bearer assertion only, which the product signs with a key it makes for the company the
first time OAuth is saved (the key never leaves the product; the key user uploads the
certificate to SAP). What the page says of a field or a step is in the reader's language.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from backend.auth.credentials import c4c_credentials, store_c4c_credentials
from backend.crm.oauth import DEFAULT_SCOPE, SamlBearerAuth, signing_identity
from backend.extensions import db_session, resources
from backend.models import Tenant
from backend.models.audit import record_audit
from backend.models.tenant import C4CAuth, C4COAuthSettings, ExchangeSignIn
from backend.models.types import MailSystem
from backend.storage.db import utcnow
from backend.sync import employees, sap_refusal
from backend.sync import warnings as sync_warnings
from backend.sync.connect import oauth_grant
from backend.tenants.connection import (
    EWS,
    ConnectionTest,
    address_problem,
    test_c4c,
    test_exchange,
)
from backend.text import N_
from backend.web.access import key_user_required, me, my_tenant
from backend.web.security import limiter

MIN_DAY = date(2000, 1, 1)

admin_connections = Blueprint("admin_connections", __name__, url_prefix="/admin/connections")

FIELDS = ("c4c_base_url", "c4c_username", "mail_endpoint", "exchange_sign_in", "c4c_auth",
          "oauth_client_id", "oauth_issuer", "oauth_audience", "oauth_scope",
          *("c4c_password_expires_on", "microsoft_secret_expires_on"))  # fmt: skip
ENDS = ("c4c_password_expires_on", "microsoft_secret_expires_on")
"""The days credentials end, as the key user knows them: warned about ahead."""
SECRETS = {"c4c_password": "password", "oauth_client_secret": "client_secret"}
"""Form field to the key it is stored under (encrypted)."""
OAUTH_NAME = re.compile(r"^[\x21-\x7e]( ?[\x21-\x7e])*$")
"""An OAuth client id, issuer, audience or scope: printable ASCII, single spaces inside."""


def _values(tenant: Tenant) -> dict[str, str]:
    oauth = tenant.config.c4c_oauth
    return {
        "c4c_base_url": tenant.c4c_base_url or "",
        "c4c_username": tenant.c4c_username or "",
        "mail_endpoint": tenant.mail_endpoint or "",
        "exchange_sign_in": tenant.config.exchange_sign_in.value,
        "c4c_auth": tenant.c4c_auth.value if tenant.c4c_auth else C4CAuth.BASIC.value,
        "oauth_client_id": oauth.client_id if oauth else "",
        "oauth_issuer": oauth.issuer if oauth else f"ssi-sync-{tenant.slug}",
        "oauth_audience": oauth.audience if oauth else "",
        "oauth_scope": oauth.scope if oauth else DEFAULT_SCOPE,
        **{name: str(getattr(tenant.config, name) or "") for name in ENDS},
    }


def _stored(tenant: Tenant) -> dict[str, Any]:
    return c4c_credentials(tenant, resources().cipher) or {}


def _page(
    tenant: Tenant,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    result: ConnectionTest | None = None,
    saved: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    stored = _stored(tenant)
    page = render_template(
        "admin/connections.html",
        tenant=tenant,
        values=values,
        errors=errors or {},
        result=result,
        saved=saved,
        password_stored=bool(stored.get("password")),
        client_secret_stored=bool(stored.get("client_secret")),
        certificate=tenant.config.c4c_oauth.certificate if tenant.config.c4c_oauth else None,
        exchange_server=tenant.mail_system is MailSystem.EXCHANGE_SERVER,
    )
    return page, status


@admin_connections.get("/")
@key_user_required
def show() -> tuple[str, int]:
    tenant = my_tenant()
    return _page(tenant, _values(tenant))


@admin_connections.get("/certificate.pem")
@key_user_required
def certificate() -> Response:
    """The certificate SAP's trusted OAuth 2.0 identity provider needs, as a file."""
    tenant = my_tenant()
    oauth = tenant.config.c4c_oauth
    if oauth is None or not oauth.certificate:
        abort(404)
    return Response(
        oauth.certificate, mimetype="application/x-pem-file",
        headers={"Content-Disposition": f'attachment; filename="ssi-sync-{tenant.slug}.pem"'},
    )  # fmt: skip


@admin_connections.post("/")
@key_user_required
@limiter.limit("20 per minute")
def change() -> Response | tuple[str, int]:
    tenant, found = my_tenant(), resources()
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    current = _values(tenant)
    for name in ("c4c_auth", "exchange_sign_in"):  # a form without the choice keeps it
        values[name] = values[name] or current[name]
    typed = {name: request.form.get(name, "") for name in SECRETS}
    saving = request.form.get("action") == "save"
    secret = {**_stored(tenant), **{SECRETS[name]: value for name, value in typed.items() if value}}
    errors = _problems(tenant, values, typed, secret, saving)
    if errors:
        return _page(tenant, values, errors=errors, status=422)
    oauth = _oauth_of(tenant, values)
    if saving:
        oauth = _save(tenant, values, typed, oauth, secret)
    auth = None
    if values["c4c_auth"] == C4CAuth.OAUTH and oauth is not None:
        grant = oauth_grant(oauth, values["c4c_base_url"], values["c4c_username"], secret)
        auth = SamlBearerAuth(grant, found.settings.timeouts.pair)
    result = test_c4c(
        tenant, found.settings, url=values["c4c_base_url"], user=values["c4c_username"],
        password=secret.get("password"), auth=auth,
    )  # fmt: skip
    if tenant.mail_system is MailSystem.EXCHANGE_SERVER:
        exchange = test_exchange(
            values["mail_endpoint"], values["exchange_sign_in"], found.settings
        )
        result = replace(result, mail_steps=(exchange,))
    stored_tested = saving or (not any(typed.values()) and _as_stored(tenant, values))
    if result.sap_ok and stored_tested:
        sap_refusal.resume(db_session(), tenant, me(), utcnow())
        employees.match_tenant(db_session(), tenant, found.cipher, found.settings)
    db_session().commit()
    if saving:  # a new end date opens, moves or resolves its warning now; mailed by the check
        sync_warnings.check_tenant(db_session(), found.settings, tenant, utcnow(), notify=False)
    return _page(tenant, values, result=result, saved=saving)


def _as_stored(tenant: Tenant, values: dict[str, str]) -> bool:
    """Whether the form holds the stored connection (OAuth's fields only when it is used)."""
    stored = _values(tenant)
    names = [name for name in FIELDS
             if not name.startswith("oauth_") or values["c4c_auth"] == C4CAuth.OAUTH]  # fmt: skip
    return all(stored[name] == values[name] for name in names)


def _oauth_of(tenant: Tenant, values: dict[str, str]) -> C4COAuthSettings | None:
    """The OAuth settings the form holds, with the stored certificate; ``None`` without OAuth."""
    if values["c4c_auth"] != C4CAuth.OAUTH:
        return tenant.config.c4c_oauth
    current = tenant.config.c4c_oauth
    return C4COAuthSettings(
        client_id=values["oauth_client_id"], issuer=values["oauth_issuer"],
        audience=values["oauth_audience"], scope=values["oauth_scope"],
        certificate=current.certificate if current else None,
    )  # fmt: skip


def _problems(
    tenant: Tenant,
    values: dict[str, str],
    typed: dict[str, str],
    secret: dict[str, Any],
    saving: bool,
) -> dict[str, str]:
    settings, errors = resources().settings, {}
    problem = address_problem(values["c4c_base_url"], settings)
    if problem:
        errors["c4c_base_url"] = problem
    if not values["c4c_username"] or len(values["c4c_username"]) > 200:
        errors["c4c_username"] = _("Enter the integration user's name (at most 200 characters).")
    for name, value in typed.items():
        if len(value) > 500:
            errors[name] = _("This is longer than 500 characters.")
    if values["c4c_auth"] == C4CAuth.OAUTH:
        errors.update(_oauth_problems(tenant, values, secret, saving))
    elif values["c4c_auth"] != C4CAuth.BASIC:
        errors["c4c_auth"] = _("Choose how the product signs in to SAP.")
    elif not secret.get("password"):
        errors["c4c_password"] = _("Enter the integration user's password.")
    for name in ENDS:
        problem = _day_problem(values[name])
        if problem:
            errors[name] = problem
    if tenant.mail_system is MailSystem.EXCHANGE_SERVER:
        problem = address_problem(values["mail_endpoint"], settings, EWS)
        if problem:
            errors["mail_endpoint"] = problem
        if values["exchange_sign_in"] not in ExchangeSignIn.__members__:
            errors["exchange_sign_in"] = _("Choose how mailboxes sign in to Exchange.")
    return errors


def _day_problem(text: str) -> str | None:
    """Why ``text`` is not a day a credential can end on (empty: it does not end)."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return _("Enter a date as YYYY-MM-DD, or leave it empty.")
    if day < MIN_DAY or day.year > utcnow().year + 20:
        return _("Enter a date between the year 2000 and twenty years from now.")
    return None


def _oauth_problems(
    tenant: Tenant, values: dict[str, str], secret: dict[str, Any], saving: bool
) -> dict[str, str]:
    errors = {}
    asks = {
        "oauth_client_id": N_("Enter the OAuth client's id (at most 200 characters, no line "
                              "breaks)."),
        "oauth_issuer": N_("Enter the issuer name SAP trusts (at most 200 characters, no line "
                           "breaks)."),
        "oauth_audience": N_("Enter SAP's service provider name (at most 200 characters, no "
                             "line breaks)."),
        "oauth_scope": N_("Enter the scope (at most 200 characters, no line breaks)."),
    }  # fmt: skip
    for name, ask in asks.items():
        if not OAUTH_NAME.match(values[name]) or len(values[name]) > 200:
            errors[name] = _(ask)
    if not secret.get("client_secret"):
        errors["oauth_client_secret"] = _("Enter the OAuth client's secret.")
    if not saving and not secret.get("signing_key"):
        errors["c4c_auth"] = _(
            "Choose Save and test first: it creates the certificate you upload to SAP."
        )
    return errors


def _save(
    tenant: Tenant,
    values: dict[str, str],
    typed: dict[str, str],
    oauth: C4COAuthSettings | None,
    secret: dict[str, Any],
) -> C4COAuthSettings | None:
    """Store the connection and ``secret`` (the stored secrets with those typed; a signing key
    is added to it the first time OAuth is saved); the audit names what changed, and never a
    secret. Returns the OAuth settings as stored."""
    before = _values(tenant)
    tenant.c4c_base_url = values["c4c_base_url"]
    tenant.c4c_username = values["c4c_username"]
    tenant.c4c_auth = C4CAuth(values["c4c_auth"])
    ends = {name: date.fromisoformat(values[name]) if values[name] else None for name in ENDS}
    tenant.config = tenant.config.model_copy(update=ends)
    if tenant.mail_system is MailSystem.EXCHANGE_SERVER:
        tenant.mail_endpoint = values["mail_endpoint"]
        sign_in = ExchangeSignIn(values["exchange_sign_in"])
        tenant.config = tenant.config.model_copy(update={"exchange_sign_in": sign_in})
    changes: dict[str, Any] = {}
    if tenant.c4c_auth is C4CAuth.OAUTH and oauth is not None:
        if not secret.get("signing_key") or not oauth.certificate:
            secret["signing_key"], certificate = signing_identity(f"ssi-sync {tenant.slug}")
            oauth = oauth.model_copy(update={"certificate": certificate})
            changes["signing_certificate"] = {"old": None, "new": "[created]"}
        tenant.config = tenant.config.model_copy(update={"c4c_oauth": oauth})
    changes.update(
        {
            name: {"old": before[name] or None, "new": value or None}
            for name, value in _values(tenant).items()
            if before[name] != value
        }
    )
    for name in SECRETS:
        if typed[name]:
            changes[name] = {"old": "[stored]", "new": "[changed]"}
    store_c4c_credentials(tenant, secret or None, resources().cipher)
    if changes:
        record_audit(
            db_session(), tenant_id=tenant.id, actor=me(), action="tenant.connections",
            target_type="tenant", target_id=str(tenant.id), details=changes,
        )  # fmt: skip
    return tenant.config.c4c_oauth
