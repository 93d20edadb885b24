"""Admin panel for key users: users and their mailboxes, all issues, settings, audit log.

Every route is for key users of the tenant (a plain user gets 403) and sees only that tenant:
ids of another tenant answer 404. The work happens in :mod:`backend.actions.mailbox` and the
``admin_*`` modules next to this one; the views read the request and pick the template. The
pages speak the reader's language; times are shown in UTC (:func:`utc_time`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from pydantic import ValidationError
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from backend import presenters
from backend.extensions import db_session, resources
from backend.i18n import page_clock
from backend.jobs import system as job_system
from backend.models import Issue, Mailbox, User
from backend.models.audit import record_audit
from backend.models.issue import Resolution, Source
from backend.models.issue_queries import (
    capped,
    issue_count_query,
    issue_query,
    keyset_page,
    row_id,
)
from backend.models.mailbox import HealthStatus
from backend.models.types import ITEM_TYPE_LABELS, IssueCode
from backend.presenters import title_hidden
from backend.storage.db import utcnow
from backend.sync import warnings as sync_warnings
from backend.tenants import invitations
from backend.text import N_
from backend.web import admin_audit, admin_forms, admin_issues, admin_users
from backend.web.access import key_user_required, me, my_tenant, tenant_row_or_404
from backend.web.admin_bulk import ACTIONS, apply_bulk
from backend.web.admin_csv import csv_lines
from backend.web.admin_paging import Page
from backend.web.admin_users import ACCESS_LABELS, UsersFilter
from backend.web.health import dependency_problems, job_problems

admin = Blueprint("admin", __name__, url_prefix="/admin")

CSV_BATCH = 500
SIDES = {
    Source.C4C: "SAP",
    Source.EXCHANGE: "Exchange",
    Source.GRAPH: "Exchange Online",
    Source.GMAIL: "Gmail",
    Source.ENGINE: N_("Sync service"),
}
"""What a run's failing side is called in the detail view (translated where shown)."""
RESOLUTIONS = {
    Resolution.AUTO: N_("auto"),
    Resolution.USER_FIX: N_("user fix"),
    Resolution.KEY_USER: N_("key user"),
    Resolution.IGNORED: N_("ignored"),
}
"""How a resolved issue was resolved, as the issues table says it (translated where shown)."""


@admin.app_template_filter("utc_time")
@pass_context
def utc_time(context: Context, moment: datetime, seconds: bool = False) -> str:
    """A time in UTC as the Admin panel's tables show it, in the reader's language:
    ``04 Dec 2024, 14:20`` (``04 Dez. 2024, 14:20``); ``seconds`` adds them."""
    pattern = "dd MMM yyyy, HH:mm:ss" if seconds else "dd MMM yyyy, HH:mm"
    return page_clock(context)(moment, pattern, UTC)


@admin.app_template_global("when")
@pass_context
def when(context: Context, moment: datetime | None, empty: str = "—") -> Markup:
    """A moment as the Admin panel's tables show it: ``<time>`` in UTC (:func:`utc_time`), or
    ``empty`` when there is none. A function, not a macro: the issues list shows fifty, and a
    macro call costs as much as the rest of a row."""
    if not moment:
        return Markup(f'<span class="muted">{escape(empty)}</span>')
    shown = escape(utc_time(context, moment))
    return Markup(f'<time datetime="{escape(presenters.utc_iso(moment))}">{shown}</time>')


@admin.get("/")
@key_user_required
def users() -> str | BaseResponse:
    try:
        filters, problem = UsersFilter.model_validate(request.args.to_dict()), None
    except ValidationError:
        filters, problem = UsersFilter(), _("The filters were not understood; showing all users.")
    rows = db_session().execute(admin_users.users_query(current_user.tenant_id, filters)).all()
    if not rows and filters.page > 1:
        return redirect(url_for("admin.users", **filters.query_args(page=1)))
    lines, total = admin_users.user_rows(rows)
    latest = invitations.latest_of(db_session(), [line.user.id for line in lines])
    now = utcnow()
    return render_template(
        "admin/users.html",
        sap_connected=bool(my_tenant().c4c_base_url),
        access={
            line.user.id: invitations.state_of(line.user, latest.get(line.user.id), now)
            for line in lines
        },
        access_labels=ACCESS_LABELS,
        outages=admin_users.outages(db_session(), current_user.tenant_id),
        warnings=presenters.warning_views(
            sync_warnings.open_in_tenant(db_session(), current_user.tenant_id),
            resources().settings.public_base_url,
            admin=True,
        ),
        warnings_total=sync_warnings.count_open(db_session(), current_user.tenant_id),
        rows=lines,
        filters=filters,
        problem=problem,
        page=Page(filters.page, total),
        statuses=[(status, admin_users.status_pill(status).label) for status in HealthStatus],
        actions=ACTIONS.values(),
    )


