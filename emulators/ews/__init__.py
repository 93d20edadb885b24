"""An Exchange Web Services emulator: SOAP over HTTP at ``/EWS/Exchange.asmx``, enough of EWS for
exchangelib to sync contacts, tasks, messages and calendar items, with a request log and faults."""

from __future__ import annotations

from emulators.base import Emulator
from emulators.ews.server import create_app
from emulators.ews.soap import server_busy_fault
from emulators.ews.store import Mailbox, Store

__all__ = ["EwsEmulator", "Mailbox", "Store", "server_busy_fault"]


class EwsEmulator(Emulator):
    """The EWS emulator over a :class:`Store` (a new empty one by default); call ``start()``."""

    def __init__(self, store: Store | None = None, addin_url: str | None = None) -> None:
        self.store = store or Store()
        super().__init__(create_app(self.store, addin_url))
        self.closing_hooks.append(self.app.extensions["ntlm"].forget)

    @property
    def endpoint(self) -> str:
        """The EWS endpoint URL (only while running)."""
        return f"{self.url}/EWS/Exchange.asmx"
