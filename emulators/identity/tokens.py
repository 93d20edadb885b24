"""Authorization codes, access tokens and refresh tokens, and how they end.

Every code exchange belongs to a :class:`Grant`: one sign-in of one user for one client.
Revoking a refresh token, or redeeming a code a second time, revokes the grant and with it
every token issued under it. Access and refresh tokens are opaque random strings.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

from emulators.identity.directory import User
from emulators.identity.errors import OAuthError

CODE_LIFETIME = 60
ACCESS_TOKEN_LIFETIME = 3600
REFRESH_TOKEN_LIFETIME = 90 * 24 * 3600
ACCESS, REFRESH = "access_token", "refresh_token"


@dataclass
class Grant:
    """What one sign-in allowed one client; revoking it ends all tokens issued under it."""

    realm: str
    client_id: str
    user: User
    scope: list[str]
    offline: bool
    revoked: bool = False
    ends_at: float | None = None
    """When a time-limited consent ends (Google: an app in testing, or time-based access):
    its refresh tokens stop working then."""


@dataclass
class AuthorizationCode:
    """A code handed to the redirect URI, redeemable once within :data:`CODE_LIFETIME`."""

    value: str
    grant: Grant
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None
    issued_at: float
    used: bool = False


@dataclass
class IssuedToken:
    """An access or refresh token."""

    value: str
    kind: str
    grant: Grant
    scope: list[str]
    issued_at: float
    expires_at: float
    revoked: bool = field(default=False)

    def active(self, now: float) -> bool:
        """Not revoked, its grant not revoked, and not expired at ``now``."""
        return not self.revoked and not self.grant.revoked and now < self.expires_at


class TokenStore:
    """Every code and token issued by a provider; thread-safe."""

    def __init__(self) -> None:
        self._codes: dict[str, AuthorizationCode] = {}
        self._tokens: dict[str, IssuedToken] = {}
        self._lock = threading.Lock()

    def issue_code(
        self,
        grant: Grant,
        redirect_uri: str,
        nonce: str | None,
        code_challenge: str | None,
        now: float,
    ) -> AuthorizationCode:
        """A fresh authorization code for ``grant``."""
        code = AuthorizationCode(
            secrets.token_urlsafe(32), grant, redirect_uri, nonce, code_challenge, now
        )
        with self._lock:
            self._codes[code.value] = code
        return code

    def redeem_code(self, value: str, realm: str, client_id: str, now: float) -> AuthorizationCode:
        """Use up the code ``value`` presented by ``client_id`` to ``realm``.

        A code presented a second time revokes every token issued from its first use.

        Raises:
            OAuthError: ``invalid_grant`` for an unknown, foreign, used or expired code.
        """
        with self._lock:
            code = self._codes.get(value)
            grant = code.grant if code is not None else None
            if grant is None or grant.realm != realm or grant.client_id != client_id:
                raise OAuthError(
                    "invalid_grant", "The authorization code is invalid.", aadsts=9002313
                )
            if code.used:
                code.grant.revoked = True
                raise OAuthError(
                    "invalid_grant",
                    "The provided authorization code has already been redeemed.",
                    aadsts=54005,
                )
            code.used = True
        if now >= code.issued_at + CODE_LIFETIME:
            raise OAuthError(
                "invalid_grant", "The provided authorization code has expired.", aadsts=70008
            )
        return code

    def issue(
        self, kind: str, grant: Grant, scope: list[str], now: float, value: str | None = None
    ) -> IssuedToken:
        """A new access or refresh token under ``grant`` (``value`` names it, else random)."""
        lifetime = ACCESS_TOKEN_LIFETIME if kind == ACCESS else REFRESH_TOKEN_LIFETIME
        prefix = "at" if kind == ACCESS else "rt"
        ends = now + lifetime
        if grant.ends_at is not None:  # nothing outlives a consent that ended
            ends = min(ends, grant.ends_at)
        name = value or f"{prefix}.{secrets.token_urlsafe(32)}"
        token = IssuedToken(name, kind, grant, list(scope), now, ends)
        with self._lock:
            self._tokens[token.value] = token
        return token

    def find(self, value: str, kind: str | None = None) -> IssuedToken | None:
        """The token ``value`` (of ``kind``, if given), active or not."""
        with self._lock:
            token = self._tokens.get(value)
        if token is None or (kind is not None and token.kind != kind):
            return None
        return token

    def revoke(self, token: IssuedToken, *, whole_grant: bool = False) -> None:
        """End ``token``; a refresh token (or ``whole_grant``) ends its whole grant."""
        with self._lock:
            token.revoked = True
            if token.kind == REFRESH or whole_grant:
                token.grant.revoked = True

    def retire(self, token: IssuedToken) -> None:
        """End ``token`` alone (a rotated refresh token), leaving its grant alive."""
        with self._lock:
            token.revoked = True

    def clear(self) -> None:
        """Forget every code and token."""
        with self._lock:
            self._codes.clear()
            self._tokens.clear()
