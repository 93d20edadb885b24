"""Synchronization Dashboard: a user's sync status, their issues, and the fixes they can make."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from backend import i18n, presenters
from backend.actions import mailbox as mailbox_actions
from backend.extensions import db_session, resources
from backend.models import Issue, Mailbox, Run, SyncItem
from backend.models.issue import Resolution
from backend.models.issue_queries import keyset_page
from backend.models.types import ITEM_TYPE_LABELS, ItemType
from backend.savedialog import can_fix
from backend.storage.db import utcnow
from backend.sync import services
from backend.sync import warnings as sync_warnings
from backend.sync.health import health_of
from backend.text import N_
from backend.web.access import me, my_mailbox, my_tenant, signed_in, visible_issue_or_404

dashboard = Blueprint("dashboard", __name__)

RUNS_SHOWN = 10
LOOK_RECORDED_EVERY = timedelta(hours=1)


def _mailbox_or_404() -> Mailbox:
    mailbox = my_mailbox()
    if mailbox is None:
        abort(404)
    return mailbox


def _looked() -> None:
    """Remember that the user opened the dashboard (written at most hourly): a user who never
    looks while issues pile up is named to the key users."""
    user, now = me(), utcnow()
    if user.last_dashboard_at is None or now - user.last_dashboard_at >= LOOK_RECORDED_EVERY:
        user.last_dashboard_at = now
        db_session().commit()


def _warnings(tenant_id: int, mailbox: Mailbox) -> list[presenters.WarningView]:
    """The user's mailbox's warnings; a key user's also the company's."""
    session = db_session()
    found = sync_warnings.open_for(session, tenant_id, mailbox.id)
    if me().is_key_user:
        found += sync_warnings.open_in_tenant(session, tenant_id, company_only=True)
    return presenters.warning_views(found, resources().settings.public_base_url)


_OPEN_COUNTS = (
    select(Issue.item_type, func.count())
    .where(Issue.mailbox_id == bindparam("mailbox_id"), Issue.resolved_at.is_(None))
    .group_by(Issue.item_type)
)
"""Built once, as the statements below: the dashboard's pages ask them on every view."""


def _open_counts(mailbox_id: int) -> dict[ItemType | None, int]:
    rows = db_session().execute(_OPEN_COUNTS, {"mailbox_id": mailbox_id})
    return {item_type: count for item_type, count in rows}


@dashboard.get("/")
@signed_in
def home() -> str:
    tenant, mailbox = my_tenant(), my_mailbox()
    if mailbox is None:
        return render_template("dashboard/no_mailbox.html")
    _looked()
    session = db_session()
    synced = dict(
        session.execute(
            select(SyncItem.item_type, func.count())
            .where(SyncItem.mailbox_id == mailbox.id, SyncItem.c4c_object_id.is_not(None))
            .group_by(SyncItem.item_type)
        ).all()
    )
    runs = session.scalars(
        select(Run)
        .where(Run.mailbox_id == mailbox.id)
        .order_by(Run.started_at.desc())
        .limit(RUNS_SHOWN)
    ).all()
    enabled = {t for t, s in tenant.config.item_types.items() if s.enabled}
    return render_template(
        "dashboard/status.html",
        tenant=tenant,
        mailbox=mailbox,
        mailbox_pill=presenters.mailbox_pill(mailbox),
        c4c_pill=presenters.c4c_pill(health_of(session, tenant.id, services.C4C)),
        provider=presenters.provider_label(mailbox.provider),
        types=[(t, label) for t, label in ITEM_TYPE_LABELS.items() if t in enabled],
        synced=synced,
        progress=presenters.import_progress(mailbox),
        open_counts=_open_counts(mailbox.id),
        runs=runs,
        time_zones=i18n.time_zones(),
        warnings=_warnings(tenant.id, mailbox),
    )


@dashboard.get("/issues")
@signed_in
def issues() -> str:
    """The user's open issues, newest first, a page at a time (:func:`keyset_page`), grouped
    by item type with each type's count."""
    tenant, mailbox = my_tenant(), _mailbox_or_404()
    _looked()
    session = db_session()
    statement = (
        select(Issue)
        .where(Issue.mailbox_id == mailbox.id, Issue.resolved_at.is_(None))
        .order_by(Issue.last_seen_at.desc(), Issue.id.desc())
    )
    older = request.args.get("older")
    try:
        rows, next_after = keyset_page(
            session, statement, older, tenant_id=tenant.id, mailbox_id=mailbox.id, size=ISSUES_SHOWN
        )
    except ValueError as error:
        abort(400, description=str(error))
    shown = [row.Issue for row in rows]
    counts = _open_counts(mailbox.id)
    recent = [] if older is not None else _recently_resolved(session, mailbox.id)
    groups: dict[ItemType | None, list[Issue]] = {}
    for issue in shown:
        groups.setdefault(issue.item_type, []).append(issue)
    user, settings, c4c_link = me(), resources().settings, presenters.c4c_item_links(tenant)
    return render_template(
        "dashboard/issues.html",
        tenant=tenant,
        mailbox=mailbox,
        groups=groups,
        counts=counts,
        older=next_after,
        paged=older is not None,
        labels=ITEM_TYPE_LABELS,
        total=sum(counts.values()),
        links={
            issue.id: (
                c4c_link(issue.item_type, issue.c4c_object_id),
                presenters.mailbox_item_link(
                    tenant, mailbox, issue.item_type, issue.mailbox_item_id, settings
                ),
                presenters.help_mailto(issue, user, settings.support_email),
            )
            for issue in shown
        },
        fixable={issue.id for issue in shown if can_fix(issue)},
        fix_url=presenters.url_maker("fix.form", "issue_id"),
        retry_url=presenters.url_maker("dashboard.retry", "issue_id"),
        recent=recent,
        resolutions=RESOLUTION_WORDS,
    )


