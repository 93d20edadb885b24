"""Classify what went wrong talking to Exchange (EWS) into the failure taxonomy.

A pure, table-driven function over exchangelib's exceptions and the Exchange provider's own
errors: the first row whose exception class matches wins, so specific classes come before the
families they belong to. A network failure is never ``AUTH``: only a real 401 or an explicit
access-denied answer stops a mailbox for its credentials.
"""

from __future__ import annotations

import requests
from exchangelib import errors as ews

from backend.mailbox.base import InvalidRecord, ProviderError, UnsupportedOperation
from backend.models.types import IssueCode
from backend.sync.errors import Classification

_TABLE: tuple[tuple[type[BaseException], IssueCode, int | None], ...] = (
    (ews.ErrorServerBusy, IssueCode.TEMPORARY, None),
    (ews.UnauthorizedError, IssueCode.AUTH, 401),
    (ews.ErrorAccessDenied, IssueCode.AUTH, None),
    (ews.ErrorImpersonateUserDenied, IssueCode.AUTH, None),
    (ews.ErrorNonExistentMailbox, IssueCode.ACCOUNT_DISABLED, None),
    (ews.ErrorMailboxMoveInProgress, IssueCode.ACCOUNT_DISABLED, None),
    (ews.ErrorAccountDisabled, IssueCode.ACCOUNT_DISABLED, None),
    (ews.ErrorInvalidLicense, IssueCode.ACCOUNT_DISABLED, None),
    (ews.ErrorInvalidSyncStateData, IssueCode.CURSOR_INVALID, None),
    (ews.ErrorItemNotFound, IssueCode.NOT_FOUND, None),
    (ews.ErrorIrresolvableConflict, IssueCode.CONFLICT, None),
    (ews.ErrorStaleObject, IssueCode.CONFLICT, None),
    (ews.ErrorChangeKeyRequiredForWriteOperations, IssueCode.CONFLICT, None),
    (ews.ErrorTimeoutExpired, IssueCode.TEMPORARY, None),
    (ews.ErrorInternalServerTransientError, IssueCode.TEMPORARY, None),
    (ews.ErrorMailboxStoreUnavailable, IssueCode.TEMPORARY, None),
    (ews.ErrorExceededConnectionCount, IssueCode.TEMPORARY, None),
    (ews.ErrorTooManyObjectsOpened, IssueCode.TEMPORARY, None),
    (ews.ErrorConnectionFailed, IssueCode.TEMPORARY, None),
    (ews.CASError, IssueCode.TEMPORARY, None),
    (ews.RateLimitError, IssueCode.TEMPORARY, None),
    (InvalidRecord, IssueCode.NEEDS_INPUT, None),
    (UnsupportedOperation, IssueCode.FORBIDDEN, None),
    (ews.ResponseMessageError, IssueCode.UNKNOWN, None),
    (ews.TransportError, IssueCode.TEMPORARY, None),
    (requests.RequestException, IssueCode.TEMPORARY, None),
    (ConnectionError, IssueCode.TEMPORARY, None),
    (TimeoutError, IssueCode.TEMPORARY, None),
)


def _backend_code(error: BaseException) -> str:
    return error.code if isinstance(error, ProviderError) else type(error).__name__


def classify_ews_error(error: BaseException) -> Classification:
    """Map one EWS failure to its taxonomy code.

    Args:
        error: an exchangelib exception, a provider error, or a network exception.

    Returns:
        The classification; ``retry_after`` is the server's ``BackOffMilliseconds`` in seconds
        for ``ErrorServerBusy``, and ``fields`` names a record's missing fields.
    """
    message = str(error) or type(error).__name__
    for kind, code, status in _TABLE:
        if isinstance(error, kind):
            return Classification(
                code=code,
                message=message,
                backend_code=_backend_code(error),
                http_status=status,
                fields=error.fields if isinstance(error, InvalidRecord) else (),
                retry_after=getattr(error, "back_off", None)
                if isinstance(error, ews.ErrorServerBusy)
                else None,
            )
    return Classification(IssueCode.UNKNOWN, message, backend_code=type(error).__name__)
