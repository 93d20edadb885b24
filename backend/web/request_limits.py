"""What a request may cost before anyone knows who sent it.

- A body larger than ``MAX_REQUEST_BYTES`` is refused (413) before anything reads it.
- JSON nested too deeply to parse is a bad request (400), never a server error.
- ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only from the load balancers
  named in ``TRUSTED_PROXIES``, so a client cannot pick its own address (and with it a fresh
  rate-limit budget), and all clients behind the load balancer are told apart.
- The token APIs (Outlook add-in, Gmail add-on) count refused requests (401) per address:
  past ``RATE_LIMIT_REFUSED_PER_MINUTE`` an address is turned away (429) before its tokens
  are checked, so trying a new made-up token on every request is throttled too. (Gmail's
  calls all come from Google's servers: only refusals of callers that are not Google count.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, abort, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.extensions import resources
from backend.settings import Settings
from backend.text import N_
from backend.web.security import API_PREFIXES, limiter

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
PLAIN_ANSWERS = {
    400: ("bad_request", N_("The request could not be understood (for JSON: is it well formed?).")),
    413: ("too_large", N_("The request is larger than this server accepts.")),
    415: (
        "unsupported_media_type",
        N_("Send the request as JSON (Content-Type: application/json)."),
    ),
}
"""English: an API answers in it; a page says it in the reader's language."""


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that JSON nested too deeply to parse is malformed JSON (a
    ``ValueError``: 400 from ``request.get_json()``, ``None`` with ``silent=True``)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


class TrustedProxies:
    """WSGI middleware: :class:`ProxyFix` (one proxy's ``X-Forwarded-For`` and
    ``X-Forwarded-Proto``) only for requests whose peer is one of ``networks``."""

    def __init__(self, app: Callable[..., Any], networks: tuple[Network, ...]) -> None:
        self.plain = app
        self.fixed = ProxyFix(app, x_for=1, x_proto=1)
        self.networks = networks

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            peer = ipaddress.ip_address(environ.get("REMOTE_ADDR", ""))
        except ValueError:
            return self.plain(environ, start_response)
        trusted = any(peer in network for network in self.networks)
        return (self.fixed if trusted else self.plain)(environ, start_response)


def count_refusals_per_address(
    blueprint: Blueprint, counts: Callable[[Response], bool] = lambda answer: True
) -> None:
    """Turn an address away from ``blueprint`` once too many of its requests were refused
    (401) this minute; requests that pass authentication cost nothing here.

    Args:
        blueprint: the token API.
        counts: which refusals count (all unless told).
    """
    limiter.limit(
        lambda: f"{resources().settings.rate_limit_refused_per_minute} per minute",
        key_func=lambda: f"refused:{get_remote_address()}",
        deduct_when=lambda response: response.status_code == 401 and counts(response),
    )(blueprint)


def init_app(app: Flask, settings: Settings) -> None:
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.json = BoundedJSONProvider(app)
    if settings.trusted_proxies:
        app.wsgi_app = TrustedProxies(app.wsgi_app, settings.trusted_proxies)  # type: ignore[method-assign]
    # First of all before-request functions: before rate limits and authentication.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_oversized_bodies)
    for status in PLAIN_ANSWERS:
        app.register_error_handler(status, _plain_answer)


def _refuse_oversized_bodies() -> None:
    """Refuse by the announced length at once (a body sent without one stops at the limit
    when read)."""
    limit = resources().settings.max_request_bytes
    if request.content_length is not None and request.content_length > limit:
        abort(413)


def _plain_answer(error: HTTPException) -> tuple[Response | str, int]:
    status = error.code or 400
    code, message = PLAIN_ANSWERS.get(status, ("bad_request", PLAIN_ANSWERS[400][1]))
    if request.path.startswith(API_PREFIXES):
        return jsonify(error=code, message=message), status
    refused = N_("Request refused")
    page = render_template("error.html", status=status, title=refused, message=message)
    return page, status
