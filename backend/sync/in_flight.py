"""Requests in flight together, their outcomes taken in the order they were asked for.

A run's C4C writes wait on the network far longer than on anything the run does with their
answers: with several in flight at once (``$batch`` requests of creates and of changes), a run
against a C4C across a network waits for a fraction of them. Only the sending runs in other
threads; the caller takes each outcome in turn in its own thread, where every database touch
stays.

When the caller stops early (its run ends), :meth:`InFlight.finished` sends nothing more and hands
over what the requests already under way brought, so what landed in C4C is stored rather than
sent or looked up again next run.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Outcome = R | Exception


class InFlight(Generic[T, R]):
    """``send`` applied to each of ``asks``, at most ``most`` at once.

    An ask is sent only when the caller takes the outcome ``most - 1`` places before it: the
    requests under way are never more than ``most``, and once the caller hears an answer that
    ends its work (a 401, a C4C that stopped answering) it sends nothing more.

    Args:
        send: sends one request (called in another thread, with the caller's context, so its
            logs name the run).
        asks: what to send, in order.
        most: requests in flight at once; 1 sends each in the caller's thread when its outcome
            is asked for, as a plain loop would.
        stop: tells the senders to give up what they have not tried yet (a retry, a look-up),
            once the caller stops early: from :meth:`finished`, or on leaving with an error.

    Use as a context manager: leaving it sends nothing more and waits for what is under way.
    """

    def __init__(
        self,
        send: Callable[[T], R],
        asks: list[T],
        most: int,
        stop: Callable[[], None] = lambda: None,
    ) -> None:
        self._send = send
        self._asks = asks
        self._most = most
        self._stop = stop
        self._pool: ThreadPoolExecutor | None = None
        self._futures: list[Future[R]] = []
        self._taken = 0
        if most > 1 and len(asks) > 1:
            self._pool = ThreadPoolExecutor(max_workers=most, thread_name_prefix="c4c-write")
            self._send_up_to(most)

    def __enter__(self) -> InFlight[T, R]:
        return self

    def __exit__(self, failure: type[BaseException] | None, *_exc: object) -> None:
        if failure is not None:
            self._stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __iter__(self) -> Iterator[tuple[T, Outcome[R]]]:
        """Each ask with its outcome (the answer, or what sending it raised), in order."""
        while self._taken < len(self._asks):
            index = self._taken
            self._taken += 1
            yield self._asks[index], self._outcome(index)

    def finished(self) -> Iterator[tuple[T, Outcome[R]]]:
        """Send nothing more (at once); each ask not yet taken whose request was already under
        way, with its outcome once it is in."""
        self._stop()
        sent = range(self._taken, len(self._futures))
        self._taken = len(self._asks)
        under_way = [index for index in sent if not self._futures[index].cancel()]
        return ((self._asks[index], _result(self._futures[index])) for index in under_way)

    def _send_up_to(self, count: int) -> None:
        assert self._pool is not None
        while len(self._futures) < min(count, len(self._asks)):
            ask = self._asks[len(self._futures)]
            self._futures.append(self._pool.submit(contextvars.copy_context().run, self._send, ask))

    def _outcome(self, index: int) -> Outcome[R]:
        if self._pool is None:
            try:
                return self._send(self._asks[index])
            except Exception as error:
                return error
        self._send_up_to(index + self._most)
        return _result(self._futures[index])


def _result(future: Future[R]) -> Outcome[R]:
    error = future.exception()
    if error is None:
        return future.result()
    if isinstance(error, Exception):
        return error
    raise error
