"""Logging through the standard library, with context (tenant, mailbox, job) bound once, and
never a secret.

``bind(mailbox=12, job="sync:12")`` adds fields to every record logged in the current context;
the text format prints them as ``key=value``, the JSON format (``LOG_FORMAT=json``, one object
per line for a log collector) as keys of the object. A run binds its run, mailbox and tenant.
Never bind a token, password or message body.

Two guards keep secrets out whatever ``LOG_LEVEL`` says: the HTTP client libraries' loggers
(exchangelib, urllib3, requests-oauthlib, authlib, Google's clients), which print request
headers and bodies at DEBUG, stay at INFO or above; and every record is redacted when it is
made (:func:`redact`: ``Authorization`` headers, tokens, secrets and passwords), so no
handler, ours or another's, ever sees one.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

QUIET_LIBRARIES = (
    "exchangelib",
    "urllib3",
    "requests",
    "requests_oauthlib",
    "requests_ntlm",
    "oauthlib",
    "authlib",
    "googleapiclient",
    "google_auth_httplib2",
    "google.auth",
    "httplib2",
)
"""Loggers that print HTTP requests (headers with credentials, bodies) at DEBUG."""
REDACTED = "[redacted]"
_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization|x-goog-gmail-access-token)(['\"]?\s*[:=]\s*['\"]?)"
    r"((?:basic|bearer|ntlm|negotiate|digest)\s+)?(?!\[redacted\])[^\s'\",;}\]]+"
)
_SECRET = re.compile(
    r"(?i)\b(access_token|refresh_token|id_token|client_secret|password|passwd|"
    r"code_verifier|assertion|token|secret)(['\"]?\s*[:=]\s*['\"]?)(?!\[redacted\])"
    r"[^\s'\",&;}\]]+"
)
_LINK = re.compile(r"(/invitation/)(?!\[redacted\])[A-Za-z0-9_-]{16,}")
"""The secret of an invitation link, as an access log line shows its path."""

_context: contextvars.ContextVar[tuple[tuple[str, object], ...]] = contextvars.ContextVar(
    "ssi_log_context", default=()
)


def redact(text: str) -> str:
    """``text`` with credentials replaced by ``[redacted]``.

    Args:
        text: a log message or a formatted traceback.

    Returns:
        The text without the values of ``Authorization`` headers, of tokens, secrets and
        passwords (``name: value``, ``name=value``, ``"name": "value"``), and of the secrets
        in invitation links.
    """
    text = _LINK.sub(lambda m: f"{m[1]}{REDACTED}", text)
    text = _HEADER.sub(lambda m: f"{m[1]}{m[2]}{m[3] or ''}{REDACTED}", text)
    return _SECRET.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        record.context = " ".join(f"{key}={value}" for key, value in context)
        record.context_fields = dict(context)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, the bound fields and any
    traceback; already redacted like every record."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "context_fields", {}),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self.formatException(record.exc_info))
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s %(context)s"


def handler_for(stream: Any, log_format: str = "text") -> logging.Handler:
    """A handler writing to ``stream`` in ``log_format`` (``text`` or ``json``), with context."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(_ContextFilter())
    _set_format(handler, log_format)
    return handler


def _set_format(handler: logging.Handler, log_format: str) -> None:
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )


_make_record = logging.getLogRecordFactory()


def _redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Every record as made, its message (and traceback) redacted before any handler sees it."""
    record = _make_record(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a record whose arguments do not fit its message: keep it as it is
        return record
    record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    return record


def configure_logging(level: str, log_format: str = "text") -> None:
    """Send records to stderr with their bound context, redacted, as text or JSON lines; safe to
    call more than once."""
    root = logging.getLogger()
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO on every start; keep its migrations' lines.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    quiet = max(logging.INFO, logging.getLevelName(level))
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(quiet)
    if logging.getLogRecordFactory() is not _redacted_record:
        logging.setLogRecordFactory(_redacted_record)
    ours = [handler for handler in root.handlers if getattr(handler, "ssi", False)]
    for handler in ours:
        _set_format(handler, log_format)
    if ours:
        return
    handler = handler_for(None, log_format)
    handler.ssi = True  # type: ignore[attr-defined]
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
