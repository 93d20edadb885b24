"""A run's watch over one service: it stops talking to a service that does not answer.

Every attempt to reach the service passes :meth:`ServiceGuard.before` (the C4C transport calls
it for each HTTP request, the mailbox provider's wrapper for each call) and then reports an
answer or its absence. The guard gives up on the service, for the rest of the run, when

- two attempts in a row got no answer (a refused connection, a timeout), or
- the run lost ``SERVICE_GIVE_UP_SECONDS`` in all to attempts that got no answer,

and then opens the tenant's circuit for a shared service (:mod:`backend.sync.circuit`), so the
tenant's other runs skip it at once. While the circuit is open, :meth:`before` refuses at once.
Either way :class:`~backend.sync.errors.ServiceUnavailable` ends the run as failed-temporary,
blaming that service in plain words; what was not written waits for the next run.

A run's requests in flight together (its C4C writes) report to one guard from their threads: the
hooks take turns, so misses add up and one give-up is the run's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from backend.models.types import IssueCode
from backend.outbound import NoAnswer, Timeouts, no_answer, unanswered
from backend.sync.circuit import Circuit, Outage
from backend.sync.errors import Classification, ServiceUnavailable, ours
from backend.sync.services import Service

T = TypeVar("T")

MISSES_TO_GIVE_UP = 2
GIVE_UP_CODE = "ServiceUnavailable"


@dataclass(frozen=True)
class Observation:
    """What one run learnt about a service: it answered at least once, and/or it gave up."""

    service: Service
    answered: bool
    gave_up: Classification | None


class ServiceGuard:
    """Watches one service for one run (or one request of a person).

    Args:
        service: the service.
        circuit: the tenant's circuit for it (``None``: the service is the mailbox's own).
        timeouts: the limits its calls run with (for the words people read).
        give_up_seconds: waiting without an answer the run accepts in all.
        clock: measures how long attempts took (seconds, monotonic).
    """

    def __init__(
        self,
        service: Service,
        circuit: Circuit | None,
        timeouts: Timeouts,
        give_up_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self._circuit = circuit
        self._timeouts = timeouts
        self._give_up_seconds = give_up_seconds
        self._clock = clock
        self._misses = 0
        self._lost = 0.0
        self._outage_known = False
        self._probing = False
        self.answered_once = False
        self.gave_up: Classification | None = None
        self._lock = threading.Lock()

    # -- the hooks -------------------------------------------------------------------------------

    def before(self) -> None:
        """Called before each attempt.

        Raises:
            ServiceUnavailable: the run gave up on the service, or the tenant's circuit is open.
        """
        with self._lock:
            self._before()

    def _before(self) -> None:
        if self.gave_up is not None:
            raise ServiceUnavailable(self.gave_up)
        if self._circuit is None or self._probing:
            return
        admitted, outage = self._circuit.admits(probe_seconds=self._give_up_seconds)
        self._outage_known = outage is not None
        if admitted:
            self._probing = outage is not None
            return
        assert outage is not None
        self.gave_up = self._skipped(outage)
        raise ServiceUnavailable(self.gave_up)

    def answered(self) -> None:
        """The service answered (whatever the answer): it is reachable."""
        with self._lock:
            self.answered_once = True
            self._misses = 0
            if self._outage_known and self._circuit is not None:
                self._circuit.close()
            self._outage_known = self._probing = False

    def unanswered(self, error: BaseException, seconds: float) -> None:
        """An attempt got no answer after ``seconds``.

        Raises:
            ServiceUnavailable: this was one miss too many; the circuit is open now.
        """
        with self._lock:
            self._unanswered(error, seconds)

    def _unanswered(self, error: BaseException, seconds: float) -> None:
        if self.gave_up is not None:  # another request in flight gave up already
            raise ServiceUnavailable(self.gave_up) from error
        self._misses += 1
        self._lost += seconds
        if not (
            self._probing
            or self._misses >= MISSES_TO_GIVE_UP
            or self._lost >= self._give_up_seconds
        ):
            return
        kind = no_answer(error) or NoAnswer.UNREACHABLE
        text, values = unanswered(self.service.name, kind, self._timeouts)
        if self._circuit is not None:
            self._circuit.open(text % values)
        self._probing = False
        detail = f"{type(error).__name__}: {error}"
        self.gave_up = self._classification(text, detail, values)
        raise ServiceUnavailable(self.gave_up) from error

    # -- for calls that are not HTTP requests of ours ---------------------------------------------

    def call(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``call(*args, **kwargs)`` as one attempt: checked before, its outcome reported."""
        self.before()
        started = self._clock()
        try:
            result = call(*args, **kwargs)
        except ServiceUnavailable:
            raise
        except Exception as error:
            if no_answer(error) is None:
                self.answered()
            else:
                self.unanswered(error, self._clock() - started)
            raise
        self.answered()
        return result

    def observation(self) -> Observation:
        return Observation(self.service, self.answered_once, self.gave_up)

    # -- words -------------------------------------------------------------------------------------

    def _skipped(self, outage: Outage) -> Classification:
        since = outage.since.strftime("%d %b %H:%M")
        retry = outage.until.strftime("%H:%M")
        words = (
            f"{outage.reason.rstrip('.')} (not answering since {since} UTC); "
            f"the next try is after {retry} UTC"
        )
        detail = f"circuit open for {self.service.key} until {outage.until.isoformat()}"
        return self._classification(words, detail)

    def _classification(
        self, text: str, detail: str, values: dict[str, str] | None = None
    ) -> Classification:
        """The run's give-up: with ``values``, ``text`` is the product's own words (worded for
        each reader); without, a sentence quoting the stored outage as it is."""
        given: dict[str, Any] = {"backend_code": GIVE_UP_CODE, "detail": detail,
                                 "source": self.service.source, "service_down": True}  # fmt: skip
        if values is None:
            return Classification(IssueCode.TEMPORARY, text, **given)
        return ours(IssueCode.TEMPORARY, text, values, **given)
