"""Exchange test fixtures: a running EWS emulator, its mailbox, our provider, bare exchangelib."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from exchangelib import Account

from backend.mailbox.ews.credentials import BasicAuth, BearerToken, Impersonation
from backend.mailbox.ews.provider import ExchangeProvider
from emulators.ews import EwsEmulator, Mailbox
from tests.support.outlook import bare_account

ADDRESS = "anna@example.com"
PASSWORD = "s3cret"


@pytest.fixture(autouse=True, scope="session")
def _quiet_http_log() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


@pytest.fixture
def ews() -> Iterator[EwsEmulator]:
    emulator = EwsEmulator()
    with emulator:
        yield emulator


@pytest.fixture
def mailbox(ews: EwsEmulator) -> Mailbox:
    return ews.store.add_mailbox(ADDRESS, PASSWORD, token="token-anna", name="Anna Lindqvist")


@pytest.fixture
def make_provider(ews: EwsEmulator, mailbox: Mailbox) -> Callable[..., ExchangeProvider]:
    def make(
        credentials: BasicAuth | BearerToken | Impersonation | None = None,
        address: str = ADDRESS,
        **options: object,
    ) -> ExchangeProvider:
        return ExchangeProvider(
            ews.endpoint, address, credentials or BasicAuth(ADDRESS, PASSWORD), **options
        )

    return make


@pytest.fixture
def provider(make_provider: Callable[..., ExchangeProvider]) -> ExchangeProvider:
    created = make_provider()
    created.activate()
    return created


@pytest.fixture
def account(ews: EwsEmulator, mailbox: Mailbox) -> Account:
    """Bare exchangelib on the same mailbox, playing the user who edits items in Outlook."""
    return bare_account(ews.endpoint, ADDRESS, PASSWORD)
