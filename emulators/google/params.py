"""Reading requests the way Google's APIs do: a JSON object body, bounded integers, page tokens;
anything malformed is a 400 in Google's envelope, never a 500."""

from __future__ import annotations

from typing import Any

from flask import request

from emulators.google.errors import invalid


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise invalid("Invalid JSON payload received.")
    return body


def bounded_int(name: str, default: int, low: int, high: int) -> int:
    """Query parameter ``name`` as a whole number, clamped to ``low..high`` as Google does."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise invalid(f"Invalid value at '{name}' ({raw})")
    return max(low, min(high, int(raw)))


def page_start() -> int:
    """Where a page starts: our page tokens are offsets."""
    token = request.args.get("pageToken", "")
    if not token:
        return 0
    if not token.isdigit():
        raise invalid("Invalid pageToken")
    return int(token)
