"""The demo's world in one process: Contoso's C4C, Exchange, Gmail and Exchange Online mailboxes
seeded as ``flask demo`` seeds them, and the tenant made by the demo's own seed.

Tests that must see what a visitor of the demo sees (the first sync's issues, quiet runs after
it) start this instead of building a tenant of their own, so they cannot pass where the demo
fails (the fixtures ``contoso`` and ``contoso_sync`` of ``tests.fixtures.demo``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.crypto import TokenCipher
from backend.demo.data import C4C_USER, DEMO_USERS, meet_sap, seed_demo
from backend.demo.story import Stage
from backend.extensions import Resources
from backend.models import Mailbox, Run, Tenant, User
from backend.models.mailbox import Provider
from backend.models.run import Trigger
from backend.settings import Settings
from backend.sync.engine import Engine
from backend.sync.runs import execute_run
from emulators.base import Emulator
from emulators.c4c import C4CEmulator, create_emulator
from emulators.c4c.seed import seed_contoso as seed_c4c
from emulators.ews import EwsEmulator
from emulators.ews.seed import seed_contoso as seed_exchange
from emulators.google import GoogleEmulator
from emulators.google.seed import seed_contoso as seed_gmail
from emulators.graph import GraphEmulator
from emulators.graph.seed import seed_contoso as seed_graph


@dataclass
class DemoWorld:
    """The running emulators of the demo, each seeded with the Contoso scenario."""

    c4c: C4CEmulator
    ews: EwsEmulator
    google: GoogleEmulator
    graph: GraphEmulator

    def app_config(self) -> dict[str, object]:
        """The settings ``flask demo`` gives the web server and workers."""
        return {"GOOGLE_API_BASE": self.google.url, "GRAPH_API_BASE": self.graph.url}

    def seed_tenant(self, session: Session, cipher: TokenCipher, settings: Settings) -> Tenant:
        """Contoso and its people, by the demo's seed, pointed at these emulators, and matched
        to their C4C employees as ``flask demo`` matches them once the emulators are up."""
        tenant = seed_demo(session, cipher, c4c_url=self.c4c.base_url, ews_url=self.ews.endpoint)
        meet_sap(session, tenant, cipher, settings)
        return tenant

    def emulators(self) -> dict[str, Emulator]:
        return {"c4c": self.c4c, "exchange": self.ews, "gmail": self.google, "graph": self.graph}

    def clear_logs(self) -> None:
        """Forget every request the emulators logged so far."""
        for emulator in self.emulators().values():
            emulator.log.clear()

    def stage(self) -> Stage:
        """Where the demo's story plays, in this world."""
        return Stage(self.c4c.base_url, C4C_USER, self.ews.endpoint, self.google.url)

    def syncer(self, session: Session, resources: Resources) -> Callable[[str], Run]:
        """Seed Contoso (:meth:`seed_tenant`); returns what runs one sync of a person's
        mailbox, as a scheduled run of a worker does."""
        self.seed_tenant(session, resources.cipher, resources.settings)

        def run(email: str) -> Run:
            return execute_run(
                session, mailbox_of(session, email), Engine(resources.cipher, resources.settings),
                trigger=Trigger.SCHEDULE, settings=resources.settings,
            )  # fmt: skip

        return run


def mailbox_of(session: Session, email: str) -> Mailbox:
    return session.scalars(select(Mailbox).join(User).where(User.email == email)).one()


@contextmanager
def demo_world() -> Iterator[DemoWorld]:
    """Start the demo's emulators on free ports, seeded as ``flask demo`` seeds them."""
    c4c = create_emulator(dict([C4C_USER]))
    seed_c4c(c4c.service.store)
    ews = EwsEmulator()
    google = GoogleEmulator()
    graph = GraphEmulator()
    for person in DEMO_USERS:
        if person.provider is Provider.GMAIL:
            seed_gmail(google.store, person.email, person.google_token)
        elif person.provider is Provider.GRAPH:
            seed_graph(graph.store, person.email, person.graph_token)
        else:
            box = ews.store.add_mailbox(person.email, person.server_password)
            box.disabled = person.disabled
            seed_exchange(box)
    with ExitStack() as running:
        for emulator in (c4c, ews, google, graph):
            running.enter_context(emulator)
        yield DemoWorld(c4c, ews, google, graph)
