"""The emulated identity service as tests see it: realms, users, clients, tokens and a clock.

:class:`Provider` is what ``IdentityEmulator.provider`` returns. Everything time-dependent
(code and token expiry, ``iat``/``exp``) reads :attr:`Provider.clock`, so tests can move time
forward instead of sleeping.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from emulators.identity.directory import Client, Directory, User
from emulators.identity.keys import Keyring
from emulators.identity.realms import DEFAULT_TENANT_ID, REALMS, Realm
from emulators.identity.tokens import REFRESH, Grant, TokenStore

TESTING_CONSENT_SECONDS = 7 * 24 * 3600
"""How long Google keeps a consent to an app whose consent screen is still in testing."""


class Provider:
    """Both realms (``microsoft`` and ``google``) with their users, clients and tokens.

    Args:
        clock: returns the current time in seconds since the epoch (defaults to ``time.time``).
        base_url: the URL the service is reached at; issuers are ``base_url + realm path``.
    """

    def __init__(
        self, clock: Callable[[], float] | None = None, base_url: str | None = None
    ) -> None:
        self.clock: Callable[[], float] = clock or time.time
        self.base_url = base_url
        self.realms: dict[str, Realm] = {realm.name: realm for realm in REALMS}
        self.directory = Directory()
        self.tokens = TokenStore()
        self.keys: dict[str, Keyring] = {name: Keyring() for name in self.realms}
        self._sessions: dict[str, tuple[str, str]] = {}
        self._domains: dict[str, str] = {}
        self.limited_consents: dict[tuple[str, str], float] = {}
        """``(realm, email)`` of people who grant access for a while only, and for how many
        seconds (Google's time-based access)."""
        self.admin_consents: set[tuple[str, str]] = set()
        """``(tid, client_id)`` of every consent an administrator granted for a directory."""
        self._lock = threading.Lock()

    def now(self) -> float:
        """The provider's current time."""
        return float(self.clock())

    def realm(self, name: str) -> Realm:
        """The realm called ``name``.

        Raises:
            ValueError: there is no such realm.
        """
        try:
            return self.realms[name]
        except KeyError:
            raise ValueError(f"unknown realm {name!r}; use one of {sorted(self.realms)}") from None

    def issuer(self, realm: str) -> str:
        """The realm's URL, under which its discovery document and endpoints are; also the
        ``iss`` of its tokens, except in ``microsoft``, whose tokens name the user's directory
        (:meth:`token_issuer`).

        Raises:
            RuntimeError: the emulator has not been started (its URL is unknown).
        """
        if not self.base_url:
            raise RuntimeError("the identity emulator has no base URL yet; start it first")
        return self.base_url.rstrip("/") + self.realm(realm).path

    def add_directory(self, tenant_id: str, domains: Iterable[str]) -> None:
        """An Entra directory (``tid``) with its verified domains: a ``microsoft`` user added
        later with an address in one of them belongs to it.

        Args:
            tenant_id: the directory's id, a GUID.
            domains: e-mail domains the directory has verified.
        """
        with self._lock:
            for domain in domains:
                self._domains[domain.lower()] = tenant_id

    def add_user(
        self,
        realm: str,
        email: str,
        name: str,
        password: str,
        *,
        subject: str | None = None,
        tenant_id: str | None = None,
        mail: str | None = None,
        email_verified: bool = True,
        consumer: bool = False,
        admin: bool = False,
    ) -> User:
        """Let a person sign in to ``realm``.

        Args:
            realm: ``"microsoft"`` or ``"google"``.
            email: the sign-in name (matched case-insensitively).
            name: the display name (``name`` claim).
            password: what the sign-in form must be given.
            subject: the ``sub`` claim; a stable value derived from the e-mail otherwise.
            tenant_id: ``tid`` of a ``microsoft`` user; otherwise the directory that verified
                the address's domain, else a fixed default.
            mail: the ``email`` claim of a ``microsoft`` user when it is not the sign-in name
                (``""``: none); a directory's administrators may set it to anything.
            email_verified: ``email_verified`` of a ``google`` user.
            consumer: a personal ``google`` account (no ``hd``) whatever its address.
            admin: an administrator of its ``microsoft`` directory (may grant admin consent).

        Returns:
            The user, with its generated ``subject`` (and ``object_id`` for ``microsoft``).
        """
        found = self.realm(realm)
        if found.entra_style and tenant_id is None:
            with self._lock:
                tenant_id = self._domains.get(email.rsplit("@", 1)[-1].lower(), DEFAULT_TENANT_ID)
        user = found.make_user(email, name, password, subject, tenant_id)
        user = replace(user, mail=mail, email_verified=email_verified, admin=admin)
        if consumer:
            user = replace(user, hosted_domain=None)
        return self.directory.add_user(user)

    def register_client(
        self,
        realm: str,
        client_id: str,
        client_secret: str,
        redirect_uris: Iterable[str],
        *,
        testing: bool = False,
    ) -> Client:
        """Register a confidential client with ``realm``.

        Args:
            realm: ``"microsoft"`` or ``"google"``.
            client_id: the application (client) id.
            client_secret: its secret.
            redirect_uris: the only URIs codes are sent to, compared exactly.
            testing: Google: the app's consent screen is still in testing (consents end
                after seven days).

        Returns:
            The client.
        """
        self.realm(realm)
        client = Client(realm, client_id, client_secret, tuple(redirect_uris), testing)
        return self.directory.register_client(client)

    def limit_consent(self, realm: str, email: str, seconds: float) -> None:
        """From now on ``email`` grants access in ``realm`` for ``seconds`` only."""
        self.realm(realm)
        with self._lock:
            self.limited_consents[(realm, email.lower())] = float(seconds)

    def consent_end(self, realm: str, client: Client, user: User) -> float | None:
        """When a consent ``user`` gives ``client`` now ends: an app whose consent screen is
        in testing gets seven days, a time-limited consent its own time; else never."""
        ends = []
        if client.testing:
            ends.append(self.now() + TESTING_CONSENT_SECONDS)
        with self._lock:
            limit = self.limited_consents.get((realm, user.email.lower()))
        if limit is not None:
            ends.append(self.now() + limit)
        return min(ends) if ends else None

    def seed_consent(
        self, realm: str, client_id: str, email: str, scope: list[str], refresh_token: str
    ) -> None:
        """A consent ``email`` gave ``client_id`` earlier, held as ``refresh_token`` (a known
        value, so a seeded product can store it), with the person's limits applied."""
        user = self.directory.user(realm, email)
        client = self.directory.client(realm, client_id)
        if user is None or client is None:
            raise ValueError(f"no user {email!r} or client {client_id!r} in {realm!r}")
        grant = Grant(realm, client_id, user, list(scope), offline=True)
        grant.ends_at = self.consent_end(realm, client, user)
        self.tokens.issue(REFRESH, grant, grant.scope, self.now(), value=refresh_token)

    def is_token_active(self, token: str) -> bool:
        """Whether an access or refresh token is known, unexpired and unrevoked."""
        found = self.tokens.find(token)
        return found is not None and found.active(self.now())

    def rotate_key(self, realm: str) -> str:
        """Sign ``realm``'s next id_tokens with a new key; returns its ``kid``."""
        self.realm(realm)
        return self.keys[realm].rotate()

    def id_token(
        self, realm: str, user: User, client_id: str, scope: list[str], **extra: Any
    ) -> str:
        """A signed id_token for ``user`` and ``client_id`` (``extra``: nonce, access_token)."""
        claims = self.realm(realm).id_token_claims(
            user, client_id, scope, int(self.now()), self.token_issuer(realm, user), **extra
        )
        return self.keys[realm].sign(claims)

    def token_issuer(self, realm: str, user: User) -> str:
        """The ``iss`` of ``user``'s tokens: the realm's issuer, or for ``microsoft`` that of
        the user's own directory."""
        return self.realm(realm).token_issuer(self.issuer(realm), user)

    # -- browser sign-in sessions ---------------------------------------------------------------

    def start_session(self, realm: str, user: User) -> str:
        """Remember that a browser signed in ``user``; returns the cookie value."""
        session_id = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions[session_id] = (realm, user.email)
        return session_id

    def session_user(self, realm: str, session_id: str | None) -> User | None:
        """The user a sign-in cookie of ``realm`` stands for, if still valid."""
        with self._lock:
            found = self._sessions.get(session_id or "")
        if found is None or found[0] != realm:
            return None
        return self.directory.user(realm, found[1])

    def end_session(self, session_id: str | None) -> None:
        """Forget a browser's sign-in."""
        with self._lock:
            self._sessions.pop(session_id or "", None)

    def reset(self) -> None:
        """Forget every code, token, browser sign-in and admin consent (users, directories and
        clients stay)."""
        self.tokens.clear()
        with self._lock:
            self._sessions.clear()
            self.admin_consents.clear()
            self.limited_consents.clear()
