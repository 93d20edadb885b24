"""Temporary failures are retried as the server asks; others are not retried at all."""

from __future__ import annotations

import pytest

from backend.models.types import IssueCode
from backend.sync.backoff import Backoff, call_with_backoff
from backend.sync.errors import Classification


class Flaky:
    def __init__(self, failures: list[Classification]) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise LookupError(self.failures.pop(0))
        return "done"


def classify(error: BaseException) -> Classification:
    return error.args[0]


BUSY = Classification(IssueCode.TEMPORARY, "busy", retry_after=1.5)
DOWN = Classification(IssueCode.TEMPORARY, "503")
DENIED = Classification(IssueCode.AUTH, "401")


def test_waits_what_the_server_asked_for() -> None:
    waits: list[float] = []
    assert call_with_backoff(Flaky([BUSY]), classify, Backoff(), waits.append) == "done"
    assert waits == [1.5]


def test_backs_off_exponentially_with_jitter_without_a_hint() -> None:
    waits: list[float] = []
    call_with_backoff(Flaky([DOWN, DOWN]), classify, Backoff(attempts=3, base=1.0), waits.append)
    assert 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0


@pytest.mark.parametrize(
    ("failures", "backoff"),
    [
        ([DENIED], Backoff()),
        ([DOWN, DOWN, DOWN], Backoff(attempts=3, base=0.001)),
        ([Classification(IssueCode.TEMPORARY, "busy", retry_after=120)], Backoff(max_wait=30)),
    ],
    ids=["not temporary", "out of attempts", "asked to wait too long"],
)
def test_gives_up(failures: list[Classification], backoff: Backoff) -> None:
    flaky = Flaky(list(failures))
    with pytest.raises(LookupError):
        call_with_backoff(flaky, classify, backoff, lambda _s: None)
    assert flaky.calls == min(len(failures), backoff.attempts)
