"""Sign-in with OpenID Connect (authlib) and sessions (flask-login).

Each configured provider (Microsoft Entra ID, Google) is registered from its discovery
document. The callback checks the ID token (signature, audience, nonce, expiry against the
provider's JWKS, and the issuer: a multi-tenant Microsoft issuer against the token's own
directory) and signs in the user the tenant has set up, only from a directory the tenant named
(:mod:`backend.auth.directories`). The first sign-in binds the provider's issuer and subject to
the user by a verified e-mail address; later sign-ins must match them. Nobody gets an account
by signing in, and a sign-in from any other directory is refused with a page that says so.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from flask import session as web_session
from flask_login import LoginManager, current_user, login_user, logout_user
from joserfc.errors import JoseError
from sqlalchemy import bindparam, select
from werkzeug.wrappers import Response

from backend.auth.directories import directory_of, issuer_claims_options, verified_email
from backend.extensions import db_session, resources
from backend.models import Mailbox, Tenant, User
from backend.models.tenant import TenantSettings
from backend.outbound import Timeouts
from backend.settings import SignInProvider
from backend.storage.db import utcnow

log = logging.getLogger(__name__)

signin = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see your synchronization."
login_manager.session_protection = "strong"

UNKNOWN, DIRECTORY, UNVERIFIED = "unknown", "directory", "unverified"
"""Why a sign-in found nobody (the refusal page explains each)."""


class SignedInUser:
    """The flask-login view of a :class:`User` (the row is re-read on every request)."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(
        self, user: User, tenant: Tenant | None = None, mailbox: Mailbox | None = None
    ) -> None:
        self.row = user
        # The user's tenant and mailbox when they were read with the user (else None: look them
        # up). Held here, as the database session forgets rows nobody holds.
        self.tenant_row = tenant
        self.mailbox_row = mailbox
        self.id = user.id
        self.tenant_id = user.tenant_id
        self.email = user.email
        self.name = user.name
        self.is_key_user = user.is_key_user
        self.generation = user.session_generation or 0
        self.language = user.language
        self.time_zone = user.time_zone

    def get_id(self) -> str:
        """What the session keeps: the user's id and session generation (``12.3``)."""
        return f"{self.id}.{self.generation}"


_USER_OF_SESSION = (
    select(User, Tenant, Mailbox)
    .join(Tenant, Tenant.id == User.tenant_id)
    .outerjoin(Mailbox, (Mailbox.user_id == User.id) & (Mailbox.tenant_id == User.tenant_id))
    .where(User.id == bindparam("user_id"))
)
"""Built once, as every signed-in request asks it: the user with their tenant and mailbox, which
the pages ask for next and then find in the database session without a statement of their own."""


@login_manager.user_loader
def load_user(session_id: str) -> SignedInUser | None:
    """The signed-in user of a session, unless their sessions ended since (a raised
    generation: sign-out, revoked access), whatever the cookie says."""
    user_id, _, generation = session_id.partition(".")
    if not user_id.isdigit() or not generation.isdigit():
        return None
    found = db_session().execute(_USER_OF_SESSION, {"user_id": int(user_id)}).one_or_none()
    if found is None or found.User.removed_at is not None:
        return None
    if (found.User.session_generation or 0) != int(generation):
        return None
    return SignedInUser(found.User, found.Tenant, found.Mailbox)


def init_app(app: Flask, providers: tuple[SignInProvider, ...], timeouts: Timeouts) -> None:
    """Sign-in with ``providers``; every call to them (discovery, tokens, keys) is bounded by
    ``timeouts``, as a person waits for the answer."""
    login_manager.init_app(app)
    oauth = OAuth(app)
    app.extensions["ssi_oauth"] = oauth
    for provider in providers:
        oauth.register(
            provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.metadata_url,
            client_kwargs={
                "scope": "openid email profile",
                "code_challenge_method": "S256",
                "default_timeout": timeouts.pair,
            },
        )
    app.register_blueprint(signin)


def oauth_client(name: str) -> Any:
    """The authlib client of sign-in provider ``name`` in the current app."""
    return current_app.extensions["ssi_oauth"].create_client(name)


def _provider(name: str) -> SignInProvider:
    provider = resources().settings.sign_in_provider(name)
    if provider is None:
        abort(404)
    return provider


@signin.get("/login")
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    return render_template(
        "login.html",
        providers=resources().settings.sign_in_providers,
        next_page=_safe_next(request.args.get("next")),
    )