@admin.get("/mailboxes/<int:mailbox_id>")
@key_user_required
def mailbox(mailbox_id: int) -> str:
    """One mailbox's recent runs, with the technical detail behind each failure."""
    found = tenant_row_or_404(Mailbox, mailbox_id)
    session = db_session()
    return render_template(
        "admin/mailbox.html",
        mailbox=found,
        owner=session.get(User, found.user_id),
        pill=admin_users.pill_of(found),
        runs=admin_users.recent_runs(session, found.id),
        sides=SIDES,
    )


@admin.post("/bulk")
@key_user_required
def bulk() -> BaseResponse:
    """Apply one action to the selected mailboxes and say in one message what happened.

    Every id must be a mailbox of the key user's tenant: if one is not, the answer is 404 and
    nothing changes (the same answer as for an id that does not exist). An action with a
    warning (revoke, reset, approve) changes nothing until it is confirmed (``confirmed=yes``,
    sent by the page's dialog or by the confirmation page answered here otherwise).
    """
    action = ACTIONS.get(request.form.get("action", ""))
    if action is None:
        abort(400)
    back = url_for("admin.users", **_users_filter(request.form.get("back", "")).query_args())
    raw_ids = request.form.getlist("mailbox_id")
    if not all(raw.isdigit() for raw in raw_ids):
        abort(400)
    ids = {int(raw) for raw in raw_ids}
    if not ids:
        flash(_("Select at least one mailbox first."), "error")
        return redirect(back)
    session = db_session()
    mailboxes = session.scalars(
        select(Mailbox).where(Mailbox.id.in_(ids), Mailbox.tenant_id == current_user.tenant_id)
    ).all()
    if len(mailboxes) != len(ids):
        abort(404)
    if action.warning and request.form.get("confirmed") != "yes":
        return render_template(  # type: ignore[return-value]
            "admin/confirm.html", action=action, mailboxes=sorted(m.address for m in mailboxes),
            ids=sorted(ids), back=request.form.get("back", ""), cancel=back,
        )  # fmt: skip
    outcome = apply_bulk(session, action, list(mailboxes), me(), resources())
    session.commit()
    flash(outcome.summary, outcome.category)
    return redirect(back)


@admin.get("/issues")
@key_user_required
def issues() -> str:
    """The tenant's issues, newest first, a page at a time (:func:`keyset_page`), with a
    capped count."""
    filters, problem = admin_issues.read_filters(request.args)
    viewer = (current_user.tenant_id, current_user.id, True)
    session = db_session()
    start = request.args.get("after")
    try:
        rows, next_after = keyset_page(
            session, issue_query(*viewer, filters), start, tenant_id=current_user.tenant_id
        )
    except ValueError as error:
        abort(400, description=str(error))
    total, more = capped(session.scalar(issue_count_query(*viewer, filters)) or 0)
    hide_titles, viewer_id = my_tenant().config.hide_other_users_titles, current_user.id
    return render_template(
        "admin/issues.html",
        rows=rows,
        total=total,
        capped=more,
        after_id=start,
        older=next_after,
        filters=filters,
        filter_args=admin_issues.filter_args(filters),
        problem=problem,
        hidden_titles={
            row.Issue.id for row in rows if title_hidden(row.Issue, viewer_id, hide_titles)
        },
        ignore_url=presenters.url_maker("admin.ignore_issue", "issue_id"),
        people=admin_issues.people(session, current_user.tenant_id),
        user_typed=admin_issues.user_typed(
            session, current_user.tenant_id, filters.user, request.args.get("user", "")
        ),
        item_types=ITEM_TYPE_LABELS,
        type_options=[(item_type, _(label)) for item_type, label in ITEM_TYPE_LABELS.items()],
        code_options=[(code.value, code.value) for code in IssueCode],
        resolutions=RESOLUTIONS,
    )


