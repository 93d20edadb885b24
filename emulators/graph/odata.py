"""Reading and answering requests the OData way Graph does: JSON bodies, ``$select``, ``$top``
and ``$skip``, ``Prefer: odata.maxpagesize``, ``If-Match``, and absolute paging links built from
the host the caller used (so a client can GET them as they are)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from flask import Response, request

from emulators.graph.errors import ODATA_JSON, GraphError, bad_request

METADATA = "https://graph.microsoft.com/v1.0/$metadata#"
MAX_PAGE = 1000
_CATEGORY_FILTER = re.compile(r"^categories/any\((\w+):\s*\1\s+eq\s+'((?:[^']|'')*)'\)$")


def answer(body: dict[str, Any] | None, status: int = 200, **headers: str) -> Response:
    """A Graph answer: OData JSON (or nothing for 204) with extra headers."""
    text = "" if body is None else json.dumps(body)
    response = Response(text, status=status, content_type=ODATA_JSON if body is not None else None)
    response.headers.update({name.replace("_", "-"): value for name, value in headers.items()})
    return response


def json_body() -> dict[str, Any]:
    """The request's JSON object.

    Raises:
        GraphError: 400 ``BadRequest`` for an empty body, malformed JSON or not an object.
    """
    raw = request.get_data()
    if not raw.strip():
        raise bad_request("Empty Payload. JSON content expected.")
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise bad_request(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and "
            "payload is of valid JSON format."
        )
    return body


def selected(known: set[str], type_name: str) -> set[str] | None:
    """The properties ``$select`` asks for, None for all.

    Raises:
        GraphError: 400 for a property the type does not have.
    """
    raw = request.args.get("$select")
    if not raw:
        return None
    names = {name.strip() for name in raw.split(",") if name.strip()}
    for name in names - known:
        raise bad_request(
            f"Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'.",
            "RequestBroker--ParseUri",
        )
    return names


def project(entity: dict[str, Any], names: set[str] | None) -> dict[str, Any]:
    """``entity`` limited to ``names`` (``@odata.etag`` and ``id`` always stay)."""
    if names is None:
        return entity
    keep = names | {"@odata.etag", "id", "@odata.type"}
    return {key: value for key, value in entity.items() if key in keep}


def filter_match(form: re.Pattern[str]) -> re.Match[str] | None:
    """``$filter`` matched against the one form the request supports; None without a filter.

    Raises:
        GraphError: 400 ``ErrorInvalidUrlQueryFilter`` for any other filter.
    """
    raw = request.args.get("$filter")
    match = form.match(raw.strip()) if raw else None
    if raw and match is None:
        raise bad_request(
            "The query filter contains one or more invalid nodes.", "ErrorInvalidUrlQueryFilter"
        )
    return match


def category_filter() -> str | None:
    """The category of ``$filter=categories/any(c:c eq 'X')``, None without a filter."""
    match = filter_match(_CATEGORY_FILTER)
    return match.group(2).replace("''", "'") if match else None


def whole_number(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise bad_request(f"Invalid value '{raw}' for query parameter '{name}'.")
    return int(raw)


def max_page_size(default: int) -> tuple[int, dict[str, str]]:
    """The page size ``Prefer: odata.maxpagesize=N`` asks for (clamped to 1..1000), and the
    ``Preference-Applied`` header that says it was honoured."""
    match = re.search(r"odata\.maxpagesize=(\d+)", request.headers.get("Prefer", ""))
    if match is None:
        return default, {}
    size = max(1, min(MAX_PAGE, int(match.group(1))))
    return size, {"Preference-Applied": f"odata.maxpagesize={size}"}


def link(**query: str | int) -> str:
    """This request's path on the caller's host with ``query`` instead of its own."""
    return f"{request.host_url}{request.path.lstrip('/')}?{urlencode(query, safe='$')}"


def page(entities: list[dict[str, Any]], context: str) -> Response:
    """One page of a list by ``$top`` (default 10) and ``$skip``, with a ``@odata.nextLink``
    that keeps the other query parameters."""
    top = max(1, min(MAX_PAGE, whole_number("$top", 10)))
    skip = whole_number("$skip", 0)
    body: dict[str, Any] = {"@odata.context": METADATA + context}
    body["value"] = entities[skip : skip + top]
    if skip + top < len(entities):
        kept = {k: v for k, v in request.args.items() if k not in ("$top", "$skip")}
        body["@odata.nextLink"] = link(**kept, **{"$top": top, "$skip": skip + top})
    return answer(body)


def check_if_match(etag: str) -> None:
    """Refuse a write whose ``If-Match`` names another version than ``etag``.

    Raises:
        GraphError: 412 ``ErrorIrresolvableConflict``.
    """
    given = request.headers.get("If-Match")
    if given is None or given.strip() == "*":
        return
    if given.strip().removeprefix("W/") != etag.removeprefix("W/"):
        raise GraphError(
            412,
            "ErrorIrresolvableConflict",
            "The send or update operation could not be performed because the change key passed "
            "in the request does not match the current change key for the item.",
        )
