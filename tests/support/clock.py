"""A clock that tests move instead of waiting for: seconds since the epoch, like ``time.time``."""

from __future__ import annotations

import time


class Clock:
    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now