@signin.post("/auth/login/<name>")
def start(name: str) -> Response:
    provider = _provider(name)
    next_page = _safe_next(request.form.get("next"))
    if next_page:
        web_session["after_sign_in"] = next_page
    return oauth_client(provider.name).authorize_redirect(
        url_for("auth.callback", name=provider.name, _external=True)
    )


@signin.get("/auth/callback/<name>")
def callback(name: str) -> str | Response | tuple[str, int]:
    provider = _provider(name)
    client = oauth_client(provider.name)
    if request.args.get("error"):
        return _refused(request.args.get("error_description") or request.args["error"])
    try:
        token = authorize_access_token(client)
    except (OAuthError, JoseError) as error:
        log.info("sign-in with %s refused: %s", name, getattr(error, "error", error))
        return _refused(getattr(error, "description", None) or "the answer could not be checked")
    claims = token.get("userinfo") or {}
    user = _user_for(provider.name, claims)
    if isinstance(user, str):
        log.info("sign-in with %s refused: %s", name, user)
        page = render_template("signin_refused.html", reason=user, email=claims.get("email"))
        return page, 403
    user.last_login_at = utcnow()
    db_session().commit()
    login_user(SignedInUser(user))
    return redirect(web_session.pop("after_sign_in", None) or url_for("dashboard.home"))


@signin.post("/logout")
def logout() -> Response:
    """Sign out: every session of the user ends, so a copy of the cookie opens nothing."""
    if current_user.is_authenticated:
        current_user.row.end_sessions()
        db_session().commit()
    logout_user()
    web_session.clear()
    return redirect(url_for("auth.login"))


def authorize_access_token(client: Any) -> dict[str, Any]:
    """The callback's token answer, its ID token checked (the issuer against the directory).

    Raises:
        OAuthError: the provider answered with an error.
        JoseError: the ID token is forged, expired, or names another issuer.
    """
    options = issuer_claims_options(client.load_server_metadata().get("issuer", ""))
    return client.authorize_access_token(claims_options=options)


def _user_for(provider: str, claims: dict) -> User | str:
    """The user these verified claims name, or why nobody: ``unknown``, ``directory`` (another
    company's directory) or ``unverified`` (no verified e-mail address to bind by).

    A bound user is found by issuer and subject; the first sign-in binds them to the user with
    the claims' verified e-mail address. Either way the claims must come from a directory the
    user's tenant names. A binding whose own directory the tenant no longer names (or never
    recorded) gives way to a verified sign-in from one it does.
    """
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not issuer or not subject:
        return UNKNOWN
    directory = directory_of(provider, claims)
    session = db_session()
    bound = session.scalars(
        select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)
    ).one_or_none()
    if bound is not None and bound.removed_at is not None:
        return UNKNOWN
    if bound is not None:
        return bound if _config(bound).allows_directory(provider, directory) else DIRECTORY
    email = verified_email(provider, claims)
    if email is None:
        return UNVERIFIED
    user = session.scalars(select(User).where(User.email == email)).one_or_none()
    if user is None or user.removed_at is not None:
        return UNKNOWN if _anyone_allows(provider, directory) else DIRECTORY
    config = _config(user)
    if not config.allows_directory(provider, directory):
        return DIRECTORY
    if user.oidc_subject is not None and config.allows_any_directory(user.oidc_directory):
        return UNKNOWN
    user.oidc_issuer, user.oidc_subject, user.oidc_directory = issuer, subject, directory
    return user


def _config(user: User) -> TenantSettings:
    tenant = db_session().get(Tenant, user.tenant_id)
    return tenant.config if tenant is not None else TenantSettings()


def _anyone_allows(provider: str, directory: str | None) -> bool:
    """Whether some tenant names ``directory`` (so an unknown address there is just unknown)."""
    tenants = db_session().scalars(select(Tenant))
    return any(tenant.config.allows_directory(provider, directory) for tenant in tenants)


def _refused(reason: str) -> tuple[str, int]:
    return render_template("signin_refused.html", reason="provider", detail=reason), 400


def _safe_next(target: str | None) -> str | None:
    """A local path to return to after sign-in; anything else is dropped.

    Browsers and Werkzeug drop tabs and line breaks from a ``Location`` (``/<tab>/evil.test``
    becomes ``//evil.test``, another host), so a target with any whitespace or control
    character is refused outright, and what is left must parse as a path of this site.
    """
    if not target or any(char.isspace() or unicodedata.category(char)[0] == "C" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return None if "\\" in target else target
