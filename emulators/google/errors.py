"""Google's JSON error envelope, as every Google API answers a failure.

``{"error": {"code": 404, "message": ..., "errors": [{"message", "domain", "reason"}],
"status": "NOT_FOUND"}}``: the HTTP status, a text, the legacy ``reason`` clients switch on
(``notFound``, ``rateLimitExceeded``, ``backendError``...) and the gRPC-style ``status``.
"""

from __future__ import annotations

from flask import Response, jsonify

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


def envelope(error: GoogleError) -> Response:
    body = {
        "error": {
            "code": error.code,
            "message": error.message,
            "errors": [{"message": error.message, "domain": "global", "reason": error.reason}],
            "status": error.status,
        }
    }
    response = jsonify(body)
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
