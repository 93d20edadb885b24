"""Fixtures for the Gmail add-on: Anna on Gmail (the engine tests' fixtures with ``kind``
"gmail"), the Google emulator playing Google's signing keys, and Gmail calling the add-on."""

from __future__ import annotations

import pytest

from backend.gmail_addon.verify import CERTIFICATES
from emulators.google import GoogleEmulator
from tests.support.cards import GmailHost, addon_settings
from tests.support.world import ADDRESS


@pytest.fixture(autouse=True)
def _googles_certificates_read_afresh() -> None:
    """Each test's Google emulator has its own keys, maybe on a port an earlier one had."""
    CERTIFICATES.forget()


@pytest.fixture
def kind() -> str:
    return "gmail"


@pytest.fixture
def app_config(google: GoogleEmulator) -> dict[str, object]:
    return addon_settings(google)


@pytest.fixture
def gmail(client, google: GoogleEmulator, mailbox) -> GmailHost:
    """Gmail with Anna signed in, calling the add-on."""
    return GmailHost(client, google, ADDRESS)
