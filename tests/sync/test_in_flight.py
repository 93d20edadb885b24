"""Requests in flight together: outcomes in the order asked, errors as outcomes, the caller's
context in the senders, and nothing more sent once the caller stops."""

from __future__ import annotations

import contextvars
import threading

import pytest

from backend.sync.in_flight import InFlight

RUN: contextvars.ContextVar[str] = contextvars.ContextVar("run", default="none")


def test_outcomes_come_in_the_order_asked_whatever_order_they_finish_in() -> None:
    """Each send waits for the one after it to finish: the last finishes first."""
    done = {number: threading.Event() for number in range(4)}

    def send(number: int) -> int:
        if number < 3:
            assert done[number + 1].wait(timeout=5), "sent together, not in turn"
        done[number].set()
        return number * 10

    with InFlight(send, [0, 1, 2, 3], most=4) as sent:
        assert list(sent) == [(0, 0), (1, 10), (2, 20), (3, 30)]


def test_an_error_is_the_outcome_of_its_own_ask_only() -> None:
    def send(number: int) -> int:
        if number == 1:
            raise ValueError("refused")
        return number

    for most in (1, 3):
        with InFlight(send, [0, 1, 2], most=most) as sent:
            outcomes = list(sent)
        assert [ask for ask, _ in outcomes] == [0, 1, 2]
        assert outcomes[0][1] == 0 and outcomes[2][1] == 2
        assert isinstance(outcomes[1][1], ValueError)


def test_one_at_a_time_sends_in_the_callers_thread_when_asked() -> None:
    sent_in: list[threading.Thread] = []

    def send(number: int) -> int:
        sent_in.append(threading.current_thread())
        return number

    flight = InFlight(send, [0, 1], most=1)
    assert sent_in == [], "nothing sent before its outcome is asked for"
    with flight as sent:
        assert list(sent) == [(0, 0), (1, 1)]
    assert sent_in == [threading.current_thread()] * 2


def test_the_senders_carry_the_callers_context() -> None:
    token = RUN.set("run 7")
    try:
        with InFlight(lambda _n: RUN.get(), [0, 1, 2], most=3) as sent:
            assert [name for _ask, name in sent] == ["run 7"] * 3
    finally:
        RUN.reset(token)


def test_an_ask_goes_only_when_the_caller_comes_for_the_answer_before_it() -> None:
    """Two at once: while the caller looks at the first answer, only the second is under way
    (a sender is free, yet the third waits); it goes when the caller comes for the second."""
    sent_asks: list[int] = []
    answered = {number: threading.Event() for number in range(4)}

    def send(number: int) -> int:
        sent_asks.append(number)
        answered[number].set()
        return number

    with InFlight(send, [0, 1, 2, 3], most=2) as flight:
        taken = iter(flight)
        assert next(taken) == (0, 0)
        assert answered[1].wait(timeout=5)
        assert not answered[2].wait(timeout=0.3), "the third waits for the caller"
        assert next(taken) == (1, 1)
        assert answered[2].wait(timeout=5)
        assert sorted(sent_asks) == [0, 1, 2]
        assert list(taken) == [(2, 2), (3, 3)]


def test_once_the_caller_stops_what_was_under_way_is_handed_over_and_nothing_more_is_sent() -> None:
    started = threading.Barrier(3, timeout=5)
    release = threading.Event()
    sent_asks: list[int] = []

    def send(number: int) -> int:
        sent_asks.append(number)
        if number < 2:
            started.wait()
            assert release.wait(timeout=5)
        return number

    flight = InFlight(send, [0, 1, 2, 3, 4], most=2)
    started.wait()  # 0 and 1 are under way; 2, 3 and 4 wait for a sender
    with flight:
        rest = flight.finished()
        release.set()
        assert list(rest) == [(0, 0), (1, 1)]
        assert list(flight) == [], "every ask was taken"
    assert sorted(sent_asks) == [0, 1], "the asks still waiting were never sent"


def test_a_sender_that_dies_outright_is_not_an_outcome() -> None:
    def send(_number: int) -> int:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), InFlight(send, [0, 1], most=2) as sent:
        list(sent)


def test_the_senders_are_stopped_when_the_caller_stops_early_and_only_then() -> None:
    """``finished`` and leaving with an error tell the senders to try nothing more (their
    retries and look-ups); taking every outcome and leaving does not."""
    stops: list[str] = []

    with InFlight(lambda n: n, [0, 1], most=2, stop=lambda: stops.append("stop")) as flight:
        assert list(flight) == [(0, 0), (1, 1)]
    assert stops == []

    second_sent = threading.Event()

    def send(number: int) -> int:
        if number == 1:
            second_sent.set()
        return number

    with InFlight(send, [0, 1], most=2, stop=lambda: stops.append("stop")) as flight:
        next(iter(flight))
        assert second_sent.wait(timeout=5)
        assert [ask for ask, _ in flight.finished()] == [1]
    assert stops == ["stop"]

    stops.clear()
    with (
        pytest.raises(RuntimeError),
        InFlight(lambda n: n, [0, 1], most=1, stop=lambda: stops.append("stop")),
    ):
        raise RuntimeError("the run ended")
    assert stops == ["stop"]
