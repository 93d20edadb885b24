"""Microsoft Graph's JSON error envelope, as every Graph v1.0 call answers a failure.

``{"error": {"code": "ErrorItemNotFound", "message": ..., "innerError": {"date", "request-id",
"client-request-id"}}}``: clients switch on the HTTP status and the ``code``. The constructors
below carry the texts Graph sends for the failures the emulator produces itself;
:func:`graph_fault` makes a :class:`~emulators.base.Fault` in the same shape for tests.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Response, has_request_context, request

from emulators.base import Fault

ODATA_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"  # noqa: E501


class GraphError(Exception):
    """A failure answered in Graph's envelope.

    Args:
        status: the HTTP status.
        code: the ``error.code`` clients read (``ErrorItemNotFound``, ``BadRequest``...).
        message: the text.
        headers: extra response headers (``Retry-After``, ``WWW-Authenticate``).
    """

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def client_request_id() -> str:
    """The caller's ``client-request-id`` header, or a new one as Graph makes up."""
    given = request.headers.get("client-request-id") if has_request_context() else None
    return given or str(uuid.uuid4())


def error_body(code: str, message: str) -> dict[str, Any]:
    inner = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": str(uuid.uuid4()),
        "client-request-id": client_request_id(),
    }
    return {"error": {"code": code, "message": message, "innerError": inner}}


def envelope(error: GraphError) -> Response:
    body = json.dumps(error_body(error.code, error.message))
    response = Response(body, status=error.status, content_type="application/json")
    response.headers.update(error.headers)
    return response


def bad_request(message: str, code: str = "BadRequest") -> GraphError:
    return GraphError(400, code, message)


def item_not_found() -> GraphError:
    return GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")


def invalid_token(empty: bool) -> GraphError:
    message = (
        "Access token is empty."
        if empty
        else "IDX14100: JWT is not well formed, there are no dots (.). The token needs to be in "
        "JWS or JWE Compact Serialization Format."
    )
    header = (
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/'
        'authorize", client_id="00000003-0000-0000-c000-000000000000"'
    )
    return GraphError(401, "InvalidAuthenticationToken", message, {"WWW-Authenticate": header})


def access_denied() -> GraphError:
    return GraphError(
        403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
    )


def throttled(retry_after: int = 1) -> GraphError:
    return GraphError(
        429,
        "ApplicationThrottled",
        "Application is over its MailboxConcurrency limit.",
        {"Retry-After": str(retry_after)},
    )


def unknown_property(name: str, type_name: str) -> GraphError:
    return bad_request(
        f"The property '{name}' does not exist on type 'microsoft.graph.{type_name}'. Make sure "
        "to only use property names that are defined by the type or mark the type as open type.",
        "RequestBodyRead",
    )


def not_convertible(value: object, type_name: str) -> GraphError:
    return bad_request(
        f"Cannot convert the literal '{value}' to the expected type '{type_name}'.",
        "RequestBodyRead",
    )


FAULT_MESSAGES = {
    "TooManyRequests": (429, "Too many requests, please try again later."),
    "ApplicationThrottled": (429, "Application is over its MailboxConcurrency limit."),
    "MailboxConcurrency": (429, "Application is over its MailboxConcurrency limit."),
    "ServiceUnavailable": (503, "Service unavailable, please try again later."),
    "ErrorServerBusy": (503, "The server cannot service this request right now."),
    "UnknownError": (500, "An internal server error occurred."),
    "ErrorInternalServerError": (500, "An internal server error occurred. The operation failed."),
    "ErrorInvalidLicense": (403, "Tenant does not have a SPO license."),
    "ErrorAccessDenied": (403, "Access is denied. Check credentials and try again."),
    "InvalidAuthenticationToken": (401, "Lifetime validation failed, the token is expired."),
    "MailboxNotEnabledForRESTAPI": (
        404,
        "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
    ),
}
"""The failures tests inject most, by code: (HTTP status, Graph's message)."""


def graph_fault(
    code: str,
    status: int | None = None,
    *,
    message: str | None = None,
    retry_after: int | None = None,
    times: int = 1,
    path: str = ".*",
    method: str = "*",
) -> Fault:
    """A fault answered in Graph's envelope, e.g. ``graph_fault("TooManyRequests", 429,
    retry_after=2)``; status and message default to Graph's usual ones for ``code``."""
    usual_status, usual_message = FAULT_MESSAGES.get(code, (status or 400, code))
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if code == "MailboxConcurrency":
        code = "ApplicationThrottled"
    body = json.dumps(error_body(code, message or usual_message))
    return Fault(
        path=path,
        method=method,
        times=times,
        status=status or usual_status,
        body=body,
        headers=headers,
    )
