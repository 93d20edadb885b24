"""A type's changes going up to C4C, sent ahead of their turn in the plan.

The changes are sent in ``$batch`` requests of the client's batch size, each ``PATCH`` in a
changeset of its own and guarded by its ETag, so C4C refuses one change alone (a lone change
goes as a plain ``PATCH``), up to ``C4C_WRITES_IN_FLIGHT`` requests at once
(:mod:`backend.sync.in_flight`). Each step of the plan then takes its change's answer, in order,
in the run's own thread, and stores it as it would have stored the answer of its own request.

When the run ends before every answer was taken, :meth:`ChangesAhead.landed` hands over what C4C
took meanwhile (the rest of the request last taken, and the requests under way), so that it is
stored rather than sent again next run, where it would meet a 412 and look like a conflict.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backend.sync.classifiers.c4c import as_a_whole
from backend.sync.in_flight import InFlight

if TYPE_CHECKING:
    from backend.crm.c4c import C4CClient
    from backend.mailbox.base import ItemRecord
    from backend.sync.planner import Step

Answer = str | Exception | None
"""What C4C answered one change: its new ETag (``None`` when it sent none), or why the change
did not land."""


@dataclass(frozen=True)
class Change:
    """A change going up: what C4C is sent (or why it could not be made), read in the run's
    thread so that the sending thread touches no row."""

    step: Step
    record: ItemRecord
    values: dict[str, Any] | Exception
    object_id: str
    etag: str | None

    @property
    def sent(self) -> dict[str, Any]:
        """The values sent (none when they could not be made)."""
        return self.values if isinstance(self.values, dict) else {}


class ChangesAhead:
    """The changes of one type's plan, sent ahead.

    Args:
        c4c: the run's C4C client.
        entity_set: the type's entity set.
        changes: the changes, in the order of their steps.
        in_flight: requests at once.

    Use as a context manager: leaving it sends nothing more and waits for what is under way.
    """

    def __init__(
        self, c4c: C4CClient, entity_set: str, changes: list[Change], in_flight: int
    ) -> None:
        self._c4c = c4c
        self._entity_set = entity_set
        size = max(1, c4c.batch_size)
        requests = [changes[start : start + size] for start in range(0, len(changes), size)]
        self._flight: InFlight[list[Change], list[Answer]] = InFlight(
            self._send, requests, in_flight, stop=c4c.transport.stop
        )
        self._taken = iter(self._flight)
        self._answers: deque[tuple[Change, Answer]] = deque()
        self._steps = {id(change.step) for change in changes}

    def __enter__(self) -> ChangesAhead:
        self._flight.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._flight.__exit__(*exc)

    def __contains__(self, step: Step) -> bool:
        """Whether ``step``'s change was sent ahead."""
        return id(step) in self._steps

    def answer(self, step: Step) -> tuple[Change, Answer]:
        """The change of ``step`` (sent ahead) and what C4C answered it.

        Raises:
            RuntimeError: the steps did not come for their answers in their order.
        """
        if not self._answers:
            changes, answers = next(self._taken)
            self._answers.extend(zip(changes, _each(changes, answers), strict=True))
        change, answer = self._answers.popleft()
        if change.step is not step:
            raise RuntimeError("the changes sent ahead are taken in their steps' order")
        return change, answer

    def landed(self) -> Iterator[tuple[Change, str | None]]:
        """Once the run ends: each change C4C took whose answer the run has not taken, with its
        new ETag. Nothing more is sent."""
        rest = list(self._answers)
        self._answers.clear()
        for changes, answers in self._flight.finished():
            rest += zip(changes, _each(changes, answers), strict=True)
        for change, answer in rest:
            if not isinstance(answer, Exception):
                yield change, answer

    def _send(self, changes: list[Change]) -> list[Answer]:
        """Send one request's changes; each one's answer."""
        sending = [change for change in changes if isinstance(change.values, dict)]
        answers = self._one(sending[0]) if len(sending) == 1 else self._many(sending)
        return [
            answers[id(change)] if isinstance(change.values, dict) else change.values
            for change in changes
        ]

    def _one(self, change: Change) -> dict[int, Answer]:
        """A lone change, as a plain ``PATCH``: C4C's answer is the change's own."""
        try:
            answer: Answer = self._c4c.update(
                self._entity_set, change.object_id, change.sent, change.etag
            )
        except Exception as error:
            answer = error
        return {id(change): answer}

    def _many(self, changes: list[Change]) -> dict[int, Answer]:
        """Changes in one ``$batch``: each part's answer, or the request's failure for all."""
        if not changes:
            return {}
        try:
            results = self._c4c.update_many(
                self._entity_set, [(c.object_id, c.sent, c.etag) for c in changes]
            )
        except Exception as error:
            failure = as_a_whole(error, len(changes))
            return {id(change): failure for change in changes}
        return {
            id(change): result.error or result.etag
            for change, result in zip(changes, results, strict=True)
        }


def _each(changes: list[Change], answers: list[Answer] | Exception) -> list[Answer]:
    """Each change's answer (a request that could not be sent at all fails each of them)."""
    return [answers] * len(changes) if isinstance(answers, Exception) else answers
