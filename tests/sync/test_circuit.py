"""The circuit of a tenant's service (Redis) and a run's guard over it, on a clock of their own."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import redis
import requests
from redis.backoff import NoBackoff
from redis.retry import Retry

from backend.models.issue import Source
from backend.models.types import IssueCode
from backend.outbound import Timeouts
from backend.sync.circuit import Circuit
from backend.sync.errors import ServiceUnavailable
from backend.sync.service_guard import MISSES_TO_GIVE_UP, ServiceGuard
from backend.sync.services import C4C
from tests.support.clock import Clock

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC).timestamp()
LIMITS = Timeouts(5, 30)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def circuit(redis_conn, clock: Clock) -> Circuit:
    return Circuit(redis_conn, tenant_id=7, service="C4C", open_seconds=300, clock=clock)


def _guard(circuit: Circuit | None, give_up: float = 60) -> ServiceGuard:
    return ServiceGuard(C4C, circuit, LIMITS, give_up_seconds=give_up)


TIMEOUT = requests.ReadTimeout("HTTPConnectionPool(host='c4c'): Read timed out.")
REFUSED = ConnectionRefusedError(111, "Connection refused")


def test_a_closed_circuit_admits_every_call(circuit: Circuit) -> None:
    assert circuit.admits(probe_seconds=30) == (True, None)


def test_an_open_circuit_is_skipped_until_its_back_off_ends_then_one_run_probes(
    circuit: Circuit, redis_conn, clock: Clock
) -> None:
    circuit.open("SAP Cloud for Customer did not answer within 30 s")
    other = Circuit(redis_conn, tenant_id=7, service="C4C", open_seconds=300, clock=clock)
    admitted, outage = other.admits(probe_seconds=30)
    assert not admitted and outage is not None
    assert outage.reason == "SAP Cloud for Customer did not answer within 30 s"
    assert outage.since.timestamp() == START
    clock.now += 299
    assert not other.admits(30)[0]
    clock.now += 2
    assert other.admits(30)[0], "the first to ask after the back-off probes"
    assert not circuit.admits(30)[0], "the others still skip it while one probes"


def test_reopening_keeps_when_the_outage_began_and_an_answer_closes_it(
    circuit: Circuit, clock: Clock
) -> None:
    circuit.open("no answer")
    clock.now += 400
    again = circuit.open("still no answer")
    assert (again.since.timestamp(), again.until.timestamp()) == (START, START + 700)
    circuit.close()
    assert circuit.outage() is None
    assert circuit.admits(30) == (True, None)


def test_other_tenants_and_services_have_circuits_of_their_own(
    circuit: Circuit, redis_conn, clock: Clock
) -> None:
    circuit.open("no answer")
    assert Circuit(redis_conn, 8, "C4C", 300, clock).admits(30) == (True, None)
    assert Circuit(redis_conn, 7, "EWS", 300, clock).admits(30) == (True, None)


def test_two_attempts_without_an_answer_give_up_and_open_the_tenants_circuit(
    circuit: Circuit,
) -> None:
    guard = _guard(circuit)
    guard.before()
    guard.unanswered(REFUSED, 0.01)
    guard.before()
    with pytest.raises(ServiceUnavailable) as raised:
        guard.unanswered(REFUSED, 0.01)
    found = raised.value.classification
    assert (found.code, found.source, found.service_down) == (IssueCode.TEMPORARY, Source.C4C, True)
    assert found.message == (
        "SAP Cloud for Customer refused the connection: it is down or not at its address"
    )
    assert "Connection refused" in (found.detail or "")
    with pytest.raises(ServiceUnavailable):
        guard.before()
    assert circuit.outage() is not None


def test_an_answer_between_misses_keeps_the_run_talking(circuit: Circuit) -> None:
    guard = _guard(circuit)
    for _ in range(3):
        guard.unanswered(TIMEOUT, 1)
        guard.answered()
    guard.before()
    assert guard.gave_up is None and circuit.outage() is None


def test_the_time_lost_waiting_is_bounded_in_all(circuit: Circuit) -> None:
    guard = _guard(circuit, give_up=60)
    guard.unanswered(TIMEOUT, 30)
    guard.answered()
    with pytest.raises(ServiceUnavailable) as raised:
        guard.unanswered(TIMEOUT, 30)
    assert raised.value.classification.message == (
        "SAP Cloud for Customer did not answer within 30 s"
    )


def test_a_run_meeting_an_open_circuit_fails_at_once_in_plain_words(
    circuit: Circuit, clock: Clock
) -> None:
    circuit.open("SAP Cloud for Customer did not answer within 30 s")
    guard = _guard(circuit)
    with pytest.raises(ServiceUnavailable) as raised:
        guard.before()
    assert raised.value.classification.message == (
        "SAP Cloud for Customer did not answer within 30 s (not answering since 01 Dec 09:00 "
        "UTC); the next try is after 09:05 UTC"
    )
    assert guard.observation().gave_up is not None and not guard.observation().answered


def test_the_probing_run_closes_the_circuit_on_an_answer(circuit: Circuit, clock: Clock) -> None:
    circuit.open("no answer")
    clock.now += 301
    guard = _guard(circuit)
    guard.before()
    guard.answered()
    assert circuit.outage() is None
    assert _guard(circuit).observation().gave_up is None


def test_the_probing_run_reopens_the_circuit_at_its_first_miss(
    circuit: Circuit, clock: Clock
) -> None:
    circuit.open("no answer")
    clock.now += 301
    guard = _guard(circuit)
    guard.before()
    with pytest.raises(ServiceUnavailable):
        guard.unanswered(TIMEOUT, 30)
    outage = circuit.outage()
    assert outage is not None and outage.until.timestamp() == START + 301 + 300


def test_a_mailbox_of_its_own_has_no_circuit_but_the_run_still_gives_up() -> None:
    guard = _guard(None)
    guard.unanswered(TIMEOUT, 30)
    with pytest.raises(ServiceUnavailable):
        guard.unanswered(TIMEOUT, 30)


def test_a_call_that_gets_an_error_answer_counts_as_an_answer(circuit: Circuit) -> None:
    guard = _guard(circuit)
    guard.unanswered(TIMEOUT, 1)

    def refused_by_the_service() -> None:
        raise ValueError("the service said no")

    with pytest.raises(ValueError):
        guard.call(refused_by_the_service)
    guard.unanswered(TIMEOUT, 1)
    assert guard.gave_up is None, "the misses were not in a row"


def test_without_redis_the_circuit_counts_as_closed(clock: Clock) -> None:
    unreachable = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    circuit = Circuit(unreachable, 7, "C4C", 300, clock)
    assert circuit.admits(30) == (True, None)
    circuit.open("no answer")
    circuit.close()


def test_misses_of_requests_in_flight_together_give_up_once(circuit: Circuit) -> None:
    """Eight requests in flight time out together: the second miss gives up (and opens the
    circuit); every later one hears that same give-up rather than making its own."""
    guard = _guard(circuit)
    ready = threading.Barrier(8, timeout=10)
    heard: list[object] = []

    def request() -> None:
        guard.before()
        ready.wait()
        try:
            guard.unanswered(TIMEOUT, 1.0)
        except ServiceUnavailable as raised:
            heard.append(raised.classification)
        else:
            heard.append(None)

    threads = [threading.Thread(target=request, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(heard) == 8, "every request heard back"
    assert heard.count(None) == 1, "the first miss alone lets the run go on"
    assert [found is guard.gave_up for found in heard if found is not None] == [True] * 7
    assert guard._misses == MISSES_TO_GIVE_UP
    assert circuit.outage() is not None
