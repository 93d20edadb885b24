"""An emulator can keep its clients waiting as a service across a network would (benchmarks use
it); what it answers, and what it logs, are the same."""

from __future__ import annotations

import time

import requests

from emulators.c4c import create_emulator


def test_an_emulator_told_a_latency_answers_that_much_later_and_the_same() -> None:
    emulator = create_emulator({"ALICE": "pw"}).start()
    try:
        url, auth = emulator.base_url + "ContactCollection?$top=1", ("ALICE", "pw")
        prompt = requests.get(url, auth=auth, timeout=10)
        emulator.latency = 0.25
        started = time.perf_counter()
        late = requests.get(url, auth=auth, timeout=10)
        waited = time.perf_counter() - started
        emulator.latency = 0.0
        refused = requests.get(url, auth=("ALICE", "wrong"), timeout=10)
    finally:
        emulator.stop()
    assert waited >= 0.25
    assert (late.status_code, late.json()) == (prompt.status_code, prompt.json())
    assert prompt.status_code == 200 and refused.status_code == 401
    assert emulator.log.count("GET") == 3, "every request logged, the late one too"
