"""A Microsoft Graph v1.0 emulator (Outlook mail, contacts, calendar, To Do) for tests and the
demo, answering in Graph's JSON shapes and error envelope.

``GraphEmulator().add_mailbox(address, token)`` adds a user whose mailbox that delegated bearer
token opens; ``emulator.store`` holds the state and the test hooks (apps for client
credentials, refresh-token consents, delta token expiry, meeting notifications sent). It also
serves an emulated Outlook on the web for its mailboxes at ``/owa/`` (``owa.py``).
"""

from __future__ import annotations

from emulators.base import Emulator
from emulators.graph import owa
from emulators.graph.app import create_app
from emulators.graph.errors import graph_fault
from emulators.graph.mailbox import Mailbox
from emulators.graph.store import GraphStore

__all__ = ["GraphEmulator", "GraphStore", "Mailbox", "graph_fault"]


class GraphEmulator(Emulator):
    """The emulator over a :class:`GraphStore` (a new empty one by default)."""

    def __init__(self, store: GraphStore | None = None, addin_url: str | None = None) -> None:
        self.store = store or GraphStore()
        app = create_app(self.store)
        owa.install(app, self.store, addin_url)
        super().__init__(app)

    def add_mailbox(
        self, address: str, token: str | None = None, display_name: str = ""
    ) -> Mailbox:
        """Add a user and their mailbox, opened by the delegated bearer ``token``."""
        return self.store.add_mailbox(address, token, display_name)
