"""Retrying what failed for a temporary reason, within a run, before it counts as a failure.

The mailbox provider fails fast (so that ``ErrorServerBusy`` and its ``BackOffMilliseconds``
reach us); :class:`RetryingProvider` waits what the server asked for, or an exponential back-off
with jitter, and tries again a few times. A wait longer than ``max_wait`` is not done inside the
run: the failure stands, and the item is tried again on the next run. Each try passes the
run's guard of the mail service (:mod:`backend.sync.service_guard`), which stops the retries,
and the run, when the service does not answer.

A create is sent again only when the server surely did not act (it answered with a refusal, or
never took the connection): after an answer that was lost, the item may exist already, and the
next run's read of the mailbox finds it (see :mod:`backend.sync.copies`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from backend.models.types import IssueCode
from backend.outbound import NoAnswer, no_answer
from backend.sync.errors import Classification
from backend.sync.service_guard import ServiceGuard

T = TypeVar("T")

PROVIDER_CALLS = frozenset(
    {
        "activate",
        "changes",
        "get",
        "get_many",
        "create",
        "update",
        "update_many",
        "delete",
        "set_markers",
        "clear_markers",
        "ensure_marker_definitions",
    }
)
NOT_REPEATABLE = frozenset({"create"})
"""Calls that may have acted when their answer was lost."""
NOT_SENT = frozenset({NoAnswer.REFUSED, NoAnswer.NO_CONNECTION})
"""Missing answers of a request the server never received."""


@dataclass(frozen=True)
class Backoff:
    attempts: int = 3
    base: float = 0.5
    max_wait: float = 30.0

    def delay(self, attempt: int, asked: float | None) -> float:
        """Seconds to wait before try ``attempt + 1``: what was asked, else 2^n with jitter."""
        if asked is not None:
            return asked
        return self.base * 2**attempt * (0.5 + random.random() / 2)


def call_with_backoff(
    call: Callable[[], T],
    classify: Callable[[BaseException], Classification],
    backoff: Backoff,
    sleep: Callable[[float], None] = time.sleep,
    *,
    repeatable: bool = True,
) -> T:
    """``call()``, retried while it fails with a ``TEMPORARY`` classification (unless it is not
    ``repeatable`` and its answer may have been lost)."""
    for attempt in range(backoff.attempts):
        try:
            return call()
        except Exception as error:
            found = classify(error)
            wait = backoff.delay(attempt, found.retry_after)
            last = attempt + 1 >= backoff.attempts
            lost = not repeatable and (missing := no_answer(error)) and missing not in NOT_SENT
            given_up = found.code is not IssueCode.TEMPORARY or found.service_down or lost
            if given_up or last or wait > backoff.max_wait:
                raise
            sleep(wait)
    raise AssertionError("unreachable")


class RetryingProvider:
    """A mailbox provider whose calls are retried on temporary failures."""

    def __init__(
        self,
        provider: Any,
        classify: Callable[[BaseException], Classification],
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        guard: ServiceGuard | None = None,
    ) -> None:
        self._provider = provider
        self._classify = classify
        self._backoff = backoff or Backoff()
        self._sleep = sleep
        self._guard = guard

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._provider, name)
        if name not in PROVIDER_CALLS:
            return attribute

        guard = self._guard

        def attempt(*args: Any, **kwargs: Any) -> Any:
            if guard is None:
                return attribute(*args, **kwargs)
            return guard.call(attribute, *args, **kwargs)

        def retried(*args: Any, **kwargs: Any) -> Any:
            return call_with_backoff(
                lambda: attempt(*args, **kwargs), self._classify, self._backoff, self._sleep,
                repeatable=name not in NOT_REPEATABLE,
            )  # fmt: skip

        return retried
