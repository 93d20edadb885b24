"""Gmail's batch endpoint (``POST /batch/gmail/v1``): up to 100 Gmail calls in one request.

The body is ``multipart/mixed``; each part is ``application/http`` holding one request (request
line, headers with its own ``Authorization``, body) and a ``Content-ID``. Each is answered as
Gmail would answer it alone, in a part of the same kind whose ``Content-ID`` is the request's
with ``response-`` in front, in the same order. Parts for another API are answered 404. The
batch itself is one request for the request log and for fault injection.
"""

from __future__ import annotations

import secrets
from email import message_from_bytes, policy
from email.message import Message
from email.parser import Parser

from flask import Blueprint, Response, current_app, request

from emulators.google.errors import GoogleError, envelope, invalid

MAX_PARTS = 100
STATUS_TEXT = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
               403: "Forbidden", 404: "Not Found", 409: "Conflict", 429: "Too Many Requests",
               500: "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip


def _inner(part: Message) -> tuple[str, str, dict[str, str], bytes]:
    """Method, target, headers and body of the request one part holds."""
    payload = part.get_payload(decode=False)
    text = payload if isinstance(payload, str) else ""
    request_line, _, rest = text.partition("\n")
    pieces = request_line.strip().split(" ")
    if len(pieces) != 3 or not pieces[2].startswith("HTTP/"):
        raise invalid("Failed to parse batch request, error: malformed request line.")
    head = Parser(policy=policy.HTTP).parsestr(rest, headersonly=True)
    body = rest.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in rest else rest.split("\n\n", 1)[-1]
    headers = {name.lower(): str(value) for name, value in head.items()}
    return pieces[0], pieces[1], headers, body.encode()


def _answer_part(content_id: str, status: int, body: bytes) -> str:
    response_id = "<response-" + content_id.strip().removeprefix("<")
    reason = STATUS_TEXT.get(status, "Unknown")
    return (
        "Content-Type: application/http\r\n"
        f"Content-ID: {response_id}\r\n\r\n"
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: application/json; charset=UTF-8\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
        f"{body.decode()}\r\n"
    )


def create_blueprint() -> Blueprint:
    batch = Blueprint("gmail_batch", __name__)

    @batch.post("/batch/gmail/v1")
    def gmail_batch() -> Response:
        kind = request.headers.get("Content-Type", "")
        if not kind.startswith("multipart/mixed") or "boundary=" not in kind:
            raise invalid("Batch requests must be multipart/mixed with a boundary.")
        whole = message_from_bytes(
            f"Content-Type: {kind}\r\n\r\n".encode() + request.get_data(), policy=policy.HTTP
        )
        parts = whole.get_payload() if whole.is_multipart() else []
        if not isinstance(parts, list) or not parts:
            raise invalid("Batch requests must hold at least one part.")
        if len(parts) > MAX_PARTS:
            raise invalid(f"Too many requests in batch; at most {MAX_PARTS} are allowed.")
        client = current_app.test_client()
        answered = []
        for part in parts:
            method, target, headers, body = _inner(part)
            if not target.startswith("/gmail/v1/"):
                error = envelope(GoogleError(404, "notFound", "Not Found"))
                answered.append(_answer_part(part["Content-ID"] or "", 404, error.get_data()))
                continue
            passed = {k: v for k, v in headers.items() if k in ("authorization", "content-type")}
            reply = client.open(target, method=method, headers=passed, data=body or None)
            answered.append(_answer_part(part["Content-ID"] or "", reply.status_code,
                                         reply.get_data()))  # fmt: skip
        boundary = "batch_" + secrets.token_hex(12)
        text = "".join(f"--{boundary}\r\n{part}" for part in answered) + f"--{boundary}--\r\n"
        return Response(text, content_type=f"multipart/mixed; boundary={boundary}")

    return batch
