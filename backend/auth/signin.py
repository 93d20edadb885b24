"""Sign-in with OpenID Connect (authlib) and sessions (flask-login).

Each configured provider (Microsoft Entra ID, Google) is registered from its discovery
document. The callback checks the ID token (signature, issuer, audience, nonce, expiry: authlib
does this against the provider's JWKS) and signs in the user the tenant has set up with that
e-mail address; the first sign-in binds the provider's issuer and subject to the user, and
later sign-ins must match them. Nobody gets an account by signing in.
"""

from __future__ import annotations

import logging
from typing import Any

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from flask import session as web_session
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from backend.db import utcnow
from backend.extensions import db_session, resources
from backend.models import User
from backend.outbound import Timeouts
from backend.settings import SignInProvider

log = logging.getLogger(__name__)

signin = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see your synchronization."
login_manager.session_protection = "strong"


class SignedInUser:
    """The flask-login view of a :class:`User` (the row is re-read on every request)."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user: User) -> None:
        self.row = user
        self.id = user.id
        self.tenant_id = user.tenant_id
        self.email = user.email
        self.name = user.name
        self.is_key_user = user.is_key_user

    def get_id(self) -> str:
        return str(self.id)


@login_manager.user_loader
def load_user(user_id: str) -> SignedInUser | None:
    if not user_id.isdigit():
        return None
    user = db_session().get(User, int(user_id))
    return SignedInUser(user) if user is not None else None


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
        token = client.authorize_access_token()
    except OAuthError as error:
        log.info("sign-in with %s refused: %s", name, error.error)
        return _refused(error.description or error.error)
    claims = token.get("userinfo") or {}
    user = _user_for(claims)
    if user is None:
        page = render_template("signin_refused.html", reason="unknown", email=claims.get("email"))
        return page, 403
    user.last_login_at = utcnow()
    db_session().commit()
    login_user(SignedInUser(user))
    return redirect(web_session.pop("after_sign_in", None) or url_for("dashboard.home"))


@signin.post("/logout")
def logout() -> Response:
    logout_user()
    return redirect(url_for("auth.login"))


def _user_for(claims: dict) -> User | None:
    """The user these verified claims name, binding issuer and subject on first sign-in."""
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not issuer or not subject:
        return None
    session = db_session()
    bound = session.scalars(
        select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)
    ).one_or_none()
    if bound is not None:
        return bound
    email = (claims.get("email") or claims.get("preferred_username") or "").lower()
    if not email or claims.get("email_verified") is False:
        return None
    user = session.scalars(select(User).where(User.email == email)).one_or_none()
    if user is None or user.oidc_subject is not None:
        return None
    user.oidc_issuer, user.oidc_subject = issuer, subject
    return user


def _refused(reason: str) -> tuple[str, int]:
    return render_template("signin_refused.html", reason="provider", detail=reason), 400


def _safe_next(target: str | None) -> str | None:
    """A local path to return to after sign-in; anything else (another host) is dropped."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
