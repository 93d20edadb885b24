"""The Admin panel's "This week" (``/admin/week``): the company's sync over the last seven days,
as the weekly digest e-mail shows it, and each key user's choice to get that e-mail."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from backend.extensions import db_session, resources
from backend.models.audit import record_audit
from backend.storage.db import utcnow
from backend.sync import digest
from backend.text import N_
from backend.web.access import key_user_required, me, my_tenant

admin_week = Blueprint("admin_week", __name__, url_prefix="/admin/week")

SENT_ON = (
    N_("Mondays at %(time)s UTC"),
    N_("Tuesdays at %(time)s UTC"),
    N_("Wednesdays at %(time)s UTC"),
    N_("Thursdays at %(time)s UTC"),
    N_("Fridays at %(time)s UTC"),
    N_("Saturdays at %(time)s UTC"),
    N_("Sundays at %(time)s UTC"),
)
"""When the digest goes out, by the settings' weekday (0 is Monday)."""


@admin_week.get("/")
@key_user_required
def show() -> str:
    tenant = my_tenant()
    config = tenant.config
    time = f"{config.digest_hour:02d}:00"
    return render_template(
        "admin/week.html",
        digest=digest.weekly(db_session(), tenant, utcnow(), resources().settings.public_base_url),
        subscribed=me().weekly_digest,
        sent_on=_(SENT_ON[config.digest_weekday], time=time),
        person_link=lambda person: url_for("admin.mailbox", mailbox_id=person.mailbox_id),
    )


@admin_week.post("/digest")
@key_user_required
def subscribe() -> Response:
    """A key user chooses whether the weekly digest comes to them."""
    user, wanted = me(), request.form.get("weekly_digest") == "on"
    if user.weekly_digest != wanted:
        user.weekly_digest = wanted
        record_audit(
            db_session(), tenant_id=user.tenant_id, actor=user, action="user.weekly_digest",
            target_type="user", target_id=str(user.id), details={"weekly_digest": wanted},
        )  # fmt: skip
        db_session().commit()
    flash(_("You get the weekly digest.") if wanted else _("You no longer get the weekly digest."),
          "success")  # fmt: skip
    return redirect(url_for("admin_week.show"))
