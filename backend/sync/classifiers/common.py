"""What every mailbox classifier says alike: the provider's own errors and network failures."""

from __future__ import annotations

from backend.mailbox.base import (
    ChangedMeanwhile,
    InvalidRecord,
    ProviderError,
    UnsupportedOperation,
)
from backend.models.types import IssueCode
from backend.sync.errors import Classification


def classify_plain(
    error: BaseException, network: tuple[type[BaseException], ...]
) -> Classification:
    """A provider error by its kind, a ``network`` failure as temporary, anything else unknown
    (never ``AUTH``: only the service's own answer can say the sign-in failed)."""
    message = str(error) or type(error).__name__
    if isinstance(error, InvalidRecord):
        return Classification(IssueCode.NEEDS_INPUT, message, error.code, fields=error.fields)
    if isinstance(error, UnsupportedOperation):
        return Classification(IssueCode.FORBIDDEN, message, error.code)
    if isinstance(error, ChangedMeanwhile):
        return Classification(IssueCode.CONFLICT, message, error.code)
    if isinstance(error, ProviderError):
        return Classification(IssueCode.UNKNOWN, message, error.code)
    if isinstance(error, network):
        return Classification(IssueCode.TEMPORARY, message, backend_code=type(error).__name__)
    return Classification(IssueCode.UNKNOWN, message, backend_code=type(error).__name__)
