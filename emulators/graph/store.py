"""What the Graph emulator knows: mailboxes, who may open them, and the meetings it announced.

Tokens are of two kinds, as in Entra ID: delegated ones open their user's own mailbox (and
``/me``), app-only ones (client credentials) open any mailbox by ``/users/{id}``. Requests are
served one at a time under :attr:`GraphStore.lock`, yet each counts toward its mailbox's
concurrency while it waits, as Exchange Online counts them per app and mailbox.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from emulators.base import ServerClock
from emulators.graph.errors import throttled
from emulators.graph.mailbox import Mailbox
from emulators.graph.oauth import EntraTokens, Principal
from emulators.oauth_trust import TrustedIssuer


class GraphStore:
    """The emulator's state; tests reach it as ``emulator.store``.

    Attributes:
        notifications: meeting messages Exchange would have sent, oldest first, each
            ``{"kind": "invitation"|"update"|"cancellation", "mailbox", "event_id", "to"}``.
        mailbox_concurrency: requests one mailbox serves at once before answering 429.
        batch_answers_reversed: a JSON batch's responses come last part first (Graph answers
            the parts of a batch in whatever order they finish; clients match them by id).
        trusted: another OAuth server whose users' tokens open their mailboxes here too.
        web_passwords: address to password, for signing in to the emulated Outlook on the web
            (``/owa/``), where Microsoft's sign-in page would ask.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.mailboxes: dict[str, Mailbox] = {}
        self.tokens: dict[str, Principal] = {}
        self.notifications: list[dict[str, Any]] = []
        self.mailbox_concurrency = 4
        self.batch_answers_reversed = False
        self.trusted: TrustedIssuer | None = None
        self.web_passwords: dict[str, str] = {}
        self.delta_secret = secrets.token_bytes(32)
        self.delta_generation = 1
        self.oauth = EntraTokens(self.issue_token)
        self._in_flight: dict[str, int] = {}
        self._counter_lock = threading.Lock()
        self.clock = ServerClock()

    # -- users and tokens ----------------------------------------------------------------------

    def add_mailbox(
        self, address: str, token: str | None = None, display_name: str = ""
    ) -> Mailbox:
        address = address.lower()
        with self.lock:
            mailbox = self.mailboxes.get(address) or Mailbox(
                address, self.lock, self.notifications, display_name, self.clock
            )
            self.mailboxes[address] = mailbox
            if token:
                self.tokens[token] = Principal(address)
        return mailbox

    def add_app(self, client_id: str, secret: str, tenant: str = "contoso") -> None:
        """Register an app that may get app-only tokens (client credentials)."""
        self.oauth.add_app(client_id, secret, tenant)

    def issue_token(self, principal: Principal) -> str:
        token = "graph." + secrets.token_urlsafe(48)
        with self.lock:
            self.tokens[token] = principal
        return token

    def principal_of(self, token: str) -> Principal | None:
        """Whom ``token`` stands for: one we issued, or an active token of the trusted issuer
        whose user has a mailbox here (asked on every request, so revocation is immediate)."""
        with self.lock:
            found = self.tokens.get(token)
        if found is not None or self.trusted is None:
            return found
        address = self.trusted.user_among(token, self.mailboxes)
        return Principal(address) if address is not None else None

    def revoke_user_tokens(self, address: str) -> None:
        """End every session of the user: their refresh tokens and access tokens stop working."""
        address = address.lower()
        with self.lock:
            for token in [t for t, p in self.tokens.items() if p.address == address]:
                del self.tokens[token]
        self.oauth.revoke_user(address)

    def find_mailbox(self, key: str) -> Mailbox | None:
        """A mailbox by user id or ``userPrincipalName`` (any case)."""
        with self.lock:
            found = self.mailboxes.get(key.lower())
            return found or next((m for m in self.mailboxes.values() if m.user_id == key), None)

    # -- delta tokens and concurrency ----------------------------------------------------------

    def expire_delta_tokens(self) -> None:
        """Make every delta and skip token handed out so far fail with 410 ``SyncStateNotFound``."""
        with self.lock:
            self.delta_generation += 1

    def enter(self, address: str) -> None:
        """Count a request in flight on the mailbox.

        Raises:
            GraphError: 429 ``ApplicationThrottled`` beyond :attr:`mailbox_concurrency`.
        """
        with self._counter_lock:
            if self._in_flight.get(address, 0) >= self.mailbox_concurrency:
                raise throttled()
            self._in_flight[address] = self._in_flight.get(address, 0) + 1

    def leave(self, address: str) -> None:
        with self._counter_lock:
            self._in_flight[address] -= 1
