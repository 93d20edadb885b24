"""The mass-change guard: a run that would delete or overwrite too much stops before writing.

A sync that suddenly wants to delete a third of someone's contacts is more often a mistake (a
folder moved, a filter changed in C4C) than a wish. The run is held, a mailbox-level issue asks
a key user to look, and it goes ahead only once they approve.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GuardLimits:
    share: float
    """Largest share of the mailbox's synced items a run may delete or overwrite."""
    minimum: int
    """Below this many deletes and overwrites the guard never trips."""


def trips(destructive: int, synced_items: int, limits: GuardLimits) -> bool:
    """Whether ``destructive`` deletes/overwrites out of ``synced_items`` is too much.

    Both limits must be exceeded: more than ``share`` of the items and at least ``minimum``.
    """
    return destructive >= limits.minimum and destructive > limits.share * synced_items
