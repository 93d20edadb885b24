"""How the C4C client talks HTTP: one session, CSRF tokens, and bounded retries.

A write first fetches a CSRF token (``GET`` of the service root with ``x-csrf-token: Fetch``)
and reuses it with the session's cookies; on 403 ``x-csrf-token: Required`` it fetches a new
one and tries once more. 429 and 503 are retried after ``Retry-After`` or a jittered
exponential backoff, both capped; reads are also retried after 502, 504 and network errors.

Each request is bounded (``timeout``: seconds to connect, seconds for the answer), and an optional
:class:`CallGuard` sees every attempt: it may refuse one before it is sent, and it hears whether
C4C answered, so a caller can stop talking to a C4C that does not (``backend.sync.service_guard``).

Several threads may send on one transport at once (a run's writes in flight together): they
share one CSRF token, fetched once, and the request count. Once the run that owns the transport
ends, :meth:`ODataTransport.stop` keeps the requests still under way from trying again.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from urllib3.exceptions import NewConnectionError

from backend.crm.errors import C4CConnectionError, C4CError, C4CHTTPError

_RETRYABLE = frozenset({429, 503})
_RETRYABLE_READS = _RETRYABLE | {502, 504}


class CallGuard(Protocol):
    """Sees every attempt of a client to reach its service."""

    def before(self) -> None:
        """Called before each attempt; raises to stop the call before it is sent."""

    def answered(self) -> None:
        """The service answered (whatever the status)."""

    def unanswered(self, error: BaseException, seconds: float) -> None:
        """The attempt got no answer after ``seconds``; raises to stop trying."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before trying a throttled or unreachable call again.

    Attributes:
        attempts: tries in all, the first included.
        base_delay: first backoff in seconds, doubled on each try.
        max_delay: cap on any single wait, ``Retry-After`` included.
    """

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before the next try.

        Args:
            attempt: the failed try's number, from 0.
            retry_after: what the server asked for, if anything.

        Returns:
            The larger of the jittered backoff and ``retry_after``, capped at ``max_delay``.
        """
        backoff = self.base_delay * (2**attempt) * random.uniform(0.5, 1.0)
        return min(self.max_delay, max(backoff, retry_after or 0.0))


def _may_have_arrived(error: requests.RequestException) -> bool:
    """Whether a failed request may have reached C4C (not when the connection never opened)."""
    if isinstance(error, requests.ConnectTimeout):
        return False
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return not isinstance(reason, NewConnectionError)


class ODataTransport:
    """Sends requests to one service root on one ``requests.Session``.

    Args:
        session: the session (keeps auth, cookies and the ``Accept`` header).
        base_url: the service root (ends with ``/``).
        timeout: seconds for connect and for each read, or ``(connect, read)``.
        retry: the retry policy.
        sleep: how to wait between tries (``None``: wait on the clock, and stop waiting when the
            transport is stopped).
        guard: sees every attempt (``None``: nobody watches).
    """

    def __init__(
        self,
        session: requests.Session,
        base_url: str,
        timeout: float | tuple[float, float],
        retry: RetryPolicy,
        sleep: Callable[[float], None] | None = None,
        guard: CallGuard | None = None,
    ) -> None:
        self.session = session
        self.guard = guard
        self.base_url = base_url
        self.timeout = timeout
        self.retry = retry
        self.sleep = sleep
        self.requests_sent = 0
        self._csrf: str | None = None
        self._csrf_fetched = 0
        """How many tokens were fetched: a write refused for its token names the one it had
        (C4C may hand the same session the same token again)."""
        self._csrf_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._stopped = threading.Event()

    def stop(self) -> None:
        """Send nothing more: an attempt not yet made (a retry after a throttled answer, a
        look-up after a lost one) raises :class:`C4CError` instead, and a wait before one ends."""
        self._stopped.set()

    def pause(self, seconds: float) -> None:
        """Wait ``seconds`` before trying again.

        Raises:
            C4CError: the transport was stopped, before or while waiting.
        """
        if self.sleep is None:
            self._stopped.wait(seconds)
        else:
            self.sleep(seconds)
        if self._stopped.is_set():
            raise C4CError("not tried again: the run that sends it has ended")

    def _token(self) -> tuple[str, int]:
        """The session's CSRF token and its number, fetched by the first write that needs it
        (the others wait for it rather than fetching their own)."""
        with self._csrf_lock:
            if self._csrf is None:
                response = self.send("GET", self.base_url, headers={"x-csrf-token": "Fetch"})
                token = response.headers.get("x-csrf-token")
                if not token:
                    raise C4CError("C4C did not return a CSRF token")
                self._csrf, self._csrf_fetched = token, self._csrf_fetched + 1
            return self._csrf, self._csrf_fetched

    def _forget_token(self, number: int) -> None:
        """C4C no longer takes the token fetched as ``number``: the next write fetches another,
        unless a write in flight already did."""
        with self._csrf_lock:
            if self._csrf_fetched == number:
                self._csrf = None

    def send(
        self, method: str, url: str, *, reads_only: bool = False, **kwargs: Any
    ) -> requests.Response:
        """One logical request: CSRF for writes, bounded retries on 429/503 and network errors.

        Args:
            method: the HTTP method.
            url: the absolute URL.
            reads_only: a write that changes nothing (a ``$batch`` of look-ups): it carries the
                CSRF token of a write and is retried as a read.
            **kwargs: passed to ``requests.Session.request`` (``params``, ``json``, ``headers``...).

        Returns:
            The successful response.

        Raises:
            C4CHTTPError: on an error status that is not (or no longer) retried.
            C4CConnectionError: on a network error that is not (or no longer) retried.

        Writes other than creates are not retried after a network error (the create path looks
        its reference up first, see :meth:`create`).
        """
        writing = method != "GET"
        changes = writing and not reads_only
        headers = dict(kwargs.pop("headers", {}))
        csrf_refreshed = False
        attempt = token_number = 0
        while True:
            if self._stopped.is_set():
                raise C4CError(f"{method} not sent: the run that sends it has ended")
            if writing:
                headers["x-csrf-token"], token_number = self._token()
            if self.guard is not None:
                self.guard.before()
            started = time.monotonic()
            try:
                with self._count_lock:
                    self.requests_sent += 1
                response = self.session.request(
                    method, url, headers=headers, timeout=self.timeout, **kwargs
                )
            except requests.RequestException as error:
                if self.guard is not None:
                    self.guard.unanswered(error, time.monotonic() - started)
                sent = _may_have_arrived(error)
                if changes or attempt + 1 >= self.retry.attempts:
                    raise C4CConnectionError(f"{method} failed: {error}", sent=sent) from error
                self.pause(self.retry.delay(attempt, None))
                attempt += 1
                continue
            if self.guard is not None:
                self.guard.answered()
            if response.ok:
                return response
            error = C4CHTTPError.from_response(response)
            if writing and error.status == 403 and error.csrf_required and not csrf_refreshed:
                self._forget_token(token_number)
                csrf_refreshed = True
                continue
            retryable = _RETRYABLE if changes else _RETRYABLE_READS
            if error.status in retryable and attempt + 1 < self.retry.attempts:
                self.pause(self.retry.delay(attempt, error.retry_after))
                attempt += 1
                continue
            raise error
