"""The EWS emulator's own tests: the fixtures of :mod:`tests.fixtures.ews`, its emulator and
mailbox under the names these tests use (the world's ``ews`` and ``mailbox`` elsewhere)."""

from __future__ import annotations

import pytest

from emulators.ews import EwsEmulator, Mailbox


@pytest.fixture(autouse=True, scope="session")
def _quiet_http_log(quiet_http_log: None) -> None:
    """Request lines stay out of these tests' output."""


@pytest.fixture
def ews(ews_emulator: EwsEmulator) -> EwsEmulator:
    return ews_emulator


@pytest.fixture
def mailbox(ews_mailbox: Mailbox) -> Mailbox:
    return ews_mailbox
