"""HTTP blueprints. Views are thin: they call services, jobs and the Save dialog."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, redirect, render_template, request, url_for
from flask_login import AnonymousUserMixin, current_user
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from backend import presenters
from backend.auth.signin import login_manager
from backend.extensions import resources
from backend.text import N_
from backend.web.access import RowId
from backend.web.security import API_PREFIXES, limiter

log = logging.getLogger(__name__)

DATABASE_LOST = N_(
    "The service cannot reach its database right now. Nothing was changed; try again in a minute."
)
NOT_HERE = {
    404: (
        N_("Page not found"),
        N_("There is no such page here. Check the address, or start again from the dashboard."),
    ),
    405: (
        N_("Not possible here"),
        N_("This page cannot be used that way. Start again from the dashboard."),
    ),
}
"""What a page that is not there, or not for that method, says (an API answers in JSON)."""


def register_blueprints(app: Flask) -> None:
    from backend.web.addin_api import addin_api
    from backend.web.addin_pages import addin
    from backend.web.admin import admin
    from backend.web.admin_connections import admin_connections
    from backend.web.admin_consent import admin_consent
    from backend.web.admin_people import admin_people
    from backend.web.admin_week import admin_week
    from backend.web.api import api
    from backend.web.dashboard import dashboard
    from backend.web.fix import fix
    from backend.web.gmail_addon import gmail_addon
    from backend.web.health import health
    from backend.web.invitations import invitation
    from backend.web.links import links
    from backend.web.reactivation import reactivation

    app.url_map.converters["id"] = RowId
    limiter.exempt(health)
    blueprints = (health, dashboard, fix, reactivation, admin, admin_consent, api, addin,
                  addin_api, gmail_addon, links, invitation, admin_people,
                  admin_connections, admin_week)  # fmt: skip
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    app.add_template_filter(presenters.utc_iso, "utc_iso")
    app.add_template_filter(presenters.source_label, "source_label")
    app.add_template_filter(presenters.types_read_in_full, "types_read_in_full")
    app.add_template_filter(presenters.action_of, "action")
    app.add_template_filter(presenters.message_of, "message")
    app.add_template_filter(presenters.run_error_of, "run_error")
    app.add_template_filter(presenters.status_reason_of, "status_reason")
    app.add_template_global(presenters.awaits_connection, "awaits_connection")

    @login_manager.unauthorized_handler
    def unauthorized() -> Response | tuple[Response, int]:
        if request.path.startswith(API_PREFIXES):
            return jsonify(error="unauthorized", message="Sign in first."), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.errorhandler(404)
    @app.errorhandler(405)
    def not_here(error: HTTPException) -> Response | tuple[str, int]:
        if request.path.startswith(API_PREFIXES):
            return jsonify(error="not_found" if error.code == 404 else "method_not_allowed",
                           message=error.description), error.code  # fmt: skip
        title, message = NOT_HERE[error.code or 404]
        return render_template("error.html", title=title, message=message), error.code or 404

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_lost(error: DBAPIError) -> tuple[Response | str, int]:
        """A lost database connection reads as plain words; its text goes to the log only."""
        log.error("database error on %s: %s", request.path, error)
        resources().scoped.remove()
        if request.path.startswith(API_PREFIXES):
            return jsonify(error="unavailable", message=DATABASE_LOST), 503
        # The page must not look the signed-in user up again: flask-login keeps the current
        # user in ``g._login_user``, so an anonymous one there stops it from asking the database.
        g._login_user = AnonymousUserMixin()
        title = N_("Temporarily unavailable")
        page = render_template("error.html", title=title, message=DATABASE_LOST)
        return page, 503

    @app.context_processor
    def signed_in_user() -> dict[str, object]:
        return {"current_user": current_user}
