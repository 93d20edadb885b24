"""Classify what went wrong talking to Google (Gmail, Calendar, People, Tasks) into the taxonomy.

Pure and table-driven. An ``HttpError`` is read by its status, Google's ``reason`` and, where
the same answer means different things, the API it came from: a 404 from Gmail's history is a
stale cursor, not a missing item. A refresh that Google refuses is ``AUTH``; a refresh that
could not reach Google is ``TEMPORARY``. A network failure is never ``AUTH``.
"""

from __future__ import annotations

import socket

import httplib2
import requests
from google.auth import exceptions as auth_errors
from googleapiclient.errors import HttpError

from backend.models.types import IssueCode
from backend.sync.classifiers.common import classify_plain
from backend.sync.errors import Classification

RATE_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded",
     "concurrentLimitExceeded"}
)  # fmt: skip
ITEM_FORBIDDEN_REASONS = frozenset(
    {"forbiddenForNonOrganizer", "forbiddenForServiceAccounts", "requiredAccessLevel",
     "cannotChangeOrganizer", "cannotDeleteSystemGroup", "immutableField"}
)  # fmt: skip
EXPIRED_SYNC_TOKEN = "sync token is expired"

_RULES: tuple[tuple[int | None, str | None, str | None, IssueCode], ...] = (
    # (status, reason, a piece of the URL or message, code); None matches anything.
    (401, None, None, IssueCode.AUTH),
    (403, "accountDisabled", None, IssueCode.ACCOUNT_DISABLED),
    (400, "failedPrecondition", "Mail service not enabled", IssueCode.ACCOUNT_DISABLED),
    (404, None, "/history", IssueCode.CURSOR_INVALID),
    (410, "fullSyncRequired", None, IssueCode.CURSOR_INVALID),
    (410, "updatedMinTooLongAgo", None, IssueCode.CURSOR_INVALID),
    (400, "failedPrecondition", EXPIRED_SYNC_TOKEN, IssueCode.CURSOR_INVALID),
    (400, "failedPrecondition", None, IssueCode.CONFLICT),
    (412, None, None, IssueCode.CONFLICT),
    (409, None, None, IssueCode.CONFLICT),
    (404, None, None, IssueCode.NOT_FOUND),
    (410, None, None, IssueCode.NOT_FOUND),
    (429, None, None, IssueCode.TEMPORARY),
    (500, None, None, IssueCode.TEMPORARY),
    (502, None, None, IssueCode.TEMPORARY),
    (503, None, None, IssueCode.TEMPORARY),
    (504, None, None, IssueCode.TEMPORARY),
    (400, None, None, IssueCode.UNKNOWN),
)
_NETWORK = (
    auth_errors.TransportError,
    httplib2.HttpLib2Error,
    requests.RequestException,
    socket.error,
    ConnectionError,
    TimeoutError,
)


def _reason(error: HttpError) -> str | None:
    details = getattr(error, "error_details", None)
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return details[0].get("reason")
    return None


def _retry_after(error: HttpError) -> float | None:
    value = error.resp.get("retry-after") if error.resp is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _classify_http(error: HttpError) -> Classification:
    status = int(error.resp.status)
    reason = _reason(error)
    message = error.reason or f"HTTP {status}"
    where = f"{error.uri or ''} {message}".casefold()
    code = IssueCode.UNKNOWN
    if status == 403:
        if reason in RATE_LIMIT_REASONS:
            code = IssueCode.TEMPORARY
        elif reason in ITEM_FORBIDDEN_REASONS:
            code = IssueCode.FORBIDDEN
        elif reason == "accountDisabled":
            code = IssueCode.ACCOUNT_DISABLED
        else:
            code = IssueCode.AUTH  # insufficientPermissions, domainPolicy, a revoked scope...
    else:
        for rule_status, rule_reason, needle, rule_code in _RULES:
            if rule_status not in (None, status) or rule_reason not in (None, reason):
                continue
            if needle is not None and needle.casefold() not in where:
                continue
            code = rule_code
            break
    return Classification(
        code=code,
        message=message,
        backend_code=reason or f"HTTP {status}",
        http_status=status,
        retry_after=_retry_after(error) if code is IssueCode.TEMPORARY else None,
    )


def classify_google_error(error: BaseException) -> Classification:
    """Map one Google failure to its taxonomy code.

    Args:
        error: a googleapiclient ``HttpError``, a google-auth error, a provider error, or a
            network exception.

    Returns:
        The classification; ``retry_after`` comes from a ``Retry-After`` header on temporary
        failures, ``fields`` names a record's missing fields.
    """
    message = str(error) or type(error).__name__
    if isinstance(error, HttpError):
        return _classify_http(error)
    if isinstance(error, auth_errors.RefreshError):
        retryable = bool(getattr(error, "retryable", False))
        code = IssueCode.TEMPORARY if retryable else IssueCode.AUTH
        return Classification(code, message, backend_code="RefreshError")
    return classify_plain(error, _NETWORK)
