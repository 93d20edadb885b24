"""Fixtures for the C4C tests: a fresh emulated tenant per test and a real client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.crm.c4c import C4CClient
from backend.crm.transport import RetryPolicy
from emulators.c4c import C4CEmulator, create_emulator

USER, PASSWORD, TOKEN = "SYNC_USER", "Welcome1!", "c4c-access-token"


@pytest.fixture(scope="session")
def c4c_server() -> Iterator[C4CEmulator]:
    """One emulator process-wide (stopping a server costs half a second)."""
    emulator = create_emulator({USER: PASSWORD}, {TOKEN})
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def c4c_emulator(c4c_server: C4CEmulator) -> C4CEmulator:
    """The emulator with an empty tenant, no pending faults and an empty request log."""
    c4c_server.service.reset()
    c4c_server.service.security.csrf_lifetime = 1800.0
    c4c_server.faults.clear()
    c4c_server.log.clear()
    return c4c_server


@pytest.fixture
def c4c_auth() -> tuple[str, str]:
    """The Basic-auth user the emulator knows."""
    return USER, PASSWORD


@pytest.fixture
def c4c_waits() -> list[float]:
    """The waits the client asked for between tries, recorded instead of slept: the emulator's
    faults count requests, not time."""
    return []


@pytest.fixture
def c4c_client(c4c_emulator: C4CEmulator, c4c_waits: list[float]) -> C4CClient:
    return C4CClient(
        c4c_emulator.base_url,
        user=USER,
        password=PASSWORD,
        timeout=5.0,
        batch_size=50,
        retry=RetryPolicy(attempts=4, base_delay=0.05, max_delay=2.0),
        sleep=c4c_waits.append,
    )
