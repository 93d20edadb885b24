"""An emulated OpenID Connect provider (Entra ID and Google look-alikes) for tests and the demo.

``create_emulator()`` returns an :class:`emulators.base.Emulator` (request log, fault injection)
whose ``provider`` attribute gives tests direct access to users, clients, tokens and the clock.
Realm ``microsoft`` lives under ``/microsoft/v2.0``, realm ``google`` under ``/google``; each has
its discovery document at ``<issuer>/.well-known/openid-configuration``.
"""

from __future__ import annotations

from collections.abc import Callable

from emulators.base import Emulator
from emulators.identity.app import create_app
from emulators.identity.provider import Provider

__all__ = ["IdentityEmulator", "create_emulator"]


class IdentityEmulator(Emulator):
    """An :class:`Emulator` serving both realms; ``provider`` holds their users and tokens.

    Args:
        provider: the realms' state.
        public_url: the base URL browsers and clients use, if not the one it listens on.
    """

    def __init__(self, provider: Provider, public_url: str | None = None) -> None:
        super().__init__(create_app(provider))
        self.provider = provider
        self.public_url = public_url.rstrip("/") if public_url else None

    def start(self, port: int = 0, host: str = "127.0.0.1") -> IdentityEmulator:
        """Serve in a background thread; issuers are fixed from the URL it listens on."""
        super().start(port, host)
        self.provider.base_url = self.public_url or self.url
        return self

    def serve_forever(self, port: int, host: str = "127.0.0.1") -> None:
        """Serve in the foreground (standalone mode) until interrupted."""
        shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
        self.provider.base_url = self.public_url or f"http://{shown}:{port}"
        super().serve_forever(port, host)


def create_emulator(
    *, clock: Callable[[], float] | None = None, public_url: str | None = None
) -> IdentityEmulator:
    """An identity emulator with no users and no clients.

    Args:
        clock: the time source for expiry and ``iat``/``exp`` (``time.time`` by default).
        public_url: the base URL issuers use instead of ``http://127.0.0.1:<port>``.

    Returns:
        The emulator, not yet started.
    """
    return IdentityEmulator(Provider(clock), public_url)
