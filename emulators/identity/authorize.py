"""The authorization endpoint: check the request, sign the user in, send a code back.

Requests are checked before any page is shown. A request naming an unknown client or an
unregistered redirect URI gets an HTML error page (nothing is ever sent to an unregistered
URI); every other mistake is reported to the redirect URI as ``error=...``. Authorization
parameters are read from the query string; the sign-in form posts back to the same URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Response, request
from werkzeug.datastructures import MultiDict

from emulators.identity.directory import Client, User
from emulators.identity.pages import error_page, sign_in_page
from emulators.identity.provider import Provider
from emulators.identity.realms import Realm
from emulators.identity.tokens import Grant

_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_PROMPTS = {"none", "login", "consent", "select_account"}
_BAD_CREDENTIALS = "Your account or password is incorrect."
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class PageError(Exception):
    """A request that cannot be answered by redirecting (unknown client or redirect URI)."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class RedirectError(Exception):
    """A request whose error is reported to the (registered) redirect URI."""

    def __init__(self, error: str, description: str, aadsts: int = 900144) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.aadsts = aadsts


@dataclass
class AuthorizeRequest:
    """A checked authorization request."""

    client: Client
    redirect_uri: str
    state: str | None
    scope: list[str]
    nonce: str | None
    code_challenge: str | None
    prompt: set[str]
    login_hint: str
    offline: bool


