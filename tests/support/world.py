"""The emulated world most tests share: Anna's mailbox on Exchange Server, Exchange Online or
Gmail in the tenant Contoso, whose C4C is the C4C emulator.

The fixtures over it are in :mod:`tests.fixtures.world`; its names and secrets are here, for the
tests that need them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from backend.auth.crypto import TokenCipher
from backend.demo.data import CONTOSO_ENTRA_TENANT_ID, CONTOSO_GOOGLE_DOMAINS
from backend.models import Tenant
from backend.models.types import Direction, ItemType, MailSystem
from backend.models.user import Role
from backend.tenants.onboarding import add_user, create_tenant
from emulators.c4c import C4CEmulator
from emulators.ews import EwsEmulator
from emulators.google import GoogleEmulator

ADDRESS, PASSWORD, TOKEN = "anna@contoso.test", "anna-pass", "ya29.anna"
GRAPH_TOKEN = "eyJ0eXAiOiJKV1QiLCJub25jZSI6ImFubmEifQ.anna"
C4C_USER, C4C_PASSWORD = "SYNC_USER", "sync-pass"
KINDS = ("exchange", "graph", "gmail")
both_mail_systems = pytest.mark.parametrize("kind", KINDS)
"""Runs every test of a module for each mail system (the fixture ``kind``)."""


def running_google(address: str, token: str) -> Iterator[GoogleEmulator]:
    """A started Google emulator with one mailbox, for a fixture to ``yield from``."""
    emulator = GoogleEmulator()
    emulator.add_mailbox(address, token)
    with emulator:
        yield emulator


def contoso(session: Session, cipher: TokenCipher, c4c: C4CEmulator, ews: EwsEmulator) -> Tenant:
    """The tenant Contoso on the emulators, with Kim its key user."""
    found = create_tenant(
        session,
        slug="contoso",
        name="Contoso",
        c4c_base_url=c4c.base_url,
        mail_system=MailSystem.EXCHANGE_SERVER,
        mail_endpoint=ews.endpoint,
        cipher=cipher,
        c4c_username=C4C_USER,
        c4c_credentials={"password": C4C_PASSWORD},
        entra_tenant_ids=(CONTOSO_ENTRA_TENANT_ID,),
        google_domains=CONTOSO_GOOGLE_DOMAINS,
        email_domains=CONTOSO_GOOGLE_DOMAINS,
    )
    add_user(session, found, email="kim@contoso.test", name="Kim", cipher=cipher,
             role=Role.KEY_USER, mailbox_credentials={"password": "x"})  # fmt: skip
    session.commit()
    return found


def app_config_for(request: pytest.FixtureRequest, kind: str) -> dict[str, object]:
    """The app's settings for Anna's mail system: where its API is."""
    if kind == "gmail":
        return {"GOOGLE_API_BASE": request.getfixturevalue("google").url}
    if kind == "graph":
        return {"GRAPH_API_BASE": request.getfixturevalue("graph").url}
    return {}


def contacts_go_up_only(session: Session, tenant: Tenant) -> None:
    """The tenant syncs contacts from the mailbox to C4C only: a run reads no C4C changes of
    them, so its first read of ``ContactCollection`` is the write phase's own."""
    goes_up_only(session, tenant, ItemType.CONTACT)


def goes_up_only(session: Session, tenant: Tenant, item_type: ItemType) -> None:
    """The tenant syncs ``item_type`` from the mailbox to C4C only (no C4C change read)."""
    type_settings(session, tenant, item_type, direction=Direction.UP)


def type_settings(session: Session, tenant: Tenant, item_type: ItemType, **settings: Any) -> None:
    """The tenant's settings of ``item_type`` changed as ``settings`` say (a direction, a
    conflict policy)."""
    config = tenant.config
    for name, value in settings.items():
        setattr(config.item_types[item_type], name, value)
    tenant.config = config
    session.commit()
