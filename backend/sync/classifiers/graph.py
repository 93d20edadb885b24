"""Classify what went wrong talking to Microsoft Graph (Exchange Online) into the taxonomy.

Pure and table-driven. A :class:`GraphError` is read by its status and Graph's error code; a
token that Microsoft's sign-in refuses to refresh (authlib's ``OAuthError``, e.g.
``invalid_grant`` after 90 idle days or a revoked consent) is ``AUTH``; a network failure is
``TEMPORARY``, never ``AUTH``.
"""

from __future__ import annotations

import socket

import requests
from authlib.integrations.base_client.errors import OAuthError as ClientOAuthError
from authlib.oauth2.base import OAuth2Error

from backend.mailbox.graph.provider import INVALID_ANSWER, GraphError
from backend.models.types import IssueCode
from backend.sync.classifiers.common import classify_plain
from backend.sync.errors import Classification

_RULES: tuple[tuple[int | None, str | None, IssueCode], ...] = (
    # (status, Graph's error code (case-insensitive), code); None matches anything.
    (401, None, IssueCode.AUTH),
    (None, "InvalidAuthenticationToken", IssueCode.AUTH),
    (403, "ErrorInvalidLicense", IssueCode.ACCOUNT_DISABLED),
    (None, "MailboxNotEnabledForRESTAPI", IssueCode.ACCOUNT_DISABLED),
    (None, "MailboxNotSupportedForRESTAPI", IssueCode.ACCOUNT_DISABLED),
    (None, "ErrorMailboxMoveInProgress", IssueCode.TEMPORARY),
    (None, INVALID_ANSWER, IssueCode.TEMPORARY),
    (None, "ErrorInvalidUser", IssueCode.ACCOUNT_DISABLED),
    (403, "ErrorAccessDenied", IssueCode.AUTH),
    (403, "Authorization_RequestDenied", IssueCode.AUTH),
    (410, None, IssueCode.CURSOR_INVALID),
    (None, "ErrorInvalidSyncStateData", IssueCode.CURSOR_INVALID),
    (412, None, IssueCode.CONFLICT),
    (409, None, IssueCode.CONFLICT),
    (None, "ErrorIrresolvableConflict", IssueCode.CONFLICT),
    (404, None, IssueCode.NOT_FOUND),
    (429, None, IssueCode.TEMPORARY),
    (500, None, IssueCode.TEMPORARY),
    (502, None, IssueCode.TEMPORARY),
    (503, None, IssueCode.TEMPORARY),
    (504, None, IssueCode.TEMPORARY),
    (403, None, IssueCode.FORBIDDEN),
)
_NETWORK = (requests.RequestException, socket.error, ConnectionError, TimeoutError)
_REFUSED_GRANTS = frozenset(
    {"invalid_grant", "invalid_client", "unauthorized_client", "interaction_required",
     "consent_required", "invalid_scope", "missing_token", "token_invalid", "token_expired"}
)  # fmt: skip


def _classify_graph(error: GraphError) -> Classification:
    code = IssueCode.UNKNOWN
    for status, graph_code, rule_code in _RULES:
        if status not in (None, error.status):
            continue
        if graph_code is not None and graph_code.casefold() != error.code.casefold():
            continue
        code = rule_code
        break
    return Classification(
        code=code,
        message=error.message,
        backend_code=error.code,
        http_status=error.status,
        retry_after=error.retry_after if code is IssueCode.TEMPORARY else None,
    )


def classify_graph_error(error: BaseException) -> Classification:
    """Map one Graph failure to its taxonomy code.

    Args:
        error: a :class:`GraphError`, an authlib OAuth error from a token refresh, a provider
            error, or a network exception.

    Returns:
        The classification; ``retry_after`` comes from ``Retry-After`` on temporary failures.
    """
    message = str(error) or type(error).__name__
    if isinstance(error, GraphError):
        return _classify_graph(error)
    if isinstance(error, OAuth2Error | ClientOAuthError):
        name = str(getattr(error, "error", "") or "")
        code = IssueCode.AUTH if name in _REFUSED_GRANTS else IssueCode.TEMPORARY
        return Classification(code, message, backend_code=name or type(error).__name__)
    return classify_plain(error, _NETWORK)
