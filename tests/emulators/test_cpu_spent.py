"""An emulator counts the processor time its threads spend on requests, so that a benchmark
running it in its own process can tell the service's share of that process's time."""

from __future__ import annotations

import time

import requests

from emulators.c4c import create_emulator


def test_an_emulator_counts_the_processor_time_of_the_requests_it_served() -> None:
    emulator = create_emulator({"ALICE": "pw"}).start()
    try:
        url, auth = emulator.base_url + "ContactCollection?$top=1", ("ALICE", "pw")
        before = emulator.cpu.seconds
        started = time.process_time()
        for _ in range(20):
            assert requests.get(url, auth=auth, timeout=10).status_code == 200
        process = time.process_time() - started
        served = emulator.cpu.seconds - before
    finally:
        emulator.stop()
    assert before == 0.0, "nothing served yet"
    assert 0 < served <= process, "a share of the process's time, counted once"
