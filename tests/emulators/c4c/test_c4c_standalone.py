"""The emulator as a standalone server: command line, seed, users, admin endpoints."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from backend.crm.c4c import C4CClient
from backend.crm.transport import RetryPolicy

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def standalone() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.c4c", "--port", str(port), "--seed", "demo",
         "--user", "ALICE:pw1", "--user", "BOB:pw:2"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(url + "/_emulator/requests", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_standalone_serves_seed_users_and_admin_faults(standalone: str) -> None:
    base = standalone + "/sap/c4c/odata/v1/c4codataapi/"
    bob = C4CClient(base, user="BOB", password="pw:2", timeout=5,
                    retry=RetryPolicy(attempts=3, base_delay=0.01))  # fmt: skip
    assert len(list(bob.read("CorporateAccountCollection"))) == 4
    fault = {"path": "ContactCollection$", "method": "GET", "status": 503,
             "headers": {"Retry-After": "0"}}  # fmt: skip
    assert requests.post(standalone + "/_emulator/faults", json=fault, timeout=5).status_code == 201
    assert len(list(bob.read("ContactCollection"))) == 4
    logged = requests.get(standalone + "/_emulator/requests", timeout=5).json()
    contact_reads = [entry for entry in logged if entry["path"].endswith("ContactCollection")]
    assert [(entry["status"], entry["fault"]) for entry in contact_reads] == [
        (503, True), (200, False)
    ]  # fmt: skip
    alice = requests.get(base + "ContactCollection", auth=("ALICE", "pw1"), timeout=5)
    assert alice.status_code == 200
    assert (
        requests.get(base + "ContactCollection", auth=("ALICE", "x"), timeout=5).status_code == 401
    )
