"""Threads of the process still running, by name."""

from __future__ import annotations

import threading


def alive(name: str) -> list[threading.Thread]:
    """The threads named ``name`` that have not ended."""
    return [thread for thread in threading.enumerate() if thread.name == name]
