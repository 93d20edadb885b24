"""The two emulated providers: what each accepts and the shape of the claims it answers with.

A :class:`Realm` is one OpenID provider under its own path. :class:`MicrosoftRealm` behaves
like Entra ID's v2.0 endpoint for work accounts of any directory (``organizations``): its
discovery document names the issuer ``.../{tenantid}/v2.0`` and each id_token's ``iss`` carries
the user's own directory (``tid``), as Entra's multi-tenant endpoints do. :class:`GoogleRealm`
behaves like Google's accounts service. Claims follow the granted scopes as the real ones do:
``email`` needs the ``email`` scope, names need ``profile``.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from emulators.identity.directory import User

DEFAULT_TENANT_ID = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
"""``tid`` of ``microsoft`` users whose domain no directory has verified, added without one."""
TENANT_TEMPLATE = "{tenantid}"
"""What the multi-tenant discovery document's issuer holds in place of a directory's id."""

_GOOGLE_SCOPE_URLS = {
    "https://www.googleapis.com/auth/userinfo.email": "email",
    "https://www.googleapis.com/auth/userinfo.profile": "profile",
}

_CONSUMER_DOMAINS = {"gmail.com", "googlemail.com"}
"""Personal Google accounts carry no ``hd`` (hosted domain) claim."""


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _in_directory(issuer: str, tenant: str) -> str:
    """``<base>/microsoft/v2.0`` as the issuer of directory ``tenant``:
    ``<base>/microsoft/<tenant>/v2.0`` (Entra: ``login.microsoftonline.com/<tid>/v2.0``)."""
    return f"{issuer.removesuffix('/v2.0')}/{tenant}/v2.0"


def at_hash(access_token: str) -> str:
    """The ``at_hash`` of an RS256-signed id_token: left half of SHA-256, base64url."""
    return base64.urlsafe_b64encode(_digest(access_token)[:16]).rstrip(b"=").decode()


class Realm:
    """One provider: its path, accepted scopes and claim shapes (overridden per provider)."""

    name = ""
    path = ""
    title = ""
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    rotates_refresh_tokens = False
    id_token_on_refresh = False
    tells_consent_end = False
    """Token answers say how long a time-limited consent has left
    (``refresh_token_expires_in``)."""
    revocation_without_client_auth = False
    revoking_access_ends_grant = False
    entra_style = False
    """Answer like Entra: ``AADSTS`` error numbers, ``ext_expires_in``, ``session_state``."""
    advertises_logout = False

    @property
    def cookie_name(self) -> str:
        """The sign-in cookie, scoped to this realm's path (never Flask's ``session``)."""
        return f"emulated_idp_{self.name}"

    def make_user(
        self, email: str, name: str, password: str, subject: str | None, tenant_id: str | None
    ) -> User:
        """A user of this realm with stable generated ids where none are given."""
        raise NotImplementedError

    def advertised_issuer(self, issuer: str) -> str:
        """The ``issuer`` of the discovery document (``issuer``: the realm's URL)."""
        return issuer

    def token_issuer(self, issuer: str, user: User) -> str:
        """The ``iss`` of ``user``'s tokens (``issuer``: the realm's URL)."""
        return issuer

    def normalize_scope(self, scope: list[str]) -> list[str]:
        """Scopes with provider aliases replaced by their OpenID names."""
        return scope

    def check_extra(self, args: Mapping[str, str]) -> str | None:
        """A reason to refuse provider-specific authorize parameters, or ``None``."""
        return None

    def wants_refresh_token(self, scope: list[str], args: Mapping[str, str]) -> bool:
        """Whether the authorize request asked for offline access."""
        return False

    def granted_scope(self, scope: list[str]) -> str:
        """The ``scope`` value of a token answer."""
        return " ".join(scope)

    def id_token_claims(
        self, user: User, client_id: str, scope: list[str], now: int, issuer: str, **extra: Any
    ) -> dict[str, Any]:
        """The claims of an id_token (``extra`` may hold ``nonce`` and ``access_token``)."""
        raise NotImplementedError

    def userinfo(self, user: User, scope: list[str]) -> dict[str, Any]:
        """The userinfo answer for an access token with ``scope``."""
        raise NotImplementedError

    def redirect_extras(self, scope: list[str], interactive: bool) -> dict[str, str]:
        """Parameters the provider adds to a successful authorization redirect."""
        return {}


class MicrosoftRealm(Realm):
    """Entra ID v2.0: ``oid``/``tid`` claims, ``offline_access``, rotating refresh tokens."""

    name = "microsoft"
    path = "/microsoft/v2.0"
    title = "Microsoft"
    scopes = (
        "openid", "profile", "email", "offline_access", "User.Read",
        # Data access to mailboxes: EWS (Exchange Online) and Microsoft Graph.
        "https://outlook.office365.com/EWS.AccessAsUser.All",
        "Mail.ReadWrite", "Contacts.ReadWrite", "Calendars.ReadWrite", "Tasks.ReadWrite",
        "MailboxSettings.ReadWrite",
    )  # fmt: skip
    rotates_refresh_tokens = True
    id_token_on_refresh = True
    entra_style = True
    advertises_logout = True

    def make_user(
        self, email: str, name: str, password: str, subject: str | None, tenant_id: str | None
    ) -> User:
        tid = tenant_id or DEFAULT_TENANT_ID
        oid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:tenant:{tid}:user:{email.lower()}"))
        sub = subject or base64.urlsafe_b64encode(_digest(f"{tid}/{oid}")).rstrip(b"=").decode()
        return User(self.name, email, name, password, sub, tid, oid)

    def wants_refresh_token(self, scope: list[str], args: Mapping[str, str]) -> bool:
        return "offline_access" in scope

    def advertised_issuer(self, issuer: str) -> str:
        return _in_directory(issuer, TENANT_TEMPLATE)

    def token_issuer(self, issuer: str, user: User) -> str:
        return _in_directory(issuer, user.tenant_id or DEFAULT_TENANT_ID)

    def id_token_claims(
        self, user: User, client_id: str, scope: list[str], now: int, issuer: str, **extra: Any
    ) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "iss": issuer,
            "sub": user.subject,
            "aud": client_id,
            "exp": now + 3600,
            "iat": now,
            "nbf": now,
            "oid": user.object_id,
            "tid": user.tenant_id,
            "ver": "2.0",
        }
        if extra.get("nonce"):
            claims["nonce"] = extra["nonce"]
        if "profile" in scope:
            claims["name"] = user.name
            claims["preferred_username"] = user.email
        if "email" in scope and user.email_claim:
            claims["email"] = user.email_claim
        return claims

    def userinfo(self, user: User, scope: list[str]) -> dict[str, Any]:
        info: dict[str, Any] = {"sub": user.subject}
        if "profile" in scope:
            info.update(name=user.name, given_name=user.given_name, family_name=user.family_name)
        if "email" in scope and user.email_claim:
            info["email"] = user.email_claim
        return info

    def redirect_extras(self, scope: list[str], interactive: bool) -> dict[str, str]:
        return {"session_state": str(uuid.uuid4())}


