"""Exceptions raised by the C4C client: one hierarchy, each carrying what C4C said.

The sync engine turns them into its taxonomy with ``backend.sync.classifiers.c4c``; this module
only records the facts (status, SAP message id, text, offending fields, Retry-After).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import requests


class C4CError(Exception):
    """Any failure talking to C4C."""


class C4CConnectionError(C4CError):
    """No HTTP answer: refused, reset, or timed out.

    Args:
        message: what went wrong.
        sent: ``True`` when the request may have reached C4C (a timeout or a reset after
            sending), so a create may have happened and must be looked up before a retry.
    """

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


@dataclass(frozen=True)
class ErrorDetail:
    code: str
    message: str
    target: str


class C4CHTTPError(C4CError):
    """C4C answered with an error status.

    Attributes:
        status: the HTTP status.
        sap_code: SAP's message id (``error.code``), if the body was an SAP envelope.
        message: the text to show (``error.message.value``, or the plain body).
        details: every message of ``innererror.errordetails``.
        retry_after: seconds from a ``Retry-After`` header.
        csrf_required: the answer carried ``x-csrf-token: Required``.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        sap_code: str | None = None,
        details: tuple[ErrorDetail, ...] = (),
        retry_after: float | None = None,
        csrf_required: bool = False,
    ) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.sap_code = sap_code
        self.details = details
        self.retry_after = retry_after
        self.csrf_required = csrf_required

    @property
    def fields(self) -> tuple[str, ...]:
        """Names of the properties the error is about, in order, without repeats."""
        return tuple(dict.fromkeys(detail.target for detail in self.details if detail.target))

    @property
    def field_messages(self) -> dict[str, str]:
        """C4C's first message per property it complained about."""
        found: dict[str, str] = {}
        for detail in self.details:
            if detail.target and detail.message:
                found.setdefault(detail.target, detail.message)
        return found

    @classmethod
    def from_parts(cls, status: int, headers: dict[str, str], body: str) -> C4CHTTPError:
        """Build from a raw answer (also used for the parts of a ``$batch`` response).

        Args:
            status: the HTTP status.
            headers: the answer's headers (any case).
            body: the answer's body as text.

        Returns:
            The error, with the SAP envelope parsed when there is one.
        """
        lower = {name.lower(): value for name, value in headers.items()}
        envelope = _envelope(body)
        message = body.strip()[:500]
        if not message or message.startswith("<"):
            message = _phrase(status)
        sap_code = None
        details: tuple[ErrorDetail, ...] = ()
        if envelope is not None:
            sap_code = envelope.get("code")
            message = (envelope.get("message") or {}).get("value") or message
            raw = (envelope.get("innererror") or {}).get("errordetails") or []
            details = tuple(
                ErrorDetail(item.get("code", ""), item.get("message", ""), item.get("target", ""))
                for item in raw
                if isinstance(item, dict)
            )
        return cls(
            status,
            message,
            sap_code=sap_code,
            details=details,
            retry_after=parse_retry_after(lower.get("retry-after")),
            csrf_required=lower.get("x-csrf-token", "").lower() == "required",
        )

    @classmethod
    def from_response(cls, response: requests.Response) -> C4CHTTPError:
        """Build from a ``requests`` response.

        Args:
            response: an answer with an error status.

        Returns:
            The error.
        """
        return cls.from_parts(response.status_code, dict(response.headers), response.text)


def _phrase(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _envelope(body: str) -> dict[str, Any] | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    return error if isinstance(error, dict) else None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value.

    Args:
        value: the header's value (delta-seconds or an HTTP date), or ``None``.

    Returns:
        Seconds (never negative), or ``None`` when absent or unreadable.
    """
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class C4CRefusedAsAWhole(C4CError):
    """C4C refused a request carrying many writes as a whole (a ``$batch`` answered 403, 404,
    400...): its answer names none of them, so it is no answer about any one.

    Args:
        refused: C4C's answer to the request.
        count: the writes the request carried.
    """

    def __init__(self, refused: C4CHTTPError, count: int) -> None:
        super().__init__(
            f"C4C refused the request carrying {count} writes as a whole "
            f"(HTTP {refused.status}): {refused.message}"
        )
        self.refused = refused
