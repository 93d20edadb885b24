"""The short names the Exchange tests use for :mod:`tests.fixtures.ews`'s emulator and mailbox
(``ews``, ``mailbox``: the world's elsewhere), and quiet request lines; the conftests of
``tests/emulators/ews/`` and ``tests/mailbox/ews/`` take them from here."""

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
