"""JSON API for issues (``/api/v1``), described in ``docs/openapi.yaml``.

A key user lists the issues of their tenant, a user their own; filters and visibility come from
:mod:`backend.models.issue_queries`, as for the admin panel's list and CSV export. Pages follow the
listing order (``last_seen_at``, then id, newest first) with an opaque cursor: a signed
position that also carries the total counted on the first page and a fingerprint of the
filters, so a page is one indexed query whatever its depth and a cursor cannot be replayed with
other filters. Every answer is JSON, errors included; responses are never cached. Requests
count against ``RATE_LIMIT_PER_MINUTE`` per signed-in user (per address before signing in).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import Field, ValidationError
from sqlalchemy import Row
from werkzeug.exceptions import HTTPException

from backend import presenters
from backend.extensions import db_session, resources
from backend.models import Issue
from backend.models.issue_queries import (
    IssueFilter,
    Position,
    after,
    capped,
    issue_count_query,
    issue_query,
)
from backend.web.access import my_tenant, signed_in
from backend.web.security import limiter

api = Blueprint("api", __name__, url_prefix="/api/v1")
# Read per request, so each app counts with its own RATE_LIMIT_PER_MINUTE.
limiter.limit(lambda: f"{resources().settings.rate_limit_per_minute} per minute")(api)

CURSOR_SALT = "api.issues.cursor"


class ListQuery(IssueFilter):
    """The query string of ``GET /issues``: the filters, and the page wanted."""

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = None

    def filters(self) -> IssueFilter:
        return IssueFilter(**self.model_dump(exclude={"limit", "cursor"}, exclude_unset=True))


class InvalidRequest(Exception):
    """A query the API cannot answer; ``fields`` says what is wrong with each parameter."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(fields)
        self.fields = fields


@api.errorhandler(InvalidRequest)
def _invalid(error: InvalidRequest) -> tuple[Response, int]:
    problems = "; ".join(f"{name}: {text}" for name, text in error.fields.items())
    return jsonify(
        error="invalid_request", message=f"Check the query: {problems}.", fields=error.fields
    ), 400


@api.errorhandler(404)
def _not_found(error: HTTPException) -> tuple[Response, int]:
    return jsonify(error="not_found", message="No such issue, or not one you may see."), 404


def _parse_query() -> ListQuery:
    repeated = {
        name: "give this parameter once"
        for name in request.args
        if len(request.args.getlist(name)) > 1
    }
    if repeated:
        raise InvalidRequest(repeated)
    try:
        return ListQuery.model_validate(request.args.to_dict())
    except ValidationError as error:
        fields: dict[str, str] = {}
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "query"
            if problem["type"] == "extra_forbidden":
                fields[name] = "unknown parameter"
            else:
                fields.setdefault(name, problem["msg"].removeprefix("Value error, "))
        raise InvalidRequest(fields) from None


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=CURSOR_SALT)


def _fingerprint(filters: IssueFilter) -> str:
    return hashlib.sha256(filters.model_dump_json().encode()).hexdigest()[:16]


def _read_cursor(cursor: str, filters: IssueFilter) -> tuple[Position, int]:
    """The position and first-page total a cursor carries, or a 400."""
    try:
        last_seen, issue_id, total, fingerprint = _signer().loads(cursor)
        position = Position(datetime.fromisoformat(last_seen), int(issue_id))
    except (BadSignature, ValueError, TypeError):
        raise InvalidRequest({"cursor": "not a cursor this API gave out"}) from None
    if fingerprint != _fingerprint(filters):
        raise InvalidRequest(
            {"cursor": "this cursor belongs to a listing with other filters; keep the filters"}
        )
    return position, int(total)


def _make_cursor(issue: Issue, total: int, filters: IssueFilter) -> str:
    payload = [issue.last_seen_at.isoformat(), issue.id, total, _fingerprint(filters)]
    return _signer().dumps(payload)


@api.get("/issues")
@signed_in
def issues() -> Response:
    query = _parse_query()
    filters = query.filters()
    viewer = (current_user.tenant_id, current_user.id, current_user.is_key_user)
    statement = issue_query(*viewer, filters)
    session = db_session()
    if query.cursor:
        position, total = _read_cursor(query.cursor, filters)
        statement = after(statement, position)
    else:
        total = session.scalar(issue_count_query(*viewer, filters)) or 0
    rows = session.execute(statement.limit(query.limit + 1)).all()
    page = rows[: query.limit]
    hide_titles = my_tenant().config.hide_other_users_titles
    next_cursor = _make_cursor(page[-1].Issue, total, filters) if len(rows) > query.limit else None
    base = _base_url()
    shown, more = capped(total)
    return jsonify(
        items=[_issue_json(row, viewer[1], hide_titles, base) for row in page],
        next_cursor=next_cursor,
        total=shown,
        total_capped=more,
    )


@api.get("/issues/<id:issue_id>")
@signed_in
def issue(issue_id: int) -> Response:
    viewer = (current_user.tenant_id, current_user.id, current_user.is_key_user)
    # The listing's query scopes to what the viewer may see: another tenant's id finds nothing.
    statement = issue_query(*viewer, IssueFilter(status="all")).where(Issue.id == issue_id)
    row = db_session().execute(statement).one_or_none()
    if row is None:
        abort(404)
    hide_titles = my_tenant().config.hide_other_users_titles
    return jsonify(_issue_json(row, current_user.id, hide_titles, _base_url()))


def _base_url() -> str:
    """Where links point: the public address, not the one this request happened to use."""
    return resources().settings.public_base_url.rstrip("/")


def _issue_json(
    row: Row[Any], viewer_id: int, hide_other_users_titles: bool, base: str
) -> dict[str, Any]:
    issue: Issue = row.Issue
    owner = (
        {"id": issue.user_id, "email": row.user_email, "name": row.user_name}
        if issue.user_id is not None and row.user_email is not None
        else None
    )
    return presenters.issue_document(
        issue,
        mailbox_address=row.mailbox_address,
        owner=owner,
        hidden=presenters.title_hidden(issue, viewer_id, hide_other_users_titles),
        base=base,
    )
