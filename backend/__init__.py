"""ssi-sync: keeps mailboxes in step with SAP Cloud for Customer and shows what fails to sync."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from backend import extensions, i18n
from backend.instance import with_development_secrets
from backend.logs import configure_logging
from backend.settings import PROJECT_ROOT, load_settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app (also the context of CLI commands and jobs).

    Args:
        config: values that override the environment, by variable name
            (``{"DATABASE_URL": ..., "TESTING": True}``); Flask's own keys pass through.

    Raises:
        ConfigError: a setting cannot be used (a ``SystemExit`` with a one-line message).
    """
    overrides = dict(config or {})
    environ = {**os.environ, **{key: str(value) for key, value in overrides.items()}}
    settings = load_settings(environ)
    if not settings.is_production:
        settings = with_development_secrets(settings)
    configure_logging(settings.log_level, settings.log_format)

    app = Flask(
        __name__,
        instance_path=str(settings.instance_path),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update({**overrides, "SECRET_KEY": settings.secret_key})
    extensions.init_app(app, settings)
    i18n.init_app(app)

    from backend.auth import signin
    from backend.cli import register_commands
    from backend.web import register_blueprints, request_limits, security

    security.init_app(app, settings)
    request_limits.init_app(app, settings)
    signin.init_app(app, settings.sign_in_providers, settings.dialog_timeouts)
    register_blueprints(app)
    register_commands(app)
    return app
