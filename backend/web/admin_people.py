"""Key users add, import, invite and remove their company's people (``/admin/people``).

The rules are :mod:`backend.tenants.people`'s, the same as ``flask users``:

- ``GET /admin/people/new``: add one person, or import a CSV file (uploaded or pasted).
- ``POST /admin/people/add``: one person; a refusal shows the form again with the reason (422).
- ``POST /admin/people/import``: the file's verdicts line by line; only when every line is
  fine does the page offer to add them all, and adding checks the lines again (``confirmed``).
- ``POST /admin/people/<id>/invite``: a new invitation (older links stop working).
- ``POST /admin/people/<id>/remove``: asks first, then removes (credentials deleted at once).

Each person added gets an invitation e-mail once the change is committed; a mail server that
does not answer leaves the invitation to be sent again from the users table.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from backend.extensions import db_session, resources
from backend.models import User
from backend.sync import employees
from backend.tenants import invitations, people
from backend.text import N_
from backend.web.access import key_user_required, me, my_tenant, tenant_row_or_404
from backend.web.security import limiter

admin_people = Blueprint("admin_people", __name__, url_prefix="/admin/people")

MAX_CSV_BYTES = 512_000
ROLE_CHOICES = (("user", N_("User")), ("key user", N_("Key user")))
"""The roles the form offers: the value as the CSV names it, the label translated where shown."""


def _form_page(status: int = 200, **values: object) -> tuple[str, int]:
    tenant = my_tenant()
    page = render_template(
        "admin/people.html",
        tenant=tenant,
        roles=ROLE_CHOICES,
        systems=[(name, name.replace("-", " ").title()) for name in people.MAIL_SYSTEMS],
        tenant_system=people.system_name(tenant.mail_system),
        **values,
    )
    return page, status


@admin_people.get("/new")
@key_user_required
def new() -> tuple[str, int]:
    return _form_page()


@admin_people.post("/add")
@key_user_required
@limiter.limit("30 per minute")
def add() -> Response | tuple[str, int]:
    form = {key: request.form.get(key, "") for key in ("email", "name", "role", "mail_system")}
    if form["mail_system"] == people.system_name(my_tenant().mail_system):
        form["mail_system"] = ""
    found = people.person(**form)
    lines = [(0, found)]
    try:
        (user,) = _apply(lines)
    except people.Refused as refused:
        db_session().rollback()
        return _form_page(422, one=form, one_problem=str(refused))
    message, category = _invited(user)
    flash(_("%(name)s was added. %(invited)s", name=user.name, invited=message), category)
    return redirect(url_for("admin.users"))


def _apply(lines: list) -> list[User]:
    session, tenant, found = db_session(), my_tenant(), resources()
    added = people.add_people(session, tenant, lines, actor=me(), cipher=found.cipher)
    session.commit()
    employees.match_tenant(session, tenant, found.cipher, found.settings)
    session.commit()
    return added


def _invite(user: User) -> bool:
    """Invite ``user`` (committed first) and e-mail it; whether the mail went out."""
    refused = invitations.invite_and_send(
        db_session(), my_tenant(), user, actor=me(), settings=resources().settings
    )
    return refused is None


def _invited(user: User) -> tuple[str, str]:
    """Invite ``user``; what to tell the key user, and the message's category."""
    if _invite(user):
        return _("An invitation was sent to %(email)s.", email=user.email), "success"
    return (
        _("The invitation to %(email)s could not be sent: send it again later.", email=user.email),
        "error",
    )


@admin_people.post("/import")
@key_user_required
@limiter.limit("30 per minute")
def import_people() -> Response | tuple[str, int]:
    upload = request.files.get("file")
    text = request.form.get("csv", "")
    if upload is not None and upload.filename:
        raw = upload.read(MAX_CSV_BYTES + 1)
        if len(raw) > MAX_CSV_BYTES:
            too_big = _(
                "The file is larger than %(bytes)s bytes.", bytes=format_number(MAX_CSV_BYTES)
            )
            return _form_page(413, csv_problem=too_big)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return _form_page(
                422, csv_problem=_("The file is not UTF-8 text (save it as CSV UTF-8).")
            )
    if not text.strip():
        return _form_page(422, csv_problem=_("Choose a CSV file or paste its lines."))
    try:
        lines = people.read_csv(text)
    except people.Refused as refused:
        return _form_page(422, csv=text, csv_problem=str(refused))
    verdicts = people.check(db_session(), my_tenant(), lines)
    fine = bool(verdicts) and all(verdict.fine for verdict in verdicts)
    if not fine or request.form.get("confirmed") != "yes":
        return _form_page(200 if fine else 422, csv=text, verdicts=verdicts, fine=fine)
    try:
        added = _apply(lines)
    except people.Refused as refused:  # someone added one of them meanwhile
        db_session().rollback()
        return _form_page(422, csv=text, verdicts=refused.verdicts, fine=False)
    unsent = [user.email for user in added if not _invite(user)]
    if unsent:
        message = ngettext("%(num)d person was added.", "%(num)d people were added.", len(added))
        message += " " + _(
            "Invitations could not be sent to %(addresses)s: send them again later.",
            addresses=", ".join(unsent),
        )
    else:
        message = ngettext(
            "%(num)d person was added and invited.", "%(num)d people were added and invited.",
            len(added),
        )  # fmt: skip
    flash(message, "error" if unsent else "success")
    return redirect(url_for("admin.users"))


@admin_people.post("/<id:user_id>/invite")
@key_user_required
@limiter.limit("30 per minute")
def invite(user_id: int) -> Response:
    user = tenant_row_or_404(User, user_id)
    if user.removed_at is not None:
        flash(_("%(email)s was removed; add them again first.", email=user.email), "error")
    else:
        flash(*_invited(user))
    return redirect(url_for("admin.users"))


@admin_people.post("/<id:user_id>/remove")
@key_user_required
def remove(user_id: int) -> Response | str:
    user = tenant_row_or_404(User, user_id)
    if request.form.get("confirmed") != "yes":
        return render_template("admin/remove_person.html", person=user)
    session = db_session()
    try:
        people.remove_person(session, my_tenant(), user, actor=me(), cipher=resources().cipher)
    except people.Refused as refused:
        flash(str(refused), "error")
        return redirect(url_for("admin.users"))
    session.commit()
    flash(
        _("%(name)s was removed: their mailbox credentials are deleted.", name=user.name),
        "success",
    )
    return redirect(url_for("admin.users"))
