"""The Save dialog on the dashboard: fix an item in a form and sync it at once."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from backend import savedialog
from backend.extensions import db_session, resources
from backend.models import Issue
from backend.web.access import me, signed_in, visible_issue_or_404
from backend.web.security import limiter

fix = Blueprint("fix", __name__)


def _language() -> str:
    """The reader's language: the Save dialog asks C4C for its labels in it."""
    return get_locale().language


def _kept(
    form: savedialog.SaveForm | None, issue: Issue, values: dict[str, str], message: str
) -> savedialog.SaveForm:
    """The form again with what was typed and ``message`` on top (a side could not be reached)."""
    if form is None:
        return savedialog.fallback_form(issue, values, message)
    return replace(form, errors=(*form.errors, message))


def _render(form: savedialog.SaveForm, candidates: list | None = None, query: str = "") -> str:
    return render_template("dashboard/fix.html", form=form, candidates=candidates, query=query)


def _already_fixed(
    issue: Issue, error: savedialog.SaveDialogError, typed: dict[str, str] | None = None
) -> str:
    """The issue was resolved meanwhile: say so, with what is saved and what was typed."""
    saved = {field.name: field for field in error.saved}
    not_saved = [
        (saved[name].label, text.strip())
        for name, text in (typed or {}).items()
        if name in saved and text.strip() and text.strip() != saved[name].value.strip()
    ]
    return render_template("dashboard/fixed.html", issue=issue, message=error.message,
                           saved=error.saved, not_saved=not_saved)  # fmt: skip


@fix.get("/issues/<id:issue_id>/fix")
@signed_in
def form(issue_id: int) -> str | Response:
    issue = visible_issue_or_404(issue_id)
    try:
        found = savedialog.open_form(
            db_session(), resources(), issue, viewer=me(), language=_language()
        )
    except savedialog.SaveDialogError as error:
        if error.code is savedialog.DialogErrorCode.ALREADY_FIXED:
            return _already_fixed(issue, error)
        flash(str(error), "error")
        return redirect(url_for("dashboard.issues"))
    return _render(found)


@fix.post("/issues/<id:issue_id>/fix")
@signed_in
@limiter.limit("30 per minute")
def submit(issue_id: int) -> str | Response | tuple[str, int]:
    issue = visible_issue_or_404(issue_id)
    session, found = db_session(), resources()
    values = {
        key[len("field-") :]: value
        for key, value in request.form.items()
        if key.startswith("field-")
    }
    related_id = request.form.get("related_id") or None
    typed: savedialog.SaveForm | None = None
    try:
        if request.form.get("action") == "search":
            query = request.form.get("related_query", "").strip()
            typed = savedialog.with_values(
                savedialog.open_form(session, found, issue, viewer=me(), language=_language()),
                values,
            )
            candidates = (
                savedialog.search_related(session, found, issue, query, viewer=me())
                if query
                else []
            )
            return _render(typed, candidates, query)
        result = savedialog.submit(
            session, found, issue, values, me(), related_id=related_id, language=_language()
        )
    except savedialog.SaveDialogError as error:
        if error.code is savedialog.DialogErrorCode.ALREADY_FIXED:
            return _already_fixed(issue, error, values), 409
        if error.code is savedialog.DialogErrorCode.UNAVAILABLE:
            return _render(_kept(typed, issue, values, str(error))), 503
        flash(str(error), "error")
        return redirect(url_for("dashboard.issues"))
    if result.ok:
        flash(_("“%(title)s” is saved and in sync.", title=result.form.title), "success")
        return redirect(url_for("dashboard.issues"))
    return _render(result.form), 422
