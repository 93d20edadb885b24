"""What a client library raised, named: the service never answered, and how (table-driven)."""

from __future__ import annotations

import socket

import httplib2
import pytest
import requests
from exchangelib.errors import ErrorServerBusy, ErrorTimeoutExpired
from urllib3.exceptions import MaxRetryError, NewConnectionError, ReadTimeoutError

from backend.crm.errors import C4CConnectionError, C4CHTTPError
from backend.outbound import NoAnswer, Timeouts, no_answer, unanswered
from emulators.base import Fault
from emulators.c4c import C4CEmulator, create_emulator


def _raised_from(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as cause:
            raise outer from cause
    except BaseException as found:
        return found


def _context(outer: BaseException, inner: BaseException) -> BaseException:
    """``outer`` raised while handling ``inner`` (how exchangelib re-raises)."""
    try:
        try:
            raise inner
        except BaseException:
            raise outer  # noqa: B904 - the implicit context is what is tested
    except BaseException as found:
        return found


REFUSED = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")
ROWS = [
    ("requests read timeout", requests.ReadTimeout("Read timed out. (read timeout=30)"),
     NoAnswer.TIMED_OUT),
    ("requests connect timeout", requests.ConnectTimeout("timed out"), NoAnswer.NO_CONNECTION),
    ("urllib3 read timeout", ReadTimeoutError(None, "/", "Read timed out."), NoAnswer.TIMED_OUT),
    ("httplib2 socket timeout", TimeoutError("timed out"), NoAnswer.TIMED_OUT),
    ("refused socket", ConnectionRefusedError(111, "Connection refused"), NoAnswer.REFUSED),
    ("refused through requests",
     _raised_from(requests.ConnectionError(MaxRetryError(None, "/", REFUSED)),
                  ConnectionRefusedError(111, "refused")), NoAnswer.REFUSED),
    ("reset", ConnectionResetError(104, "Connection reset by peer"), NoAnswer.UNREACHABLE),
    ("name not found", socket.gaierror(-2, "Name or service not known"), NoAnswer.UNREACHABLE),
    ("httplib2 server not found", httplib2.ServerNotFoundError("no such host"),
     NoAnswer.UNREACHABLE),
    ("C4C client's wrapper of a timeout",
     _raised_from(C4CConnectionError("GET failed", sent=True), requests.ReadTimeout("t")),
     NoAnswer.TIMED_OUT),
    ("exchangelib's re-raise of a timeout",
     _context(ErrorTimeoutExpired("Reraised from ReadTimeout"), requests.ReadTimeout("t")),
     NoAnswer.TIMED_OUT),
    ("Exchange answering that it timed out itself", ErrorTimeoutExpired("server side"), None),
    ("Exchange answering busy", ErrorServerBusy("busy", back_off=2), None),
    ("C4C answering 503", C4CHTTPError(503, "Service Unavailable"), None),
    ("our own bug", ValueError("boom"), None),
]  # fmt: skip


@pytest.mark.parametrize(("name", "error", "kind"), ROWS, ids=[row[0] for row in ROWS])
def test_no_answer_names_how_the_service_failed_to_answer(name, error, kind) -> None:
    assert no_answer(error) is kind


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (NoAnswer.TIMED_OUT, "SAP Cloud for Customer did not answer within 30 s"),
        (NoAnswer.NO_CONNECTION, "SAP Cloud for Customer did not accept a connection within 5 s"),
        (
            NoAnswer.REFUSED,
            "SAP Cloud for Customer refused the connection: it is down or not at its address",
        ),
        (NoAnswer.UNREACHABLE, "SAP Cloud for Customer could not be reached"),
    ],
)
def test_people_read_plain_words(kind: NoAnswer, words: str) -> None:
    text, values = unanswered("SAP Cloud for Customer", kind, Timeouts(5, 30))
    assert text % values == words


@pytest.fixture
def hanging() -> C4CEmulator:
    emulator = create_emulator({"u": "p"}).start()
    emulator.faults.add(Fault(hang=True, times=10))
    yield emulator
    emulator.stop()


def test_real_clients_against_a_server_that_never_answers(hanging: C4CEmulator) -> None:
    with pytest.raises(requests.RequestException) as by_requests:
        requests.get(hanging.base_url, timeout=(2, 0.3))
    with pytest.raises(OSError) as by_httplib2:
        httplib2.Http(timeout=0.3).request(hanging.base_url)
    assert no_answer(by_requests.value) is NoAnswer.TIMED_OUT
    assert no_answer(by_httplib2.value) is NoAnswer.TIMED_OUT


def test_real_clients_against_a_server_that_is_down() -> None:
    """A port bound and not listened on refuses connections (and nobody else can take it)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        address = f"http://127.0.0.1:{held.getsockname()[1]}/"
        with pytest.raises(requests.RequestException) as by_requests:
            requests.get(address, timeout=(2, 2))
        with pytest.raises(OSError) as by_httplib2:
            httplib2.Http(timeout=2).request(address)
    assert no_answer(by_requests.value) is NoAnswer.REFUSED
    assert no_answer(by_httplib2.value) is NoAnswer.REFUSED