def with_query(uri: str, params: dict[str, str | None]) -> str:
    """``uri`` with ``params`` (those not ``None``) added to its query string."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(name, value) for name, value in params.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def parse_request(provider: Provider, realm: Realm, args: MultiDict[str, str]) -> AuthorizeRequest:
    """Check an authorization request's parameters.

    Raises:
        PageError: unknown client or unregistered redirect URI.
        RedirectError: anything else wrong, to be reported to the redirect URI.
    """
    repeated = sorted(name for name in args if len(args.getlist(name)) > 1)
    client_id = args.get("client_id", "")
    if not client_id or "client_id" in repeated:
        raise PageError("invalid_request", "The request must contain exactly one client_id.")
    client = provider.directory.client(realm.name, client_id)
    if client is None:
        raise PageError(
            "invalid_client", f"Application with identifier '{client_id}' was not found."
        )
    redirect_uri = args.get("redirect_uri", "")
    if "redirect_uri" in repeated or redirect_uri not in client.redirect_uris:
        raise PageError(
            "redirect_uri_mismatch",
            f"The redirect URI '{redirect_uri}' specified in the request does not match the "
            f"redirect URIs configured for the application '{client_id}'.",
        )
    if repeated:
        raise RedirectError("invalid_request", f"Parameters must not repeat: {repeated}.")
    if args.get("response_type") != "code":
        raise RedirectError(
            "unsupported_response_type",
            f"The response_type '{args.get('response_type', '')}' is not supported; use 'code'.",
            aadsts=700054,
        )
    if args.get("response_mode", "query") != "query":
        raise RedirectError("invalid_request", "Only response_mode=query is supported.")
    scope = realm.normalize_scope(args.get("scope", "").split())
    if "openid" not in scope:
        raise RedirectError("invalid_scope", "The scope must include 'openid'.", aadsts=70011)
    unknown = [item for item in scope if item not in realm.scopes]
    if unknown:
        raise RedirectError("invalid_scope", f"Unknown scope(s): {unknown}.", aadsts=70011)
    problem = realm.check_extra(args)
    if problem:
        raise RedirectError("invalid_request", problem)
    challenge = args.get("code_challenge")
    method = args.get("code_challenge_method")
    if method is not None and not challenge:
        raise RedirectError("invalid_request", "code_challenge_method without code_challenge.")
    if challenge is not None and method != "S256":
        raise RedirectError(
            "invalid_request",
            f"The code_challenge_method '{method or 'plain'}' is not supported; use 'S256'.",
            aadsts=501491,
        )
    if challenge is not None and not _S256_CHALLENGE.match(challenge):
        raise RedirectError("invalid_request", "The code_challenge is not a S256 challenge.")
    prompt = set(args.get("prompt", "").split())
    if prompt - _PROMPTS or ("none" in prompt and len(prompt) > 1):
        raise RedirectError("invalid_request", f"Invalid prompt value: {args.get('prompt')!r}.")
    return AuthorizeRequest(
        client=client,
        redirect_uri=redirect_uri,
        state=args.get("state"),
        scope=scope,
        nonce=args.get("nonce"),
        code_challenge=challenge,
        prompt=prompt,
        login_hint=args.get("login_hint", "").strip(),
        offline=realm.wants_refresh_token(scope, args),
    )


def authorize(provider: Provider, realm: Realm) -> Response:
    """Answer ``GET``/``POST <realm>/authorize`` (the view behind the endpoint)."""
    try:
        wanted = parse_request(provider, realm, request.args)
    except PageError as error:
        page = error_page(realm, error.code, error.description)
        return Response(page, status=400, content_type="text/html", headers=_NO_STORE)
    except RedirectError as error:
        state = request.args.get("state")
        return _redirect_error(realm, error, request.args.get("redirect_uri", ""), state)
    cookie = request.cookies.get(realm.cookie_name)
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        user = provider.directory.check_password(
            realm.name, email, request.form.get("password", "")
        )
        if user is None:
            return _form(realm, wanted, email, _BAD_CREDENTIALS)
        provider.end_session(cookie)
        response = _send_code(provider, realm, wanted, user, interactive=True)
        response.set_cookie(
            realm.cookie_name,
            provider.start_session(realm.name, user),
            path=realm.path,
            httponly=True,
            samesite="Lax",
        )
        return response
    current = provider.session_user(realm.name, cookie)
    hint = wanted.login_hint.lower()
    remembered = current is not None and (not hint or hint == current.email.lower())
    if "none" in wanted.prompt:
        if current is None or not remembered:
            error = RedirectError("login_required", "The user must sign in.", aadsts=50058)
            return _redirect_error(realm, error, wanted.redirect_uri, wanted.state)
        return _send_code(provider, realm, wanted, current, interactive=False)
    if current is not None and remembered and not wanted.prompt & {"login", "select_account"}:
        return _send_code(provider, realm, wanted, current, interactive=False)
    return _form(realm, wanted, wanted.login_hint, "")


def _form(realm: Realm, wanted: AuthorizeRequest, email: str, error: str) -> Response:
    page = sign_in_page(
        realm, action=request.full_path, client_id=wanted.client.client_id, email=email, error=error
    )
    headers = {**_NO_STORE, "X-Frame-Options": "DENY"}
    return Response(page, status=200, content_type="text/html", headers=headers)


def _send_code(
    provider: Provider, realm: Realm, wanted: AuthorizeRequest, user: User, *, interactive: bool
) -> Response:
    grant = Grant(realm.name, wanted.client.client_id, user, wanted.scope, wanted.offline)
    if realm.tells_consent_end:
        grant.ends_at = provider.consent_end(realm.name, wanted.client, user)
    code = provider.tokens.issue_code(
        grant, wanted.redirect_uri, wanted.nonce, wanted.code_challenge, provider.now()
    )
    params = {"code": code.value, "state": wanted.state}
    params.update(realm.redirect_extras(wanted.scope, interactive))
    location = with_query(wanted.redirect_uri, params)
    return Response(status=302, headers={**_NO_STORE, "Location": location})


def _redirect_error(
    realm: Realm, error: RedirectError, redirect_uri: str, state: str | None
) -> Response:
    description = error.description
    if realm.entra_style:
        description = f"AADSTS{error.aadsts}: {description}"
    params = {"error": error.error, "error_description": description, "state": state}
    return Response(status=302, headers={**_NO_STORE, "Location": with_query(redirect_uri, params)})
