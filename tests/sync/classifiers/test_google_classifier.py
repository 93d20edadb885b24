"""``classify_google_error``: Google's answers, as googleapiclient and google-auth raise them."""

from __future__ import annotations

import json
import socket

import httplib2
import pytest
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError

from backend.mailbox.base import ChangedMeanwhile, InvalidRecord, UnsupportedOperation
from backend.models.types import IssueCode
from backend.sync.classifiers.google import classify_google_error

GMAIL = "https://gmail.googleapis.com/gmail/v1/users/me"


def http_error(status: int, reason: str, message: str = "m", uri: str = f"{GMAIL}/messages/x",
               retry_after: str | None = None) -> HttpError:  # fmt: skip
    headers = {"status": str(status), **({"retry-after": retry_after} if retry_after else {})}
    detail = {"reason": reason, "domain": "global", "message": message}
    body = {"error": {"code": status, "message": message, "errors": [detail]}}
    return HttpError(httplib2.Response(headers), json.dumps(body).encode(), uri=uri)


CASES = [
    (http_error(401, "authError"), IssueCode.AUTH),
    (http_error(403, "insufficientPermissions"), IssueCode.AUTH),
    (http_error(403, "domainPolicy"), IssueCode.AUTH),
    (http_error(403, "rateLimitExceeded"), IssueCode.TEMPORARY),
    (http_error(403, "userRateLimitExceeded"), IssueCode.TEMPORARY),
    (http_error(403, "forbiddenForNonOrganizer"), IssueCode.FORBIDDEN),
    (http_error(429, "rateLimitExceeded"), IssueCode.TEMPORARY),
    (http_error(500, "backendError"), IssueCode.TEMPORARY),
    (http_error(503, "serviceUnavailable"), IssueCode.TEMPORARY),
    (http_error(404, "notFound"), IssueCode.NOT_FOUND),
    (http_error(404, "notFound", uri=f"{GMAIL}/history?startHistoryId=1"),
     IssueCode.CURSOR_INVALID),
    (http_error(410, "fullSyncRequired"), IssueCode.CURSOR_INVALID),
    (http_error(410, "deleted"), IssueCode.NOT_FOUND),
    (http_error(400, "failedPrecondition", "Sync token is expired. Clear local cache and retry."),
     IssueCode.CURSOR_INVALID),
    (http_error(400, "failedPrecondition", "Request person.etag is different"), IssueCode.CONFLICT),
    (http_error(400, "failedPrecondition", "Mail service not enabled"), IssueCode.ACCOUNT_DISABLED),
    (http_error(412, "conditionNotMet"), IssueCode.CONFLICT),
    (http_error(400, "invalidArgument"), IssueCode.UNKNOWN),
    (RefreshError("invalid_grant: Token has been expired or revoked."), IssueCode.AUTH),
    (TransportError("connection refused"), IssueCode.TEMPORARY),
    (httplib2.ServerNotFoundError("no such host"), IssueCode.TEMPORARY),
    (TimeoutError("timed out"), IssueCode.TEMPORARY),
    (socket.gaierror("no address"), IssueCode.TEMPORARY),
    (ConnectionResetError(), IssueCode.TEMPORARY),
    (InvalidRecord("no name", ("names",)), IssueCode.NEEDS_INPUT),
    (UnsupportedOperation("no"), IssueCode.FORBIDDEN),
    (ChangedMeanwhile("edited"), IssueCode.CONFLICT),
    (ValueError("odd"), IssueCode.UNKNOWN),
]  # fmt: skip


@pytest.mark.parametrize(("error", "code"), CASES, ids=lambda v: getattr(v, "name", None))
def test_each_answer_gets_its_code(error: BaseException, code: IssueCode) -> None:
    assert classify_google_error(error).code is code


def test_rate_limits_carry_retry_after_and_the_reason_is_the_backend_code() -> None:
    found = classify_google_error(http_error(429, "rateLimitExceeded", retry_after="12"))
    assert (found.retry_after, found.backend_code, found.http_status) == (
        12.0,
        "rateLimitExceeded",
        429,
    )
    assert classify_google_error(http_error(404, "notFound", retry_after="12")).retry_after is None
    record = classify_google_error(InvalidRecord("no name", ("names",)))
    assert record.fields == ("names",)


def test_a_stale_history_id_from_the_emulator_is_a_stale_cursor() -> None:
    from emulators.google import GoogleEmulator
    from tests.support.discovery import service

    emulator = GoogleEmulator()
    emulator.add_mailbox("gina@contoso.test", "ya29.t").forget_history()
    with emulator:
        gmail = service(emulator.url, "gmail", "v1", "ya29.t")
        with pytest.raises(HttpError) as raised:
            gmail.users().history().list(userId="me", startHistoryId="1").execute()
    assert classify_google_error(raised.value).code is IssueCode.CURSOR_INVALID
