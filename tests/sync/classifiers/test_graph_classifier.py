"""``classify_graph_error``: Graph's answers as the provider raises them, and sign-in refusals
as authlib raises them."""

from __future__ import annotations

import pytest
import requests
from authlib.integrations.base_client.errors import InvalidTokenError, OAuthError

from backend.mailbox.base import ChangedMeanwhile, InvalidRecord, UnsupportedOperation
from backend.mailbox.graph.provider import GraphError, WouldNotifyAttendees
from backend.models.types import IssueCode
from backend.sync.classifiers.graph import classify_graph_error


def answered(status: int, code: str, retry_after: str | None = None) -> GraphError:
    """The error the provider raises for one Graph answer in Graph's envelope."""
    body = {"error": {"code": code, "message": f"{code} happened", "innerError": {}}}
    headers = {"Retry-After": retry_after} if retry_after else {}
    return GraphError.of(status, headers, body, "https://graph.microsoft.com/v1.0/me/contacts")


CASES = [
    (answered(401, "InvalidAuthenticationToken"), IssueCode.AUTH),
    (answered(403, "ErrorAccessDenied"), IssueCode.AUTH),
    (answered(403, "ErrorInvalidLicense"), IssueCode.ACCOUNT_DISABLED),
    (answered(404, "MailboxNotEnabledForRESTAPI"), IssueCode.ACCOUNT_DISABLED),
    (answered(404, "ErrorInvalidUser"), IssueCode.ACCOUNT_DISABLED),
    (answered(404, "ErrorItemNotFound"), IssueCode.NOT_FOUND),
    (answered(410, "syncStateNotFound"), IssueCode.CURSOR_INVALID),
    (answered(410, "SyncStateNotFound"), IssueCode.CURSOR_INVALID),
    (answered(400, "ErrorInvalidSyncStateData"), IssueCode.CURSOR_INVALID),
    (answered(412, "ErrorIrresolvableConflict"), IssueCode.CONFLICT),
    (answered(409, "ErrorFolderExists"), IssueCode.CONFLICT),
    (answered(429, "MailboxConcurrency"), IssueCode.TEMPORARY),
    (answered(429, "ApplicationThrottled"), IssueCode.TEMPORARY),
    (answered(503, "ServiceUnavailable"), IssueCode.TEMPORARY),
    (answered(504, "GatewayTimeout"), IssueCode.TEMPORARY),
    (answered(400, "ErrorMailboxMoveInProgress"), IssueCode.TEMPORARY),
    (answered(403, "ErrorSendAsDenied"), IssueCode.FORBIDDEN),
    (answered(400, "BadRequest"), IssueCode.UNKNOWN),
    (GraphError(200, "InvalidAnswer", "a portal page"), IssueCode.TEMPORARY),
    (OAuthError("invalid_grant", "AADSTS70008: The refresh token has expired"), IssueCode.AUTH),
    (OAuthError("invalid_client", "AADSTS7000215: Invalid client secret"), IssueCode.AUTH),
    (OAuthError("temporarily_unavailable", "AADSTS50196"), IssueCode.TEMPORARY),
    (InvalidTokenError(), IssueCode.AUTH),
    (requests.ConnectionError("refused"), IssueCode.TEMPORARY),
    (requests.Timeout("slow"), IssueCode.TEMPORARY),
    (TimeoutError("slow"), IssueCode.TEMPORARY),
    (InvalidRecord("no name", ("surname",)), IssueCode.NEEDS_INPUT),
    (UnsupportedOperation("e-mails"), IssueCode.FORBIDDEN),
    (WouldNotifyAttendees("meeting"), IssueCode.FORBIDDEN),
    (ChangedMeanwhile("task"), IssueCode.CONFLICT),
    (ValueError("odd"), IssueCode.UNKNOWN),
]


@pytest.mark.parametrize(("error", "code"), CASES, ids=lambda value: str(value)[:40])
def test_each_failure_has_its_code(error: BaseException, code: IssueCode) -> None:
    assert classify_graph_error(error).code is code


def test_throttling_carries_the_wait_graph_asked_for_and_the_code() -> None:
    found = classify_graph_error(answered(429, "MailboxConcurrency", retry_after="7"))
    assert (found.retry_after, found.backend_code, found.http_status) == (7.0, "MailboxConcurrency",
                                                                          429)  # fmt: skip
    assert found.message == "MailboxConcurrency happened"


def test_a_wait_is_only_kept_for_temporary_failures_and_a_bad_one_is_dropped() -> None:
    assert classify_graph_error(answered(404, "ErrorItemNotFound", "5")).retry_after is None
    assert classify_graph_error(answered(503, "ServiceUnavailable", "soon")).retry_after is None


def test_an_answer_that_is_not_graphs_envelope_still_classifies_by_status() -> None:
    error = GraphError.of(502, {}, "<html>Bad gateway</html>")
    assert (error.code, classify_graph_error(error).code) == ("HTTP 502", IssueCode.TEMPORARY)
