"""Throttling and outages: Retry-After honoured with bounded, capped retries."""

from __future__ import annotations

import threading
import time

import pytest

from backend.crm.c4c import C4CClient
from backend.crm.errors import C4CConnectionError, C4CError, C4CHTTPError
from backend.crm.transport import RetryPolicy
from emulators.base import Fault
from emulators.c4c import C4CEmulator
from emulators.c4c.seed import seed_contacts


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient, c4c_waits: list[float], status: int
) -> None:
    seed_contacts(c4c_emulator.service.store, 3)
    c4c_emulator.faults.add(
        Fault(path=r"ContactCollection$", method="GET", times=2, status=status,
              headers={"Retry-After": "1"})
    )  # fmt: skip
    assert len(list(c4c_client.read("ContactCollection"))) == 3
    assert c4c_waits == [1.0, 1.0]
    assert [e.status for e in c4c_emulator.log.entries("GET")] == [status, status, 200]


def test_throttled_writes_are_retried_too(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient, c4c_waits: list[float]
) -> None:
    c4c_emulator.faults.add(
        Fault(path=r"\$batch$", method="POST", status=429, headers={"Retry-After": "0"})
    )
    results = c4c_client.create_many("TasksCollection", [("t-1", {"Subject": "Throttled"})])
    assert results[0].entity is not None
    assert len(c4c_waits) == 1 and 0.0 < c4c_waits[0] <= 0.05
    assert len(c4c_emulator.service.store.all("TasksCollection")) == 1


def test_retries_are_bounded_and_the_last_answer_raised(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient, c4c_waits: list[float]
) -> None:
    c4c_emulator.faults.add(
        Fault(path=r"ContactCollection$", times=10, status=503, headers={"Retry-After": "0"})
    )
    with pytest.raises(C4CHTTPError) as raised:
        list(c4c_client.read("ContactCollection"))
    assert raised.value.status == 503
    assert raised.value.retry_after == 0.0
    assert c4c_emulator.log.count("GET", r"ContactCollection$") == 4
    assert len(c4c_waits) == 3
    assert c4c_waits[0] < c4c_waits[2]


def test_long_retry_after_is_capped(c4c_emulator: C4CEmulator, c4c_auth: tuple[str, str]) -> None:
    waits: list[float] = []
    client = C4CClient(
        c4c_emulator.base_url, user=c4c_auth[0], password=c4c_auth[1], timeout=5,
        retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.2), sleep=waits.append,
    )  # fmt: skip
    c4c_emulator.faults.add(
        Fault(path=r"ContactCollection$", status=429, headers={"Retry-After": "3600"})
    )
    assert list(client.read("ContactCollection")) == []
    assert waits == [0.2]


def test_dropped_connection_on_read_is_retried(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    seed_contacts(c4c_emulator.service.store, 2)
    c4c_emulator.faults.add(Fault(path=r"ContactCollection$", method="GET", drop=True))
    assert len(list(c4c_client.read("ContactCollection"))) == 2
    assert c4c_emulator.log.count("GET", r"ContactCollection$") == 2


def test_a_batch_of_look_ups_is_retried_as_a_read(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    """A ``$batch`` of retrieve requests changes nothing: a dropped connection or a 502 is
    tried again as for a plain read (a write is not, see ``ODataTransport.send``)."""
    seed_contacts(c4c_emulator.service.store, 2)
    c4c_emulator.faults.add(Fault(path=r"\$batch$", method="POST", drop=True))
    c4c_emulator.faults.add(Fault(path=r"\$batch$", method="POST", status=502))
    asked = ["contact0@example.com", "contact1@example.com"]

    found = list(
        c4c_client.read_matching("ContactCollection", "Email", asked, chunk=1, per_request=2)
    )

    assert [len(entities) for _chunk, entities in found] == [1, 1]
    assert c4c_emulator.log.count("POST", r"/\$batch$") == 3


def test_unreachable_service_raises_connection_error(c4c_auth: tuple[str, str]) -> None:
    client = C4CClient(
        "http://127.0.0.1:9/sap/c4c/odata/v1/c4codataapi/", user=c4c_auth[0],
        password=c4c_auth[1], timeout=1, retry=RetryPolicy(attempts=2, base_delay=0.01),
    )  # fmt: skip
    with pytest.raises(C4CConnectionError) as raised:
        list(client.read("ContactCollection"))
    assert raised.value.sent is False
    with pytest.raises(C4CConnectionError):
        client.create("ContactCollection", {"LastName": "Nowhere"}, "ref-nowhere")


def test_a_stopped_client_waits_no_longer_and_tries_no_more(
    c4c_emulator: C4CEmulator, c4c_auth: tuple[str, str]
) -> None:
    """A write throttled for 30 s is waiting to try again when its run ends: the wait ends at
    once, and the write is not sent again."""
    client = C4CClient(c4c_emulator.base_url, user=c4c_auth[0], password=c4c_auth[1], timeout=5)
    c4c_emulator.faults.add(
        Fault(path=r"\$batch$", method="POST", status=429, headers={"Retry-After": "30"})
    )
    outcome: list[BaseException | None] = []

    def write() -> None:
        try:
            client.create_many("TasksCollection", [("t-1", {"Subject": "Throttled"})])
        except BaseException as error:
            outcome.append(error)
        else:
            outcome.append(None)

    writer = threading.Thread(target=write, daemon=True)
    started = time.monotonic()
    writer.start()
    deadline = started + 5
    while c4c_emulator.log.count("POST", r"\$batch$") < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    client.transport.stop()
    writer.join(timeout=5)

    assert time.monotonic() - started < 5, "the 30 s wait ended with the stop"
    assert len(outcome) == 1 and isinstance(outcome[0], C4CError)
    assert "ended" in str(outcome[0])
    assert c4c_emulator.log.count("POST", r"\$batch$") == 1
    assert c4c_emulator.service.store.all("TasksCollection") == []
