"""The demo's supervisor: a child that exits is reported and started again; one that keeps
exiting is left stopped while the others go on; stopping ends them all."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

from backend.demo.supervisor import MAX_RESTARTS, Supervisor


@dataclass(frozen=True)
class Child:
    name: str
    argv: tuple[str, ...]


EXITS = Child("flaky", (sys.executable, "-c", "import sys; sys.exit(3)"))
SLEEPS = Child("steady", (sys.executable, "-c", "import time; time.sleep(60)"))


def wait_until_exited(supervisor: Supervisor, name: str) -> None:
    deadline = time.monotonic() + 10
    while not any(s.child.name == name for s in supervisor.exited()):
        assert time.monotonic() < deadline, f"{name} did not exit"
        time.sleep(0.05)


def test_an_exited_child_is_reported_and_started_again_until_it_keeps_failing() -> None:
    lines: list[str] = []
    now = [1000.0]
    supervisor = Supervisor(dict(os.environ), lines.append, clock=lambda: now[0])
    supervisor.start([EXITS, SLEEPS])
    steady = supervisor.children[1].process
    try:
        for restart in range(MAX_RESTARTS):
            wait_until_exited(supervisor, "flaky")
            supervisor.check()
            assert lines[-1] == "demo: flaky stopped (exit code 3); starting it again"
            assert len(lines) == restart + 1
            now[0] += 1
        wait_until_exited(supervisor, "flaky")
        supervisor.check()
        assert lines[-1].startswith("demo: flaky keeps stopping (exit code 3)")
        supervisor.check()
        assert len(lines) == MAX_RESTARTS + 1, "said once"
        assert supervisor.children[1].process is steady and steady.poll() is None
    finally:
        supervisor.stop(timeout=5)
    assert steady.poll() is not None


def test_restarts_long_ago_do_not_count() -> None:
    lines: list[str] = []
    now = [0.0]
    supervisor = Supervisor(dict(os.environ), lines.append, clock=lambda: now[0])
    supervisor.start([EXITS])
    try:
        for _ in range(MAX_RESTARTS + 3):
            wait_until_exited(supervisor, "flaky")
            supervisor.check()
            now[0] += 61
        assert all(line.endswith("starting it again") for line in lines)
    finally:
        supervisor.stop(timeout=5)
