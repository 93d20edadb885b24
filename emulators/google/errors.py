"""Google's JSON error envelope, as every Google API answers a failure.

``{"error": {"code": 404, "message": ..., "errors": [{"message", "domain", "reason"}],
"status": "NOT_FOUND"}}``: the HTTP status, a text, the legacy ``reason`` clients switch on
(``notFound``, ``rateLimitExceeded``, ``backendError``...) and the gRPC-style ``status``.
"""

from __future__ import annotations

import json

from flask import Response, jsonify

from emulators.base import Fault

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    410: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class GoogleError(Exception):
    """A failure answered in Google's envelope.

    Args:
        code: the HTTP status.
        reason: the ``errors[0].reason`` clients read (``notFound``, ``invalidArgument``...).
        message: the text.
        status: the gRPC status name; by default the usual one for ``code``.
    """

    def __init__(self, code: int, reason: str, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.status = status or STATUS_NAMES.get(code, "UNKNOWN")


def _body(error: GoogleError) -> dict:
    return {
        "error": {
            "code": error.code,
            "message": error.message,
            "errors": [{"message": error.message, "domain": "global", "reason": error.reason}],
            "status": error.status,
        }
    }


def envelope(error: GoogleError) -> Response:
    response = jsonify(_body(error))
    response.status_code = error.code
    if error.code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
    return response


def not_found() -> GoogleError:
    return GoogleError(404, "notFound", "Requested entity was not found.")


def invalid(message: str) -> GoogleError:
    return GoogleError(400, "invalidArgument", message)


def unauthenticated() -> GoogleError:
    return GoogleError(
        401,
        "authError",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential.",
    )


FAULT_MESSAGES = {
    "rateLimitExceeded": (429, "Rate Limit Exceeded"),
    "userRateLimitExceeded": (403, "User Rate Limit Exceeded"),
    "quotaExceeded": (403, "Quota exceeded for quota metric 'Queries'."),
    "backendError": (500, "Backend Error"),
    "serviceUnavailable": (503, "The service is currently unavailable."),
    "forbidden": (403, "Forbidden"),
    "notFound": (404, "Requested entity was not found."),
}
"""The failures tests inject most, by reason: (HTTP status, Google's message)."""


def google_fault(
    reason: str,
    *,
    path: str = ".*",
    method: str = "*",
    times: int = 1,
    retry_after: int | None = None,
) -> Fault:
    """A fault answered in Google's envelope, e.g. ``google_fault("rateLimitExceeded")``."""
    code, message = FAULT_MESSAGES[reason]
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    body = json.dumps(_body(GoogleError(code, reason, message)))
    return Fault(path=path, method=method, times=times, status=code, body=body, headers=headers)
