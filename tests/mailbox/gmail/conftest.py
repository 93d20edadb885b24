"""The Gmail provider's tests: Gina's emulator of :mod:`tests.fixtures.google` as ``google`` (the
world's is, elsewhere)."""

from __future__ import annotations

import pytest

from emulators.google import GoogleEmulator


@pytest.fixture
def google(google_emulator: GoogleEmulator) -> GoogleEmulator:
    return google_emulator
