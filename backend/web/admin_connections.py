"""The company's connections, for key users (``/admin/connections``).

- ``GET``: the SAP Cloud for Customer address and integration user (a stored password is never
  shown, only that one is stored), the mail system's settings, and whether SAP refuses the
  integration user (syncing is paused for the whole company until the connection works).
- ``POST`` with ``action=test``: try what the form holds (a blank password: the stored one) and
  say step by step what worked; nothing is saved.
- ``POST`` with ``action=save``: store it (the password encrypted), audit what changed (never
  the password itself), then test it. A test that gets through ends the company's pause.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from backend.auth.credentials import c4c_credentials, store_c4c_credentials
from backend.extensions import db_session, resources
from backend.models import Tenant
from backend.models.audit import record_audit
from backend.models.types import MailSystem
from backend.storage.db import utcnow
from backend.sync import employees, sap_refusal
from backend.tenants.connection import ConnectionTest, address_problem, test_c4c
from backend.web.access import key_user_required, me, my_tenant
from backend.web.security import limiter

admin_connections = Blueprint("admin_connections", __name__, url_prefix="/admin/connections")

FIELDS = ("c4c_base_url", "c4c_username", "mail_endpoint")


def _values(tenant: Tenant) -> dict[str, str]:
    return {
        "c4c_base_url": tenant.c4c_base_url or "",
        "c4c_username": tenant.c4c_username or "",
        "mail_endpoint": tenant.mail_endpoint or "",
    }


def _stored_password(tenant: Tenant) -> str | None:
    return (c4c_credentials(tenant, resources().cipher) or {}).get("password")


def _page(
    tenant: Tenant,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    result: ConnectionTest | None = None,
    saved: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    page = render_template(
        "admin/connections.html",
        tenant=tenant,
        values=values,
        errors=errors or {},
        result=result,
        saved=saved,
        password_stored=bool(_stored_password(tenant)),
        exchange_server=tenant.mail_system is MailSystem.EXCHANGE_SERVER,
    )
    return page, status


@admin_connections.get("/")
@key_user_required
def show() -> tuple[str, int]:
    tenant = my_tenant()
    return _page(tenant, _values(tenant))


@admin_connections.post("/")
@key_user_required
@limiter.limit("20 per minute")
def change() -> Response | tuple[str, int]:
    tenant, found = my_tenant(), resources()
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    typed = request.form.get("c4c_password", "")
    stored = _stored_password(tenant)
    errors = _problems(tenant, values, typed, stored)
    if errors:
        return _page(tenant, values, errors=errors, status=422)
    password = typed or stored
    result = test_c4c(
        tenant, found.settings, url=values["c4c_base_url"], user=values["c4c_username"],
        password=password,
    )  # fmt: skip
    saving = request.form.get("action") == "save"
    if saving:
        _save(tenant, values, typed)
    stored_tested = saving or (not typed and _values(tenant) == values)
    if result.ok and stored_tested:
        sap_refusal.resume(db_session(), tenant, me(), utcnow())
        employees.match_tenant(db_session(), tenant, found.cipher, found.settings)
    db_session().commit()
    return _page(tenant, values, result=result, saved=saving)


def _problems(
    tenant: Tenant, values: dict[str, str], typed: str, stored: str | None
) -> dict[str, str]:
    settings, errors = resources().settings, {}
    problem = address_problem(values["c4c_base_url"], settings)
    if problem:
        errors["c4c_base_url"] = problem
    if not values["c4c_username"] or len(values["c4c_username"]) > 200:
        errors["c4c_username"] = "Enter the integration user's name (at most 200 characters)."
    if not typed and not stored:
        errors["c4c_password"] = "Enter the integration user's password."
    if len(typed) > 500:
        errors["c4c_password"] = "The password is longer than 500 characters."
    if tenant.mail_system is MailSystem.EXCHANGE_SERVER:
        problem = address_problem(values["mail_endpoint"], settings)
        if problem:
            errors["mail_endpoint"] = problem.replace("OData service", "Exchange Web Services")
    return errors


def _save(tenant: Tenant, values: dict[str, str], typed: str) -> None:
    """Store the connection; the audit names what changed, and never the password."""
    before = _values(tenant)
    tenant.c4c_base_url = values["c4c_base_url"]
    tenant.c4c_username = values["c4c_username"]
    if tenant.mail_system is MailSystem.EXCHANGE_SERVER:
        tenant.mail_endpoint = values["mail_endpoint"]
    changes = {
        name: {"old": before[name] or None, "new": value or None}
        for name, value in _values(tenant).items()
        if before[name] != value
    }
    if typed:
        store_c4c_credentials(tenant, {"password": typed}, resources().cipher)
        changes["c4c_password"] = {"old": "[stored]", "new": "[changed]"}
    if changes:
        record_audit(
            db_session(), tenant_id=tenant.id, actor=me(), action="tenant.connections",
            target_type="tenant", target_id=str(tenant.id), details=changes,
        )  # fmt: skip
