"""Fixtures for engine tests: a tenant whose C4C and Exchange are the emulators, a person who
edits the mailbox with plain exchangelib (as Outlook would), and a C4C user who edits C4C."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from exchangelib import Account
from sqlalchemy.orm import Session

from backend.crm.c4c import C4CClient
from backend.extensions import Resources
from backend.models import Mailbox, Run, Tenant
from backend.models.run import Trigger
from backend.models.types import MailSystem
from backend.models.user import Role
from backend.onboarding import add_user, create_tenant
from backend.sync.engine import Engine
from backend.sync.runs import execute_run
from emulators.c4c import C4CEmulator, create_emulator
from emulators.ews import EwsEmulator
from tests.support.outlook import bare_account

ADDRESS, PASSWORD = "anna@contoso.test", "anna-pass"
C4C_USER, C4C_PASSWORD = "SYNC_USER", "sync-pass"


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
    )
    add_user(session, found, email="kim@contoso.test", name="Kim", cipher=resources.cipher,
             role=Role.KEY_USER, mailbox_credentials={"password": "x"})  # fmt: skip
    session.commit()
    return found


@pytest.fixture
def mailbox(session: Session, resources: Resources, tenant: Tenant) -> Mailbox:
    user = add_user(
        session, tenant, email=ADDRESS, name="Anna", cipher=resources.cipher,
        mailbox_credentials={"username": ADDRESS, "password": PASSWORD},
    )  # fmt: skip
    session.commit()
    return session.query(Mailbox).filter_by(user_id=user.id).one()


@pytest.fixture
def outlook(ews: EwsEmulator) -> Account:
    """The mailbox as its owner edits it: bare exchangelib, no code of ours."""
    return bare_account(ews.endpoint, ADDRESS, PASSWORD)


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
            Engine(resources.cipher, resources.settings),
            trigger=Trigger.CLI,
            settings=resources.settings,
        )

    return run
