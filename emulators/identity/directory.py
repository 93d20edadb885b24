"""Who may sign in and which applications may ask: the users and clients of every realm.

Users belong to exactly one realm (the same person can be added to both); e-mail addresses
match case-insensitively, like Entra user principal names and Google accounts. Clients are
confidential (they have a secret) and list the exact redirect URIs they may use.
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class User:
    """A person who can sign in to one realm."""

    realm: str
    email: str
    name: str
    password: str
    subject: str
    """The ``sub`` claim, fixed for the user whatever client asks."""
    tenant_id: str | None = None
    """``tid`` (``microsoft`` realm only)."""
    object_id: str | None = None
    """``oid`` (``microsoft`` realm only)."""
    mail: str | None = None
    """The ``email`` claim: the sign-in name unless set. In Entra it is the user's mail
    attribute, which the directory's administrators may set to any address; ``""`` means none
    (no ``email`` claim)."""
    email_verified: bool = True
    """Whether Google has verified the address (``email_verified``, ``google`` realm)."""
    hosted_domain: str | None = None
    """``hd``, the Google Workspace domain (``google`` realm; ``None`` for a consumer
    account)."""
    admin: bool = False
    """An administrator of its directory, who may grant consent for the whole organisation
    (``microsoft`` realm)."""

    @property
    def domain(self) -> str:
        """The part of the e-mail address after ``@``."""
        return self.email.rsplit("@", 1)[-1]

    @property
    def email_claim(self) -> str | None:
        """What the ``email`` claim says, if anything."""
        return self.email if self.mail is None else (self.mail or None)

    @property
    def given_name(self) -> str:
        return self.name.split(" ", 1)[0]

    @property
    def family_name(self) -> str:
        return self.name.split(" ", 1)[1] if " " in self.name else ""


@dataclass(frozen=True)
class Client:
    """An application registered with one realm."""

    realm: str
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    testing: bool = False
    """Google: the app's consent screen is still in testing, so every consent ends after
    seven days."""


def check_redirect_uri(uri: str) -> None:
    """Refuse to register a redirect URI a real provider would refuse.

    Raises:
        ValueError: the URI is not absolute http(s) or carries a fragment.
    """
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise ValueError(f"not an absolute http(s) redirect URI without fragment: {uri!r}")


class Directory:
    """The users and clients of all realms; thread-safe."""

    def __init__(self) -> None:
        self._users: dict[tuple[str, str], User] = {}
        self._clients: dict[tuple[str, str], Client] = {}
        self._lock = threading.Lock()

    def add_user(self, user: User) -> User:
        """Add ``user`` to its realm, replacing one with the same e-mail address."""
        with self._lock:
            self._users[(user.realm, user.email.lower())] = user
        return user

    def user(self, realm: str, email: str) -> User | None:
        """The user of ``realm`` with this e-mail address, if any."""
        with self._lock:
            return self._users.get((realm, email.strip().lower()))

    def check_password(self, realm: str, email: str, password: str) -> User | None:
        """The user if ``email`` and ``password`` match one of ``realm``, else ``None``."""
        user = self.user(realm, email)
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            return None
        return user

    def register_client(self, client: Client) -> Client:
        """Register ``client`` with its realm, replacing one with the same id."""
        for uri in client.redirect_uris:
            check_redirect_uri(uri)
        with self._lock:
            self._clients[(client.realm, client.client_id)] = client
        return client

    def client(self, realm: str, client_id: str) -> Client | None:
        """The client of ``realm`` with this id, if any."""
        with self._lock:
            return self._clients.get((realm, client_id))

    def clients(self, realm: str) -> list[Client]:
        """Every client registered with ``realm``."""
        with self._lock:
            return [client for (name, _), client in self._clients.items() if name == realm]

    def authenticate_client(self, realm: str, client_id: str, secret: str) -> Client | None:
        """The client if ``secret`` is its secret, else ``None``."""
        client = self.client(realm, client_id)
        if client is None or not hmac.compare_digest(
            client.client_secret.encode(), secret.encode()
        ):
            return None
        return client