ISSUES_SHOWN = 25
"""Open issues on a page of the Issues tab. Each is a card of six lines with its advice and
actions: twenty-five fill a few screens (as an issue tracker's list of twenty-five does), and
a page takes about 30 % less to make than one of fifty; "Older issues" shows the next ones."""

RECENT_DAYS = 7
RECENT_SHOWN = 10
RESOLUTION_WORDS = {
    Resolution.AUTO: N_("Resolved by the sync"),
    Resolution.USER_FIX: N_("Fixed by you"),
    Resolution.KEY_USER: N_("Resolved by a key user"),
    Resolution.IGNORED: N_("Ignored"),
}


_RECENTLY_RESOLVED = (
    select(Issue)
    .where(Issue.mailbox_id == bindparam("mailbox_id"), Issue.resolved_at > bindparam("since"))
    .order_by(Issue.resolved_at.desc(), Issue.id.desc())
    .limit(RECENT_SHOWN)
)


def _recently_resolved(session: Session, mailbox_id: int) -> list[Issue]:
    """The mailbox's issues resolved in the last week, newest first: what the sync decided on
    its own (a conflict, an item deleted on one side) is shown nowhere else to the user."""
    since = utcnow() - timedelta(days=RECENT_DAYS)
    return list(session.scalars(_RECENTLY_RESOLVED, {"mailbox_id": mailbox_id, "since": since}))


@dashboard.post("/preferences")
@signed_in
def preferences() -> Response:
    """The user's language and time zone: one the product knows, or none (the browser's
    language, UTC)."""
    language, zone = request.form.get("language", ""), request.form.get("time_zone", "")
    chosen_language = i18n.language_of(language) if language else None
    chosen_zone = i18n.time_zone_of(zone) if zone else None
    if (language and chosen_language is None) or (zone and chosen_zone is None):
        abort(400, description="Unknown language or time zone.")
    user = me()
    user.language, user.time_zone = chosen_language, chosen_zone
    db_session().commit()
    current_user.language, current_user.time_zone = chosen_language, chosen_zone
    refresh()  # this answer already speaks the new language
    flash(_("Saved."), "success")
    return redirect(url_for("dashboard.home"))


@dashboard.post("/mailbox/<action>")
@signed_in
def mailbox_action(action: str) -> Response:
    mailbox, session, found = _mailbox_or_404(), db_session(), resources()
    try:
        if action == "pause":
            mailbox_actions.pause(session, mailbox, me())
            flash(_("Synchronization is paused."), "success")
        elif action == "resume":
            mailbox_actions.resume(session, mailbox, me())
            flash(_("Synchronization resumed."), "success")
        elif action == "force":
            mailbox_actions.force(session, found.redis, mailbox, me(), found.settings)
            flash(_("A sync has started. This page shows its result when it ends."), "success")
        else:
            abort(404)
    except mailbox_actions.ActionRefused as refused:
        session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("dashboard.home"))
    session.commit()
    return redirect(url_for("dashboard.home"))


@dashboard.post("/issues/<id:issue_id>/retry")
@signed_in
def retry(issue_id: int) -> Response:
    issue, found = visible_issue_or_404(issue_id), resources()
    try:
        queued = mailbox_actions.retry_item(db_session(), found.redis, issue, found.settings)
    except mailbox_actions.AlreadyResolved as resolved:
        flash(str(resolved), "success")
        return redirect(url_for("dashboard.issues"))
    if not queued:
        flash(
            _("This issue is about the whole mailbox; it clears when the mailbox syncs."), "error"
        )
        return redirect(url_for("dashboard.issues"))
    hidden = presenters.title_hidden(issue, me().id, my_tenant().config.hide_other_users_titles)
    if issue.title and not hidden:
        flash(_("“%(title)s” will be tried again in a moment.", title=issue.title), "success")
    else:
        flash(_("The item will be tried again in a moment."), "success")
    return redirect(url_for("dashboard.issues") + f"#issue-{issue.id}")
