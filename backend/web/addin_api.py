"""The add-in API (``/addin/api/v1``): what the Outlook task pane calls, with a bearer add-in token.

Requests carry ``Authorization: Bearer <add-in token>`` (see :mod:`backend.auth.addin_tokens`)
and ``X-Addin-Version``; cookies are ignored, so the dashboard's session opens nothing here and
an add-in token opens nothing else. Bodies and query strings are validated with pydantic and
every answer is JSON: ``{"error": code, "message": text}`` on failure (400 with ``fields``
saying what is wrong, 401 with a ``WWW-Authenticate: Bearer`` challenge, 426 when the add-in is
older than ``ADDIN_MIN_VERSION``, 429 past the rate limit). ``docs/addin-api.yaml`` lists every
status each operation answers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, g, jsonify, request, url_for
from flask_babel import gettext
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import HTTPException

from backend import presenters, savedialog
from backend.actions import mailbox as mailbox_actions
from backend.addin import item_status as addin
from backend.auth import addin_tokens
from backend.auth.signin import SignedInUser
from backend.extensions import db_session, resources
from backend.i18n import reader_zone
from backend.models import Issue, Mailbox, Tenant, User
from backend.models.mailbox import HealthStatus
from backend.sync import warnings as sync_warnings
from backend.text import N_
from backend.web.access import my_mailbox, my_tenant, visible_issue_or_404
from backend.web.request_limits import count_refusals_per_address
from backend.web.security import csrf, limiter

addin_api = Blueprint("addin_api", __name__, url_prefix="/addin/api/v1")
csrf.exempt(addin_api)

VERSION_HEADER = "X-Addin-Version"
PUBLIC_ENDPOINTS = frozenset({"addin_api.version"})
READING_ENDPOINTS = frozenset({"addin_api.item", "addin_api.whoami"})
"""What the pane asks each time an item opens: reads, and at most one write of one row (the
add-in's last use). They run without a transaction (``AUTOCOMMIT``): under PostgreSQL's READ
COMMITTED each statement sees what it would see in one, and no ``BEGIN`` and ``ROLLBACK`` go
to the database around them."""


@dataclass
class AddinCall:
    """Who is calling: the token row and its user (``g.addin``)."""

    token: Any
    user: User


class ApiError(Exception):
    """An answer the pane shows: ``message`` is English (marked ``N_`` where it is the
    product's own words), said in Office's display language; a 401's header keeps English."""

    def __init__(self, status: int, error: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.extra = status, error, message, extra


@addin_api.errorhandler(ApiError)
def _api_error(error: ApiError) -> tuple[Response, int]:
    said = gettext(error.message)
    response = jsonify(error=error.error, message=said, **error.extra)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = (
            f'Bearer realm="ssi-sync add-in", error="{error.error}", '
            f'error_description="{error.message}"'
        )
    return response, error.status


@addin_api.errorhandler(404)
def _not_found(error: HTTPException) -> tuple[Response, int]:
    said = gettext("No such issue, or not one you may see.")
    return jsonify(error="not_found", message=said), 404


def version_tuple(text: str) -> tuple[int, ...]:
    """``"1.2"`` → ``(1, 2, 0, 0)``; anything unparsable sorts first."""
    try:
        parts = [int(part) for part in text.strip().split(".")]
    except ValueError:
        return (0,)
    return tuple(parts + [0] * (4 - len(parts)))[:4]


def _token_key() -> str:
    """Rate limits count per add-in token (the limiter runs before the token is checked)."""
    header = request.headers.get("Authorization", "")
    return "addin:" + hashlib.sha256(header.encode()).hexdigest()[:24]


limiter.limit(lambda: f"{resources().settings.rate_limit_per_minute} per minute",
              key_func=_token_key)(addin_api)  # fmt: skip
count_refusals_per_address(addin_api)


_CALLER = (
    addin_tokens.TOKEN_AND_USER.add_columns(Tenant, Mailbox)
    .join(Tenant, Tenant.id == User.tenant_id)
    .outerjoin(Mailbox, (Mailbox.user_id == User.id) & (Mailbox.tenant_id == User.tenant_id))
    .options(joinedload(Mailbox.item_states))
)
"""Every call's first question, built once: the token, its user, and the user's tenant and
mailbox (with its progress rows, for its state), in one statement."""


@addin_api.before_request
def _authenticate() -> None:
    sent = request.headers.get(VERSION_HEADER)
    minimum = resources().settings.addin_min_version
    if sent is not None and version_tuple(sent) < version_tuple(minimum):
        raise ApiError(
            426,
            "addin_outdated",
            N_("This version of the add-in is too old. Update it to go on."),
            minimum=minimum,
        )
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "invalid_token", N_("Sign in to the add-in first."))
    session = db_session()
    if request.endpoint in READING_ENDPOINTS and request.method == "GET":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        found = addin_tokens.verify(session, secret.strip(), _CALLER)
    except addin_tokens.TokenRefused as refused:
        raise ApiError(401, refused.error, str(refused)) from None
    user = found.User
    if user.removed_at is not None:
        raise ApiError(401, "invalid_token", N_("This sign-in has ended. Sign in again."))
    addin.record_use(session, user)
    g.addin = AddinCall(found.AddinToken, user)
    # The tenant-scoped lookups of ``backend.web.access`` read flask-login's user: make it the
    # token's user for this request (the session cookie is never consulted here), with the
    # tenant and mailbox read with it, which ``my_tenant()`` and ``my_mailbox()`` hand out.
    g._login_user = SignedInUser(user, found.Tenant, found.Mailbox)


def _caller() -> AddinCall:
    return g.addin


def _mailbox() -> tuple[Mailbox, Tenant]:
    """The caller's mailbox (its progress rows loaded with it, for its state) and tenant."""
    mailbox = my_mailbox()
    if mailbox is None:
        raise ApiError(
            404, "no_mailbox", N_("No mailbox is set up for you yet. Ask your key user.")
        )
    return mailbox, my_tenant()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5000)


class ItemRef(Strict):
    """The open item: its id (REST or EWS format) and Office item type."""

    id: str = Field(min_length=1, max_length=600)
    type: str = Field(min_length=1, max_length=20)

    @field_validator("id")
    @classmethod
    def _ews_id(cls, value: str) -> str:
        return addin.ews_item_id(value)

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        return addin.item_type_of(value).value


class SaveBody(Strict):
    values: dict[str, str | None] = Field(default_factory=dict, max_length=100)
    related_id: str | None = Field(default=None, max_length=70)


class SearchQuery(Strict):
    q: str = Field(min_length=2, max_length=100)


def _parse(model: type[Strict], data: Any) -> Any:
    if not isinstance(data, dict):
        raise ApiError(
            400, "invalid_request", N_("Send a JSON object."), fields={"body": "send a JSON object"}
        )
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = {
            ".".join(str(part) for part in problem["loc"]) or "body": problem["msg"]
            for problem in error.errors()
        }
        problems = "; ".join(f"{name}: {text}" for name, text in fields.items())
        said = gettext("Check the request: %(problems)s.", problems=problems)
        raise ApiError(400, "invalid_request", said, fields=fields) from None


def _body(model: type[Strict]) -> Any:
    return _parse(model, request.get_json(silent=True))


# -- answers ------------------------------------------------------------------------------------


def _mailbox_json(mailbox: Mailbox) -> dict[str, Any]:
    pill = presenters.mailbox_pill(mailbox)
    stopped = mailbox.status in (HealthStatus.FAILED_AUTH, HealthStatus.DISABLED)
    return {
        "address": mailbox.address,
        "status": mailbox.status.value,
        "label": pill.label,
        "tone": pill.tone,
        "needs_reactivation": mailbox.status is HealthStatus.FAILED_AUTH,
        "sync_stopped": stopped,
        "reason": presenters.status_reason_of(mailbox),
        "last_synced_at": presenters.utc_iso(mailbox.last_synced_at),
        "reactivate_url": url_for("reactivation.form", _external=True),
        "dashboard_url": url_for("dashboard.home", _external=True),
        "warnings": [
            presenters.warning_json(view)
            for view in presenters.warning_views(
                sync_warnings.open_for(db_session(), mailbox.tenant_id, mailbox.id),
                resources().settings.public_base_url,
            )
        ],
    }


def _issue_json(issue: Issue, tenant: Tenant) -> dict[str, Any]:
    action = presenters.action_of(issue)  # in Office's display language
    return {
        **presenters.issue_core(issue),
        "message": presenters.message_of(issue),
        "recommended_action": {"title": action.title, "text": action.text},
        "can_fix": savedialog.can_fix(issue),
        "can_retry": issue.item_type is not None and bool(issue.mailbox_item_id),
        "c4c_link": presenters.c4c_item_link(tenant, issue.item_type, issue.c4c_object_id),
    }


def _user_json(user: User) -> dict[str, Any]:
    return {"name": user.name, "email": user.email, "key_user": user.is_key_user}


def _status_json(found: addin.ItemStatus, mailbox: Mailbox, tenant: Tenant) -> dict[str, Any]:
    """The item's state, its issues, the mailbox's health and who asks: all the pane needs
    when an item opens, in one answer."""
    paired = found.sync_item
    return {
        "user": _user_json(_caller().user),
        "item": {
            "id": found.item_id,
            "type": found.item_type,
            "state": found.state,
            "last_synced_at": presenters.utc_iso(paired.last_synced_at) if paired else None,
            "c4c_object_id": paired.c4c_object_id if paired else None,
            "c4c_link": presenters.c4c_item_link(
                tenant, found.item_type, paired.c4c_object_id if paired else None
            ),
            "can_track": found.state is addin.ItemState.NOT_TRACKED
            and found.item_type in addin.TRACKABLE,
        },
        "issues": [_issue_json(issue, tenant) for issue in found.issues],
        "mailbox": _mailbox_json(mailbox),
    }


def _form_json(form: savedialog.SaveForm) -> dict[str, Any]:
    related = form.related
    return {
        "issue_id": form.issue_id,
        "time_zone": str(reader_zone()),
        "type": form.item_type,
        "title": form.title,
        "message": form.message,
        "errors": list(form.errors),
        "fields": [
            {
                "name": item.name,
                "label": item.label,
                "kind": item.kind,
                "required": item.required,
                "max_length": item.max_length,
                "options": [{"code": code, "text": text} for code, text in item.options],
                "value": item.value,
                "error": item.error,
                "read_only": item.read_only,
            }
            for item in form.fields
        ],
        "related": None
        if related is None
        else {
            "kind": related.kind,
            "label": related.label,
            "object_id": related.object_id,
            "display": related.display,
            "required": related.required,
            "error": related.error,
        },
    }


def _dialog_error(error: savedialog.SaveDialogError) -> ApiError:
    status = {"GONE": 410, "NOT_ALLOWED": 403, "NOT_FIXABLE": 409, "ALREADY_FIXED": 409}.get(
        error.code.value, 503
    )
    return ApiError(status, error.code.value.lower(), str(error))


# -- endpoints ----------------------------------------------------------------------------------


@addin_api.get("/version")
def version() -> Response:
    """The add-in version this server ships and the oldest it still serves."""
    return jsonify(current=addin.ADDIN_VERSION, minimum=resources().settings.addin_min_version)


@addin_api.get("/me")
def whoami() -> Response:
    call, mailbox = _caller(), my_mailbox()
    return jsonify(
        user=_user_json(call.user),
        mailbox=_mailbox_json(mailbox) if mailbox is not None else None,
        token={"expires_at": presenters.utc_iso(call.token.expires_at)},
    )


@addin_api.post("/token/refresh")
def refresh_token() -> Response:
    call, session = _caller(), db_session()
    issued = addin_tokens.refresh(
        session, call.token, call.user, resources().settings.addin_token_minutes
    )
    session.commit()
    return jsonify(token=issued.secret, expires_at=presenters.utc_iso(issued.expires_at))


@addin_api.delete("/token")
def sign_out() -> tuple[str, int]:
    addin_tokens.revoke(_caller().token)
    db_session().commit()
    return "", 204


@addin_api.get("/item")
def item() -> Response:
    ref = _parse(ItemRef, request.args.to_dict())
    mailbox, tenant = _mailbox()
    item_id = addin.stored_item_id(mailbox, ref.id)
    found = addin.item_status(db_session(), mailbox, addin.item_type_of(ref.type), item_id)
    return jsonify(_status_json(found, mailbox, tenant))


@addin_api.post("/item/track")
@limiter.limit("20 per minute", key_func=_token_key)
def track() -> tuple[Response, int]:
    ref = _body(ItemRef)
    (mailbox, tenant), session = _mailbox(), db_session()
    try:
        item_type, item_id = addin.item_type_of(ref.type), addin.stored_item_id(mailbox, ref.id)
        found = addin.track(session, resources(), mailbox, _caller().user, item_type, item_id)
    except addin.TrackRefused as refused:
        session.rollback()
        raise ApiError(409, "track_refused", str(refused)) from None
    return jsonify(_status_json(found, mailbox, tenant)), 202


@addin_api.get("/issues/<id:issue_id>/form")
def open_form(issue_id: int) -> Response:
    issue = visible_issue_or_404(issue_id)
    try:
        form = savedialog.open_form(db_session(), resources(), issue, viewer=_caller().user)
    except savedialog.SaveDialogError as error:
        raise _dialog_error(error) from None
    return jsonify(_form_json(form))


@addin_api.post("/issues/<id:issue_id>/form")
@limiter.limit("30 per minute", key_func=_token_key)
def save(issue_id: int) -> tuple[Response, int]:
    issue = visible_issue_or_404(issue_id)
    body = _body(SaveBody)
    values = {name: value or "" for name, value in body.values.items()}
    try:
        result = savedialog.submit(
            db_session(), resources(), issue, values, _caller().user, related_id=body.related_id
        )
    except savedialog.SaveDialogError as error:
        raise _dialog_error(error) from None
    answer = jsonify(ok=result.ok, status=result.status, form=_form_json(result.form))
    return answer, 200 if result.ok else 422


@addin_api.get("/issues/<id:issue_id>/related")
def related(issue_id: int) -> Response:
    issue = visible_issue_or_404(issue_id)
    query = _parse(SearchQuery, request.args.to_dict())
    try:
        found = savedialog.search_related(
            db_session(), resources(), issue, query.q, viewer=_caller().user
        )
    except savedialog.SaveDialogError as error:
        raise _dialog_error(error) from None
    return jsonify(
        candidates=[
            {"object_id": c.object_id, "name": c.name, "kind": c.kind, "detail": c.detail}
            for c in found
        ]
    )


@addin_api.post("/issues/<id:issue_id>/retry")
def retry(issue_id: int) -> tuple[Response, int]:
    issue, found = visible_issue_or_404(issue_id), resources()
    try:
        queued = mailbox_actions.retry_item(db_session(), found.redis, issue, found.settings)
    except mailbox_actions.AlreadyResolved as resolved:
        raise ApiError(409, "already_resolved", str(resolved)) from None
    if not queued:
        raise ApiError(
            409,
            "not_retryable",
            N_("This issue is about the whole mailbox; it clears when it syncs."),
        )
    return jsonify(queued=True), 202
