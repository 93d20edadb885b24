"""Fixtures for the identity emulator tests: one seeded emulator and a clock tests can move."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from emulators.identity import IdentityEmulator, create_emulator
from emulators.identity.seed import seed_contoso


class Clock:
    """A time source that stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def identity_server() -> Iterator[IdentityEmulator]:
    """One seeded emulator for all identity tests (stopping a server costs half a second)."""
    emulator = create_emulator()
    seed_contoso(emulator.provider)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def identity(identity_server: IdentityEmulator, clock: Clock) -> IdentityEmulator:
    """The emulator with no codes, tokens or browser sign-ins, reading time from ``clock``."""
    identity_server.provider.reset()
    identity_server.provider.clock = clock
    identity_server.faults.clear()
    identity_server.log.clear()
    return identity_server
