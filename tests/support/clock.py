"""A clock that tests move instead of waiting for: seconds since the epoch, like ``time.time``."""

from __future__ import annotations

import time


class Clock:
    """A time source that stands still until a test moves it (from whole seconds, as the
    timestamps in tokens are)."""

    def __init__(self, start: float | None = None) -> None:
        self.now = float(int(time.time())) if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
