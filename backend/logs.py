"""Logging through the standard library, with context (tenant, mailbox, job) bound once.

``bind(mailbox=12, job="sync:12")`` adds fields to every record logged in the current context;
the formatter prints them as ``key=value``. Never bind a token, password or message body.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

_context: contextvars.ContextVar[tuple[tuple[str, object], ...]] = contextvars.ContextVar(
    "ssi_log_context", default=()
)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        record.context = " ".join(f"{key}={value}" for key, value in context)
        return True


def configure_logging(level: str) -> None:
    """Send records to stderr with their bound context; safe to call more than once."""
    root = logging.getLogger()
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO on every start; keep its migrations' lines.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if any(getattr(handler, "ssi", False) for handler in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.ssi = True  # type: ignore[attr-defined]
    handler.addFilter(_ContextFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s %(context)s")
    )
    root.addHandler(handler)


@contextmanager
def bind(**fields: object) -> Iterator[None]:
    """Add ``fields`` to every record logged inside the ``with`` block."""
    merged = {**dict(_context.get()), **fields}
    token = _context.set(tuple(merged.items()))
    try:
        yield
    finally:
        _context.reset(token)
