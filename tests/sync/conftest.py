"""Fixtures for engine tests: a tenant whose C4C and mail systems are the emulators, the owner of
the mailbox editing it with the plain client of Outlook or Gmail, and a C4C user who edits C4C.

Anna's mailbox is on Exchange Server unless a test asks for ``kind`` "graph" (Exchange Online)
or "gmail"; a module marked with :data:`both_mail_systems` runs every test for each of them (a
Contoso tenant on Exchange Server where Anna has moved to Exchange Online or to Google
Workspace, as companies do one person at a time).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from exchangelib import Account
from sqlalchemy.orm import Session

from backend.crm.c4c import C4CClient
from backend.demo.data import CONTOSO_ENTRA_TENANT_ID, CONTOSO_GOOGLE_DOMAINS
from backend.extensions import Resources
from backend.models import Mailbox, Run, Tenant
from backend.models.mailbox import Provider
from backend.models.run import Trigger
from backend.models.types import MailSystem
from backend.models.user import Role
from backend.sync.engine import Engine
from backend.sync.runs import execute_run
from backend.tenants.onboarding import add_user, create_tenant
from emulators.c4c import C4CEmulator, create_emulator
from emulators.ews import EwsEmulator
from emulators.google import GoogleEmulator
from emulators.graph import GraphEmulator
from tests.google.conftest import running_google
from tests.support.outlook import bare_account
from tests.support.owners import GmailOwner, GraphOwner, MailboxOwner, OutlookOwner

ADDRESS, PASSWORD, TOKEN = "anna@contoso.test", "anna-pass", "ya29.anna"
GRAPH_TOKEN = "eyJ0eXAiOiJKV1QiLCJub25jZSI6ImFubmEifQ.anna"
C4C_USER, C4C_PASSWORD = "SYNC_USER", "sync-pass"
KINDS = ("exchange", "graph", "gmail")
both_mail_systems = pytest.mark.parametrize("kind", KINDS)


@pytest.fixture(autouse=True, scope="session")
def _quiet_http_log() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def c4c_service() -> Iterator[C4CEmulator]:
    emulator = create_emulator({C4C_USER: C4C_PASSWORD, "colleague": "colleague-pass"})
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def c4c(c4c_service: C4CEmulator) -> C4CEmulator:
    """The C4C emulator, emptied for this test."""
    c4c_service.service.reset()
    c4c_service.faults.clear()
    c4c_service.log.clear()
    return c4c_service


@pytest.fixture
def ews() -> Iterator[EwsEmulator]:
    emulator = EwsEmulator()
    with emulator:
        emulator.store.add_mailbox(ADDRESS, PASSWORD)
        yield emulator


@pytest.fixture
def google() -> Iterator[GoogleEmulator]:
    yield from running_google(ADDRESS, TOKEN)


@pytest.fixture
def graph() -> Iterator[GraphEmulator]:
    emulator = GraphEmulator()
    emulator.add_mailbox(ADDRESS, GRAPH_TOKEN)
    with emulator:
        yield emulator


@pytest.fixture
def kind() -> str:
    """Anna's mail system ("exchange", "graph" or "gmail")."""
    return "exchange"


@pytest.fixture
def app_config(request: pytest.FixtureRequest, kind: str) -> dict[str, object]:
    if kind == "gmail":
        return {"GOOGLE_API_BASE": request.getfixturevalue("google").url}
    if kind == "graph":
        return {"GRAPH_API_BASE": request.getfixturevalue("graph").url}
    return {}


@pytest.fixture
def tenant(session: Session, resources: Resources, c4c: C4CEmulator, ews: EwsEmulator) -> Tenant:
    found = create_tenant(
        session,
        slug="contoso",
        name="Contoso",
        c4c_base_url=c4c.base_url,
        mail_system=MailSystem.EXCHANGE_SERVER,
        mail_endpoint=ews.endpoint,
        cipher=resources.cipher,
        c4c_username=C4C_USER,
        c4c_credentials={"password": C4C_PASSWORD},
        entra_tenant_ids=(CONTOSO_ENTRA_TENANT_ID,),
        google_domains=CONTOSO_GOOGLE_DOMAINS,
    )
    add_user(session, found, email="kim@contoso.test", name="Kim", cipher=resources.cipher,
             role=Role.KEY_USER, mailbox_credentials={"password": "x"})  # fmt: skip
    session.commit()
    return found


@pytest.fixture
def mailbox(session: Session, resources: Resources, tenant: Tenant, kind: str) -> Mailbox:
    if kind == "gmail":
        provider, secret = Provider.GMAIL, {"kind": "oauth", "provider": "google",
                                            "access_token": TOKEN}  # fmt: skip
    elif kind == "graph":
        provider, secret = Provider.GRAPH, {"kind": "oauth", "provider": "microsoft",
                                            "access_token": GRAPH_TOKEN}  # fmt: skip
    else:
        provider, secret = Provider.EXCHANGE, {"username": ADDRESS, "password": PASSWORD}
    user = add_user(session, tenant, email=ADDRESS, name="Anna", cipher=resources.cipher,
                    mailbox_credentials=secret, provider=provider)  # fmt: skip
    session.commit()
    return session.query(Mailbox).filter_by(user_id=user.id).one()


@pytest.fixture
def outlook(ews: EwsEmulator) -> Account:
    """The mailbox as its owner edits it: bare exchangelib, no code of ours."""
    return bare_account(ews.endpoint, ADDRESS, PASSWORD)


@pytest.fixture
def owner(request: pytest.FixtureRequest, kind: str) -> MailboxOwner:
    """Anna at work in Outlook (on Exchange Server or Online) or in Gmail."""
    if kind == "gmail":
        return GmailOwner(request.getfixturevalue("google"), ADDRESS, TOKEN)
    if kind == "graph":
        return GraphOwner(request.getfixturevalue("graph"), ADDRESS, GRAPH_TOKEN)
    return OutlookOwner(request.getfixturevalue("ews"), ADDRESS, PASSWORD)


@pytest.fixture
def crm(c4c: C4CEmulator) -> C4CClient:
    """A colleague working in C4C."""
    return C4CClient(c4c.base_url, user="colleague", password="colleague-pass")


@pytest.fixture
def sync_now(session: Session, resources: Resources, mailbox: Mailbox) -> Callable[[], Run]:
    def run() -> Run:
        session.refresh(mailbox)
        return execute_run(
            session,
            mailbox,
            Engine(resources.cipher, resources.settings, resources.redis),
            trigger=Trigger.CLI,
            settings=resources.settings,
        )

    return run