@admin.get("/issues.csv")
@key_user_required
def issues_csv() -> Response:
    filters, problem = admin_issues.read_filters(request.args)
    if problem:
        abort(400)
    tenant, viewer_id = my_tenant(), current_user.id
    statement = issue_query(tenant.id, viewer_id, True, filters)
    hide_titles = tenant.config.hide_other_users_titles

    @stream_with_context
    def lines() -> Iterator[str]:
        # Read in the generator: the view's session is closed once the view returns.
        rows = db_session().execute(statement.execution_options(yield_per=CSV_BATCH))
        yield from csv_lines(rows, viewer_id, hide_titles)

    name = f"issues-{tenant.slug}-{datetime.now(UTC):%Y%m%d-%H%M}.csv"
    return Response(
        lines(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@admin.post("/issues/<id:issue_id>/ignore")
@key_user_required
def ignore_issue(issue_id: int) -> BaseResponse:
    issue, session = tenant_row_or_404(Issue, issue_id), db_session()
    if admin_issues.ignore(session, issue, me()):
        session.commit()
        flash(_("The issue is resolved as ignored. It opens again if the failure comes back."))
    else:
        flash(_("This issue was already resolved."), "error")
    back = admin_issues.filter_args(admin_issues.read_filters(request.form)[0])
    start = row_id(request.form.get("after", ""))
    return redirect(url_for("admin.issues", **back, **({"after": start} if start else {})))


@admin.get("/settings")
@key_user_required
def settings() -> str:
    return _settings_page(admin_forms.values_of(my_tenant().config), {})


@admin.post("/settings")
@key_user_required
def save_settings() -> tuple[str, int] | BaseResponse:
    values = admin_forms.submitted_values(request.form)
    tenant, session = my_tenant(), db_session()
    new, errors = admin_forms.parse_settings(values, tenant.config, me().oidc_directory)
    if new is None:
        return _settings_page(values, errors), 422
    changed = admin_forms.changes(tenant.config, new)
    if not changed:
        flash(_("Nothing changed."))
        return redirect(url_for("admin.settings"))
    tenant.config = new
    record_audit(
        session,
        tenant_id=tenant.id,
        actor=me(),
        action="tenant.settings",
        target_type="tenant",
        target_id=str(tenant.id),
        details={"changes": changed},
    )
    session.commit()
    flash(_("Settings saved (%(num)d changed).", num=len(changed)), "success")
    return redirect(url_for("admin.settings"))


@admin.get("/audit")
@key_user_required
def audit() -> str | BaseResponse:
    try:
        filters, problem = admin_audit.AuditFilter.model_validate(request.args.to_dict()), None
    except ValidationError:
        filters, problem = admin_audit.AuditFilter(), _("The filters were not understood.")
    session = db_session()
    rows = session.execute(admin_audit.audit_query(current_user.tenant_id, filters)).all()
    if not rows and filters.page > 1:
        return redirect(url_for("admin.audit", **filters.query_args(page=1)))
    return render_template(
        "admin/audit.html",
        events=[row.AuditEvent for row in rows],
        page=Page(filters.page, rows[0].total if rows else 0),
        filters=filters,
        problem=problem,
        action_options=[
            (action, action)
            for action in session.scalars(admin_audit.actions_query(current_user.tenant_id))
        ],
        detail_lines=admin_audit.detail_lines,
    )


@admin.get("/system")
@key_user_required
def system() -> str:
    """What ``/readyz`` says only as ok or failing, with the servers' own words; the workers,
    queues and scheduler; and the company's own share of them."""
    found = resources()
    problems = dependency_problems(found)
    if not problems["redis"]:
        problems.update(job_problems(found))
    interval = timedelta(seconds=found.settings.sync_interval_seconds)
    share = job_system.company_share(db_session(), found.redis, my_tenant().id, utcnow(), interval)
    return render_template(
        "admin/system.html", problems=problems, machinery=job_system.machinery(found.redis),
        share=share, interval=found.settings.sync_interval_seconds,
    )  # fmt: skip


def _settings_page(values: admin_forms.FormValues, errors: dict[str, str]) -> str:
    return render_template(
        "admin/settings.html",
        values=values,
        errors=errors,
        item_types=ITEM_TYPE_LABELS,
        directions=admin_forms.DIRECTION_LABELS,
        conflicts=admin_forms.CONFLICT_LABELS,
        from_sap=admin_forms.FROM_SAP_LABELS,
        forbidden=admin_forms.FORBIDDEN_LABELS,
        reminders=admin_forms.REMINDER_LABELS,
        weekdays={str(number): day for number, day in enumerate(admin_forms.WEEKDAYS)},
        operations=admin_forms.OPERATIONS,
        default_threshold=resources().settings.notify_failure_threshold,
        graph_app_tenant_id=my_tenant().config.graph_app_tenant_id,
        microsoft_sign_in=resources().settings.sign_in_provider("microsoft") is not None,
    )


def _users_filter(query_string: str) -> UsersFilter:
    """The users table's filters a bulk form came from, to go back to the same view."""
    try:
        return UsersFilter.model_validate(dict(parse_qsl(query_string)))
    except ValidationError:
        return UsersFilter()
