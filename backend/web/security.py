"""What every response and every state-changing request gets: CSRF checks, security headers,
session cookie flags and rate limits.

Pages are never framed, except the few an Outlook add-in or the Gmail add-on shows inside the
mail client: those are marked with :func:`framed_by_mail_clients`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, g, jsonify, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from backend.extensions import resources
from backend.settings import Settings
from backend.text import N_

F = TypeVar("F", bound=Callable[..., object])

MAIL_CLIENT_HOSTS = (
    "https://outlook.office.com",
    "https://outlook.office365.com",
    "https://outlook.live.com",
    "https://mail.google.com",
)
"""The only origins that may frame a page (task pane, add-on side panel)."""
API_PREFIXES = ("/api/", "/addin/api/", "/gmail-addon/")
"""Paths that answer JSON, errors included."""
HSTS = "max-age=31536000; includeSubDomains"
"""``Strict-Transport-Security`` of production answers: https only, for a year."""


def _client_key() -> str:
    """Who a rate limit counts: the signed-in user, else the address (a whole office behind
    one NAT address must not share one budget once signed in)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{get_remote_address()}"


csrf = CSRFProtect()
limiter = Limiter(key_func=_client_key)


def framed_by_mail_clients(view: F) -> F:
    """Let Outlook and Gmail (and no one else) show this page in a frame."""

    @wraps(view)
    def wrapper(*args: object, **kwargs: object) -> object:
        g.frame_ancestors = MAIL_CLIENT_HOSTS + resources().settings.mail_client_origins
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def rate_limit_storage(redis_url: str | None) -> str:
    """Counters live in ``REDIS_URL`` so all web processes share them; without it (one local
    process) in memory."""
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+" + redis_url
    return redis_url


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        SESSION_COOKIE_NAME="ssi_session",
        # A signed-in session lasts this long after sign-in, whatever the cookie says.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_lifetime_hours),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.is_production,
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_HEADERS_ENABLED=True,
        # Redis down must not take the site down: count in memory until it is back.
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
    )
    app.config.setdefault("RATELIMIT_STORAGE_URI", rate_limit_storage(settings.redis_url))
    app.config.setdefault("RATELIMIT_DEFAULT", f"{settings.rate_limit_per_minute} per minute")
    csrf.init_app(app)
    limiter.init_app(app)
    form_targets = " ".join(
        ["'self'", *sorted({origin(p.metadata_url) for p in settings.sign_in_providers})]
    )

    def security_headers(response: Response) -> Response:
        if settings.is_production:
            # Production is served over https only: browsers must never try plain http.
            response.headers["Strict-Transport-Security"] = HSTS
        return _security_headers(response, form_targets)

    app.after_request(security_headers)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.register_error_handler(429, _too_many)


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, as CSP source lists name origins."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _security_headers(response: Response, form_targets: str) -> Response:
    """Forms post here or to a sign-in provider (a redirect after a post counts as its target)."""
    ancestors = " ".join(g.get("frame_ancestors", ())) or "'none'"
    scripts = " ".join(["'self'", *g.get("script_origins", ())])
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; form-action {form_targets}; base-uri 'none'; object-src 'none'; "
        f"frame-ancestors {ancestors}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if not g.get("frame_ancestors"):
        response.headers["X-Frame-Options"] = "DENY"
    if request.path.startswith((*API_PREFIXES, "/auth/")) or response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _wants_json() -> bool:
    return (
        request.path.startswith(API_PREFIXES) or request.accept_mimetypes.best == "application/json"
    )


def _csrf_refused(error: CSRFError) -> tuple[Response | str, int]:
    message = N_(
        "This form has expired or did not come from this site. Reload the page and try again."
    )
    if _wants_json():
        return jsonify(error="csrf", message=message), 400
    refused = N_("Request refused")
    return render_template("error.html", status=400, title=refused, message=message), 400


def _too_many(error: Exception) -> tuple[Response | str, int]:
    message = N_("Too many requests. Wait a minute, then try again.")
    if _wants_json():
        return jsonify(error="rate_limited", message=message), 429
    return render_template("error.html", status=429, title=N_("Slow down"), message=message), 429
