"""Writing ``$batch`` requests and reading their answers (OData V2 multipart/mixed).

Each write goes in its own changeset, so one rejected record fails only itself.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from backend.crm.errors import C4CError, C4CHTTPError
from backend.crm.values import entity_from_json

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


@dataclass(frozen=True)
class BatchWrite:
    """One modifying request: ``resource`` is relative to the service root."""

    method: str
    resource: str
    body: dict[str, Any] | None = None
    if_match: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """The outcome of one write of a batch: the entity (for creates), the new ETag (for
    changes) or the error."""

    external_id: str | None
    entity: dict[str, Any] | None = None
    error: C4CHTTPError | None = None
    etag: str | None = None


@dataclass(frozen=True)
class PartAnswer:
    status: int
    headers: dict[str, str]
    body: str


def encode_batch(writes: list[BatchWrite]) -> tuple[str, bytes]:
    """A ``$batch`` body with one changeset per write.

    Args:
        writes: the requests, in order.

    Returns:
        The request's content type and body.
    """
    batch = f"batch_{uuid.uuid4()}"
    lines: list[str] = []
    for write in writes:
        changeset = f"changeset_{uuid.uuid4()}"
        body = json.dumps(write.body) if write.body is not None else ""
        request = [f"{write.method} {write.resource} HTTP/1.1", "Accept: application/json"]
        if write.body is not None:
            request.append("Content-Type: application/json")
        if write.if_match:
            request.append(f"If-Match: {write.if_match}")
        lines += [
            f"--{batch}",
            f"Content-Type: multipart/mixed; boundary={changeset}",
            "",
            f"--{changeset}",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "",
            *request,
            "",
            body,
            f"--{changeset}--",
        ]
    lines += [f"--{batch}--", ""]
    return f"multipart/mixed; boundary={batch}", "\r\n".join(lines).encode()


def encode_reads(resources: list[str]) -> tuple[str, bytes]:
    """A ``$batch`` body of retrieve requests, each a part of its own (OData V2 keeps GETs out
    of changesets).

    Args:
        resources: the requests' targets relative to the service root, query included and
            encoded (``ContactCollection?$filter=...``).

    Returns:
        The request's content type and body.
    """
    batch = f"batch_{uuid.uuid4()}"
    lines: list[str] = []
    for resource in resources:
        lines += [
            f"--{batch}",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "",
            f"GET {resource} HTTP/1.1",
            "Accept: application/json",
            "",
            "",
        ]
    lines += [f"--{batch}--", ""]
    return f"multipart/mixed; boundary={batch}", "\r\n".join(lines).encode()


def decode_batch(content_type: str, body: bytes) -> list[PartAnswer]:
    """The answers of a ``$batch`` response, one per changeset or retrieve, flattened in order.

    A failed changeset contributes its single error answer.

    Args:
        content_type: the response's ``Content-Type`` (carries the boundary).
        body: the response body.

    Returns:
        The answers in the order of the request's parts.
    """
    answers: list[PartAnswer] = []
    for headers, content in _parts(body.decode(), _boundary(content_type)):
        part_type = headers.get("content-type", "")
        if part_type.startswith("multipart/mixed"):
            answers += [_http(inner) for _, inner in _parts(content, _boundary(part_type))]
        else:
            answers.append(_http(content))
    return answers


def _boundary(content_type: str) -> str:
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise ValueError(f"no boundary in {content_type!r}")
    return match.group(1)


def _split_head(text: str) -> tuple[dict[str, str], str]:
    head, _, rest = text.partition("\n\n")
    headers = {}
    for line in head.split("\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def _parts(text: str, boundary: str) -> list[tuple[dict[str, str], str]]:
    chunks = text.replace("\r\n", "\n").split(f"--{boundary}")
    return [_split_head(chunk.strip("\n")) for chunk in chunks[1:-1]]


def _http(content: str) -> PartAnswer:
    status_line, _, rest = content.partition("\n")
    headers, body = _split_head(rest)
    return PartAnswer(int(status_line.split(" ")[1]), headers, body.strip())


def batch_results(content_type: str, body: bytes, expected: int) -> list[BatchResult]:
    """The outcome of each write of a ``$batch`` response.

    Args:
        content_type: the response's ``Content-Type``.
        body: the response body.
        expected: how many writes were sent.

    Returns:
        One result per write, in order: the entity for a create, the error for a failure.

    Raises:
        C4CError: when the answer does not have one part per write.
    """
    answers = decode_batch(content_type, body)
    if len(answers) != expected:
        raise C4CError(f"$batch answered {len(answers)} parts for {expected} writes")
    results = []
    for answer in answers:
        if answer.status >= 400:
            error = C4CHTTPError.from_parts(answer.status, answer.headers, answer.body)
            results.append(BatchResult(None, error=error))
        elif answer.body:
            entity = entity_from_json(json.loads(answer.body)["d"])
            results.append(BatchResult(None, entity, etag=answer.headers.get("etag")))
        else:
            results.append(BatchResult(None, etag=answer.headers.get("etag")))
    return results
