"""Keeping child processes running (the demo's, and ``flask serve``'s): one that exits is
reported and started again, so one crash does not end everything.

A child that keeps exiting (more than :data:`MAX_RESTARTS` times within :data:`WINDOW_SECONDS`)
is left stopped and reported once, while the others go on; Ctrl-C stops them all.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

MAX_RESTARTS = 5
WINDOW_SECONDS = 60.0


class Launchable(Protocol):
    name: str
    argv: tuple[str, ...]


@dataclass(frozen=True)
class Child:
    """A process to keep running: its name in reports, and its command line."""

    name: str
    argv: tuple[str, ...]


@dataclass
class Supervised:
    """One child and its recent restarts."""

    child: Launchable
    process: subprocess.Popen[bytes]
    restarts: deque[float] = field(default_factory=deque)
    given_up: bool = False


def start(child: Launchable, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start ``child`` in its own process group (so stopping it stops what it started)."""
    return subprocess.Popen(child.argv, env=env, start_new_session=True)


class Supervisor:
    """The demo's children, restarted when they exit.

    Args:
        env: the environment every child starts with.
        report: where a line for a person goes (the command's stderr).
        clock: monotonic seconds (tests pass their own).
        label: what the reports start with (the command's name).
    """

    def __init__(
        self,
        env: dict[str, str],
        report: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        label: str = "demo",
    ) -> None:
        self.env, self.report, self.clock, self.label = env, report, clock, label
        self.children: list[Supervised] = []

    def start(self, children: Sequence[Launchable]) -> None:
        for child in children:
            self.children.append(Supervised(child, start(child, self.env)))

    def exited(self) -> list[Supervised]:
        return [s for s in self.children if not s.given_up and s.process.poll() is not None]

    def check(self) -> None:
        """Restart every child that exited since the last check (or give up on it)."""
        for supervised in self.exited():
            name, code = supervised.child.name, supervised.process.returncode
            now = self.clock()
            while supervised.restarts and now - supervised.restarts[0] > WINDOW_SECONDS:
                supervised.restarts.popleft()
            if len(supervised.restarts) >= MAX_RESTARTS:
                supervised.given_up = True
                self.report(f"{self.label}: {name} keeps stopping (exit code {code}); it stays "
                            "stopped, the rest goes on")  # fmt: skip
                continue
            supervised.restarts.append(now)
            self.report(f"{self.label}: {name} stopped (exit code {code}); starting it again")
            supervised.process = start(supervised.child, self.env)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop every child: SIGTERM to its process group, SIGKILL after ``timeout``."""
        for supervised in self.children:
            if supervised.process.poll() is None:
                _signal_group(supervised.process, signal.SIGTERM)
        deadline = self.clock() + timeout
        for supervised in self.children:
            try:
                supervised.process.wait(timeout=max(0.1, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                _signal_group(supervised.process, signal.SIGKILL)
                supervised.process.wait()


def run_until_stopped(children: Supervisor, poll_seconds: float = 0.5) -> None:
    """Keep ``children`` running until SIGINT or SIGTERM, then stop them all."""
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            children.check()
            time.sleep(poll_seconds)
    finally:
        children.stop()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