class GoogleRealm(Realm):
    """Google: ``azp``/``hd``/``at_hash`` claims, ``access_type=offline``, stable refresh tokens.

    Scopes may be given as Google's ``userinfo.*`` URLs; token answers name them that way.
    Its revocation endpoint, like Google's, also takes a token without client authentication,
    and revoking an access token also revokes the refresh token it came with.
    """

    name = "google"
    path = "/google"
    title = "Google"
    tells_consent_end = True
    scopes = (
        "openid", "profile", "email",
        # Data access to a Gmail mailbox: Gmail, People, Calendar and Tasks.
        "https://mail.google.com/",
        "https://www.googleapis.com/auth/contacts",
        "https://www.googleapis.com/auth/calendar",
        "https://www.googleapis.com/auth/tasks",
    )  # fmt: skip
    revocation_without_client_auth = True
    revoking_access_ends_grant = True

    def make_user(
        self, email: str, name: str, password: str, subject: str | None, tenant_id: str | None
    ) -> User:
        if tenant_id is not None:
            raise ValueError("Google users have no tenant_id")
        number = int.from_bytes(_digest(f"google:{email.lower()}")[:12], "big") % (9 * 10**20)
        sub = subject or str(10**20 + number)
        domain = email.rsplit("@", 1)[-1].lower()
        hosted = None if domain in _CONSUMER_DOMAINS else domain
        return User(self.name, email, name, password, sub, hosted_domain=hosted)

    def normalize_scope(self, scope: list[str]) -> list[str]:
        normalized: list[str] = []
        for item in scope:
            name = _GOOGLE_SCOPE_URLS.get(item, item)
            if name not in normalized:
                normalized.append(name)
        return normalized

    def check_extra(self, args: Mapping[str, str]) -> str | None:
        if args.get("access_type", "online") not in ("online", "offline"):
            return f"Invalid access_type: {args['access_type']}"
        return None

    def wants_refresh_token(self, scope: list[str], args: Mapping[str, str]) -> bool:
        return args.get("access_type") == "offline"

    def granted_scope(self, scope: list[str]) -> str:
        by_name = {name: url for url, name in _GOOGLE_SCOPE_URLS.items()}
        return " ".join(by_name.get(item, item) for item in scope)

    def id_token_claims(
        self, user: User, client_id: str, scope: list[str], now: int, issuer: str, **extra: Any
    ) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "iss": issuer,
            "azp": client_id,
            "aud": client_id,
            "sub": user.subject,
            "iat": now,
            "exp": now + 3600,
        }
        if user.hosted_domain:
            claims["hd"] = user.hosted_domain
        if extra.get("access_token"):
            claims["at_hash"] = at_hash(extra["access_token"])
        if extra.get("nonce"):
            claims["nonce"] = extra["nonce"]
        if "email" in scope:
            claims["email"] = user.email
            claims["email_verified"] = user.email_verified
        if "profile" in scope:
            claims.update(name=user.name, given_name=user.given_name, family_name=user.family_name)
        return claims

    def userinfo(self, user: User, scope: list[str]) -> dict[str, Any]:
        info: dict[str, Any] = {"sub": user.subject}
        if user.hosted_domain:
            info["hd"] = user.hosted_domain
        if "profile" in scope:
            info.update(name=user.name, given_name=user.given_name, family_name=user.family_name)
        if "email" in scope:
            info.update(email=user.email, email_verified=user.email_verified)
        return info

    def redirect_extras(self, scope: list[str], interactive: bool) -> dict[str, str]:
        return {
            "scope": self.granted_scope(scope),
            "authuser": "0",
            "prompt": "consent" if interactive else "none",
        }


REALMS: tuple[Realm, ...] = (MicrosoftRealm(), GoogleRealm())
