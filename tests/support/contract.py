"""Walking every operation of an OpenAPI document with hostile input, and checking each answer
against the document (:func:`tests.support.openapi.conforms`): an undocumented status fails.

Two sources of requests:

- :func:`walk`, a fixed list of inputs that broke or could break the APIs: ids beyond 32 or 64 bits,
  other scripts' digits, dates at the ends of the calendar, bodies that are not objects,
  unknown and repeated parameters;
- :func:`fuzz`, Schemathesis generating requests from the document's own schemas (valid ones
  and ones that break them), a bounded number per operation, without a database of examples.

Both send through the app's Flask test client, so a signed-in session or a token the test set
up goes with every request.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings

from tests.support import openapi

HOSTILE_IDS = (
    "0",
    "-1",
    "2147483648",
    "9223372036854775808",
    "18446744073709551616",
    "99999999999999999999999999",
    "%C2%B2",
    "%EF%BC%91",
    "%D9%A3",
    "1.0",
    "1e3",
    "0x1F",
    "%201",
    "abc",
    "%00",
)
"""Path ids: beyond 32 and 64 bits, superscript and full-width and Arabic-Indic digits..."""

HOSTILE_VALUES = (
    "",
    " ",
    "0",
    "-1",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999999999",
    "\u00b2",
    "\uff11\uff12",
    "\u0663",
    "1_0",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00+01:00",
    "10000-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "null",
    "x" * 5000,
    "<script>alert(1)</script>",
    "%",
    "a@b",
)
"""Query values, each tried in every parameter."""

HOSTILE_BODIES = (
    b"",
    b"not json",
    b"[]",
    b'"text"',
    b"null",
    b"1",
    b"{}",
    b'{"values": "x"}',
    b'{"values": {"a": 1}}',
    b'{"values": {"a": ["b"]}, "related_id": 5}',
    b'{"id": 1, "type": []}',
    b'{"id": "", "type": ""}',
    b'{"unknown": true}',
    b'{"a": ' * 200 + b"1" + b"}" * 200,
    json.dumps({"values": {f"F{n}": "x" * 100 for n in range(150)}}).encode(),
    json.dumps({"id": "x" * 10_000, "type": "message"}).encode(),
)
"""JSON bodies (and some that are not): wrong types, unknown members, deep and large ones."""

Observed = dict[tuple[str, str], set[int]]
Headers = Mapping[str, str] | Callable[[], Mapping[str, str]] | None
"""Sent with every request, or a function giving them anew for each (a fresh token when some
operations end the token they are sent with)."""


def _headers(headers: Headers) -> dict[str, str]:
    return dict(headers() if callable(headers) else headers or {})


Query = dict[str, str | list[str]]


def _requests(
    spec: dict[str, Any], path: str, method: str, good: Mapping[str, str | None]
) -> Iterator[tuple[str, Query, bytes | None]]:
    """``(url path, query, body)`` variants of one operation: the good values, then each
    parameter (and the body) in turn replaced by every hostile value."""
    described = openapi.parameters(spec, path, method)
    in_path = [p["name"] for p in described if p["in"] == "path"]
    names = [p["name"] for p in described if p["in"] == "query"]
    query: Query = {name: good[name] for name in names if good.get(name) is not None}
    has_body = "requestBody" in spec["paths"][path][method]
    body = (good.get("body") or "{}").encode() if has_body else None

    def url(**ids: str) -> str:
        found = path
        for name in in_path:
            found = found.replace("{" + name + "}", ids.get(name) or str(good[name]))
        return found

    yield url(), query, body
    for name in in_path:
        for value in HOSTILE_IDS:
            yield url(**{name: value}), query, body
    for name in names:
        for value in HOSTILE_VALUES:
            yield url(), {**query, name: value}, body
    yield url(), {**query, "unknown": "1"}, body
    for name, value in query.items():
        yield url(), {**query, name: [str(value), str(value)]}, body
    if has_body:
        for hostile in HOSTILE_BODIES:
            yield url(), query, hostile


def walk(
    spec: dict[str, Any],
    client: FlaskClient,
    good: Mapping[str, str | None],
    headers: Headers = None,
    extra_query: Mapping[str, tuple[str, ...]] | None = None,
) -> Observed:
    """Send every hostile variant of every operation; fail on the first answer the document
    does not describe.

    Args:
        spec: the loaded document.
        client: the app's test client, signed in (or not) as the test wants.
        good: a valid value for every path parameter (an existing issue's id...) and for the
            query parameters to send by default (``None`` leaves one out), and ``body`` for
            operations that take one.
        headers: sent with every request (a bearer token, the add-in version), see
            :data:`Headers`.
        extra_query: more values to try per query parameter (an existing user's id...).

    Returns:
        The statuses seen per ``(path, method)``.
    """
    base = spec["servers"][0]["url"]
    seen: Observed = defaultdict(set)
    for path, method in openapi.operations(spec):
        variants = list(_requests(spec, path, method, good))
        for name, values in (extra_query or {}).items():
            variants += [
                (url, {**query, name: value}, body)
                for url, query, body in variants[:1]
                if name in query
                for value in values
            ]
        for url, query, body in variants:
            answer = client.open(
                base + url,
                method=method.upper(),
                query_string=query,
                data=body,
                content_type="application/json" if body is not None else None,
                headers=_headers(headers),
            )
            openapi.conforms(spec, answer, path, method)
            seen[(path, method)].add(answer.status_code)
    return seen


def fuzz(
    document: Path,
    spec: dict[str, Any],
    client: FlaskClient,
    headers: Headers = None,
    examples: int = 25,
    path_values: Mapping[str, str] | None = None,
) -> Observed:
    """Schemathesis requests for every operation of ``document``: ``examples`` valid ones, and
    as many that break the schemas where there is something to break; each answer must be one
    the document describes.

    ``headers`` (see :data:`Headers`) replace generated ones of the same name (a real token
    instead of a random one). ``path_values`` replace generated path parameters in the valid
    requests (an existing issue's id, so that their queries and bodies reach the view; the
    schema-breaking ones keep their generated ids).
    """
    import schemathesis
    from schemathesis import GenerationMode

    loaded = schemathesis.openapi.from_path(str(document))
    seen: Observed = defaultdict(set)
    for result in loaded.get_all_operations():
        operation = result.ok()
        path, method = operation.path, operation.method.lower()
        described = openapi.parameters(spec, path, method)
        breakable = "requestBody" in spec["paths"][path][method] or any(
            p["in"] in ("path", "query") for p in described
        )
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if breakable else [])
        for mode in modes:
            strategy = operation.as_strategy(generation_mode=mode)
            fixed = path_values if mode is GenerationMode.POSITIVE else None
            statuses = _fuzz_one(strategy, spec, client, (path, method), headers, examples, fixed)
            seen[(path, method)] |= statuses
    return seen


def _fuzz_one(
    strategy: Any,
    spec: dict[str, Any],
    client: FlaskClient,
    operation: tuple[str, str],
    headers: Headers,
    examples: int,
    path_values: Mapping[str, str] | None,
) -> set[int]:
    from schemathesis.transport.wsgi import WSGI_TRANSPORT

    seen: set[int] = set()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def call(case: Any) -> None:
        if path_values and case.path_parameters:
            known = {k: v for k, v in path_values.items() if k in case.path_parameters}
            case.path_parameters = {**case.path_parameters, **known}
        request = WSGI_TRANSPORT.serialize_case(case, headers=_headers(headers))
        # The test client's own agent: a signed-in session is bound to it.
        request["headers"].pop("User-Agent", None)
        answer = client.open(**request)
        openapi.conforms(spec, answer, *operation)
        seen.add(answer.status_code)

    call()
    return seen
