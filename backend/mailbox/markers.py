"""Sync markers as category names: pure functions shared by providers that use categories."""

from __future__ import annotations

from collections.abc import Iterable

MARKER = "Sync Error"
DETAIL_PREFIX = f"{MARKER}: "
MAX_DETAIL = 255 - len(DETAIL_PREFIX)


def is_marker(category: str) -> bool:
    """Whether ``category`` is one of ours ("Sync Error" or "Sync Error: ...")."""
    return category == MARKER or category.startswith(DETAIL_PREFIX)


def detail_category(detail: str) -> str:
    """The detail marker for ``detail``, e.g. "Sync Error: Last name missing"."""
    text = " ".join(detail.split())[:MAX_DETAIL]
    return f"{DETAIL_PREFIX}{text}" if text else MARKER


def with_markers(categories: Iterable[str], detail: str) -> tuple[str, ...]:
    """The user's categories plus "Sync Error" and one detail marker (any older one replaced)."""
    own = [c for c in categories if not is_marker(c)]
    markers = [MARKER, detail_category(detail)]
    return tuple(own + list(dict.fromkeys(markers)))


def without_markers(categories: Iterable[str]) -> tuple[str, ...]:
    """The categories with exactly our markers removed."""
    return tuple(c for c in categories if not is_marker(c))
