"""``classify_ews_error`` maps each kind of EWS failure to one taxonomy code (table-driven)."""

from __future__ import annotations

import pytest
import requests
from exchangelib import errors as ews

from backend.mailbox.base import InvalidRecord, UnsupportedOperation
from backend.models.types import IssueCode
from backend.sync.classifiers.ews import classify_ews_error

CASES = [
    (ews.ErrorServerBusy("busy", back_off=2.5), IssueCode.TEMPORARY),
    (ews.UnauthorizedError("Invalid credentials"), IssueCode.AUTH),
    (ews.ErrorAccessDenied("denied"), IssueCode.AUTH),
    (ews.ErrorImpersonateUserDenied("no"), IssueCode.AUTH),
    (ews.ErrorNonExistentMailbox("gone"), IssueCode.ACCOUNT_DISABLED),
    (ews.ErrorMailboxMoveInProgress("moving"), IssueCode.ACCOUNT_DISABLED),
    (ews.ErrorAccountDisabled("disabled"), IssueCode.ACCOUNT_DISABLED),
    (ews.ErrorInvalidSyncStateData("bad state"), IssueCode.CURSOR_INVALID),
    (ews.ErrorItemNotFound("missing"), IssueCode.NOT_FOUND),
    (ews.ErrorIrresolvableConflict("change key"), IssueCode.CONFLICT),
    (ews.ErrorTimeoutExpired("timeout"), IssueCode.TEMPORARY),
    (ews.ErrorInternalServerTransientError("x"), IssueCode.TEMPORARY),
    (ews.TransportError("connection reset"), IssueCode.TEMPORARY),
    (ews.MalformedResponseError("Unknown failure. Code: 502"), IssueCode.TEMPORARY),
    (requests.ConnectionError("refused"), IssueCode.TEMPORARY),
    (requests.Timeout("slow"), IssueCode.TEMPORARY),
    (ConnectionResetError("reset"), IssueCode.TEMPORARY),
    (TimeoutError("slow"), IssueCode.TEMPORARY),
    (InvalidRecord("Last name missing", fields=("surname",)), IssueCode.NEEDS_INPUT),
    (UnsupportedOperation("read only"), IssueCode.FORBIDDEN),
    (ews.ErrorQuotaExceeded("full"), IssueCode.UNKNOWN),
    (ValueError("surprise"), IssueCode.UNKNOWN),
]


@pytest.mark.parametrize(("error", "code"), CASES, ids=[type(e).__name__ for e, _ in CASES])
def test_each_error_has_its_code(error: BaseException, code: IssueCode) -> None:
    assert classify_ews_error(error).code is code


NETWORK = [
    error
    for error, _ in CASES
    if isinstance(error, OSError | requests.RequestException | ews.TransportError)
    and not isinstance(error, ews.ErrorAccessDenied | ews.ErrorImpersonateUserDenied)
]


def test_the_network_cases_are_there() -> None:
    assert {type(error).__name__ for error in NETWORK} >= {
        "ConnectionError", "Timeout", "ConnectionResetError", "TimeoutError", "TransportError",
    }  # fmt: skip


@pytest.mark.parametrize("error", NETWORK, ids=[type(e).__name__ for e in NETWORK])
def test_network_errors_are_never_auth(error: BaseException) -> None:
    """A network that fails never stops a mailbox as if its password had changed."""
    assert classify_ews_error(error).code is not IssueCode.AUTH


def test_details_are_carried() -> None:
    busy = classify_ews_error(ews.ErrorServerBusy("busy", back_off=2.5))
    assert busy.retry_after == 2.5 and busy.backend_code == "ErrorServerBusy"
    assert classify_ews_error(ews.UnauthorizedError("x")).http_status == 401
    missing = classify_ews_error(InvalidRecord("Last name missing", fields=("surname",)))
    assert missing.fields == ("surname",) and missing.backend_code == "InvalidRecord"
    assert classify_ews_error(ews.ErrorItemNotFound("missing")).retry_after is None
