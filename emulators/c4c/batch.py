"""The ``$batch`` wire format (multipart/mixed) as C4C reads and writes it.

A batch holds retrieve requests and changesets; each changeset is a nested multipart of
modifying requests. A changeset succeeds or fails as a whole: on failure its answer is the single
failing response, and the other parts of the batch still run.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

from emulators.c4c import errors
from emulators.c4c.errors import ODataError

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


@dataclass
class Operation:
    """One request, top-level or from a batch; header names are lower case."""

    method: str
    resource: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    """The status, headers and body the service answers one operation with."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def boundary_of(content_type: str) -> str:
    """The multipart boundary of a ``Content-Type``; a 400 when there is none."""
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise ODataError(400, errors.BAD_REQUEST, "Batch request without a boundary")
    return match.group(1)


def _parts(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    delimiter = b"--" + boundary.encode()
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise ODataError(400, errors.BAD_REQUEST, "Malformed batch request body")
    return [_head_and_body(chunk.strip(b"\r\n")) for chunk in chunks[1:-1]]


def _head_and_body(chunk: bytes) -> tuple[dict[str, str], bytes]:
    head, _, rest = chunk.replace(b"\r\n", b"\n").partition(b"\n\n")
    headers: dict[str, str] = {}
    for line in head.decode().split("\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def _operation(headers: dict[str, str], content: bytes) -> Operation:
    if headers.get("content-type", "").split(";")[0].strip() != "application/http":
        raise ODataError(400, errors.BAD_REQUEST, "Batch part is not of type application/http")
    request_line, inner_headers, body = _head_and_body_line(content)
    method, _, rest = request_line.partition(" ")
    resource = rest.rsplit(" ", 1)[0] if rest.endswith("HTTP/1.1") else rest
    return Operation(method.upper(), resource.strip(), inner_headers, body.strip(b"\n"))


def _head_and_body_line(content: bytes) -> tuple[str, dict[str, str], bytes]:
    first, _, rest = content.replace(b"\r\n", b"\n").partition(b"\n")
    head, _, body = rest.partition(b"\n\n")
    headers, _ = _head_and_body(head + b"\n\n")
    return first.decode().strip(), headers, body


def _http(answer: Answer) -> str:
    lines = [f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase}"]
    lines += [f"{name}: {value}" for name, value in answer.headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n" + answer.body.decode()


def _part(text: str) -> str:
    return f"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n{text}\r\n"


def run_batch(
    body: bytes,
    content_type: str,
    execute: Callable[[Operation], Answer],
    changeset: Callable[[list[Operation]], list[Answer]],
) -> tuple[str, bytes]:
    """Run a batch request.

    Args:
        body: the multipart body.
        content_type: its ``Content-Type`` (carries the boundary).
        execute: runs one retrieve request.
        changeset: runs the operations of one changeset atomically; on failure returns the one
            failing answer.

    Returns:
        The response's content type and body.

    Raises:
        ODataError: 400 when the batch itself is malformed.
    """
    out_boundary = f"batch_{uuid.uuid4()}"
    sections = []
    for headers, content in _parts(body, boundary_of(content_type)):
        part_type = headers.get("content-type", "")
        if part_type.startswith("multipart/mixed"):
            operations = [_operation(h, c) for h, c in _parts(content, boundary_of(part_type))]
            if any(operation.method == "GET" for operation in operations):
                raise ODataError(400, errors.BAD_REQUEST, "GET is not allowed in a changeset")
            answers = changeset(operations)
            if len(answers) == 1 and answers[0].status >= 400:
                sections.append(_part(_http(answers[0])))
                continue
            inner = f"changeset_{uuid.uuid4()}"
            nested = "".join(f"--{inner}\r\n" + _part(_http(answer)) for answer in answers)
            sections.append(
                f"Content-Type: multipart/mixed; boundary={inner}\r\n\r\n{nested}--{inner}--\r\n"
            )
        else:
            operation = _operation(headers, content)
            if operation.method != "GET":
                raise ODataError(400, errors.BAD_REQUEST, "Modifying request outside a changeset")
            sections.append(_part(_http(execute(operation))))
    text = "".join(f"--{out_boundary}\r\n{section}" for section in sections)
    return f"multipart/mixed; boundary={out_boundary}", f"{text}--{out_boundary}--\r\n".encode()
