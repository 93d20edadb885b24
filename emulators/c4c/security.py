"""Who may call the emulator: Basic/Bearer authentication and CSRF tokens bound to a session.

As in SAP Gateway, ``GET`` with ``x-csrf-token: Fetch`` opens a session (cookie) and returns a
token; every modifying request must send both the cookie and a live token, or it gets 403 with
``x-csrf-token: Required``. Tokens expire after ``csrf_lifetime`` seconds.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time

from flask import Request, Response

from emulators.c4c.oauth import OAuthServer

SESSION_COOKIE = "SAP_SESSIONID_C4C_100"
MODIFYING = frozenset({"POST", "PUT", "PATCH", "MERGE", "DELETE"})


class Security:
    """Users, bearer tokens and CSRF sessions of one emulated tenant.

    Args:
        users: user name to password, for Basic authentication.
        bearer_tokens: access tokens accepted with ``Authorization: Bearer`` (no user).
        csrf_lifetime: seconds a CSRF token stays valid.
        service_provider: the system's SAML service provider name, for OAuth assertions.
    """

    def __init__(
        self,
        users: dict[str, str],
        bearer_tokens: set[str],
        csrf_lifetime: float = 1800.0,
        service_provider: str = "C4C_EMULATOR",
    ) -> None:
        self.users = dict(users)
        self.bearer_tokens = set(bearer_tokens)
        self.oauth = OAuthServer(service_provider, lambda: set(self.users))
        """OAuth clients, trusted identity providers, and the tokens issued for users."""
        self.csrf_lifetime = csrf_lifetime
        self.refused: dict[str, set[str]] = {}
        """Entity sets each user has no authorisation for (403 on any use)."""
        self._sessions: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def authenticated(self, request: Request) -> bool:
        """Whether the request carries a known Basic user or bearer token."""
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer":
            return credentials in self.bearer_tokens or self.oauth.user_of(credentials) is not None
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(credentials).decode().partition(":")
        except ValueError:
            return False
        return user in self.users and secrets.compare_digest(self.users[user], password)

    def user_of(self, request: Request) -> str | None:
        """The user of an authenticated request (None for a bearer token given to nobody)."""
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            return self.oauth.user_of(credentials)
        if scheme.lower() != "basic":
            return None
        try:
            return base64.b64decode(credentials).decode().partition(":")[0]
        except ValueError:
            return None

    def may_use(self, user: str | None, entity_set: str) -> bool:
        return entity_set not in self.refused.get(user or "", set())

    def fetch_token(self, request: Request, response: Response) -> None:
        """Answer ``x-csrf-token: Fetch``: reuse the session's live token or issue a new one."""
        session = request.cookies.get(SESSION_COOKIE)
        with self._lock:
            current = self._sessions.get(session or "")
            if current is None or current[1] < time.monotonic():
                if current is None:
                    session = secrets.token_hex(16)
                    response.set_cookie(SESSION_COOKIE, session, path="/", httponly=True)
                current = (secrets.token_urlsafe(18), time.monotonic() + self.csrf_lifetime)
                self._sessions[session or ""] = current
        response.headers["x-csrf-token"] = current[0]

    def csrf_valid(self, request: Request) -> bool:
        """Whether the request's token is the live token of its session cookie."""
        session = request.cookies.get(SESSION_COOKIE, "")
        token = request.headers.get("x-csrf-token", "")
        with self._lock:
            current = self._sessions.get(session)
        return (
            current is not None
            and current[1] >= time.monotonic()
            and secrets.compare_digest(current[0], token)
        )

    def expire_tokens(self) -> None:
        """Make every issued CSRF token stale (as when a C4C session times out)."""
        with self._lock:
            self._sessions = {key: (token, 0.0) for key, (token, _) in self._sessions.items()}

    def forget_sessions(self) -> None:
        """Drop every session and its token."""
        with self._lock:
            self._sessions.clear()
