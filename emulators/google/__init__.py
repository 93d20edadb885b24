"""A Google APIs emulator (Gmail first) for tests and the demo, in Google's JSON shapes.

``GoogleEmulator().add_mailbox(address, token)`` adds a Gmail mailbox reachable with that
bearer token; answers follow the discovery documents' schemas, errors Google's envelope.
"""

from __future__ import annotations

from emulators.base import Emulator
from emulators.google.app import GoogleStore, create_app
from emulators.google.gmail_store import GmailMailbox

__all__ = ["GmailMailbox", "GoogleEmulator", "GoogleStore"]


class GoogleEmulator(Emulator):
    """The emulator over a :class:`GoogleStore` (a new empty one by default)."""

    def __init__(self, store: GoogleStore | None = None) -> None:
        self.store = store or GoogleStore()
        super().__init__(create_app(self.store))

    def add_mailbox(self, address: str, token: str) -> GmailMailbox:
        return self.store.add_mailbox(address, token)
