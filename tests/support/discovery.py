"""Google's discovery documents (shipped with google-api-python-client) as JSON Schemas, so an
emulator's answers can be checked against the schema the real API documents for each method.

Checks are strict: an object may hold only the properties its schema names (a misspelt or
invented field fails), and 64-bit integers are strings, as Google sends them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import googleapiclient
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from jsonschema import Draft202012Validator

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


@cache
def document(api: str) -> dict[str, Any]:
    """The discovery document, e.g. ``document("gmail.v1")``."""
    return json.loads((DOCUMENTS / f"{api}.json").read_text())


def convert(node: dict[str, Any]) -> dict[str, Any]:
    """One discovery schema as JSON Schema (objects closed, ``$ref`` into ``$defs``)."""
    if "$ref" in node:
        return {"$ref": f"#/$defs/{node['$ref']}"}
    kind = node.get("type")
    if kind == "object":
        converted: dict[str, Any] = {
            "type": "object",
            "properties": {k: convert(v) for k, v in node.get("properties", {}).items()},
        }
        extra = node.get("additionalProperties")
        converted["additionalProperties"] = convert(extra) if extra else False
        return converted
    if kind == "array":
        return {"type": "array", "items": convert(node.get("items", {}))}
    if kind in ("string", "integer", "number", "boolean"):
        converted = {"type": kind}
        if "enum" in node:
            converted["enum"] = node["enum"]
        return converted
    return {}


def _method(api: str, method_id: str) -> dict[str, Any]:
    """The method ``users.labels.list`` of ``api`` (resources walked by the id's parts)."""
    found: dict[str, Any] = document(api)
    *resources, name = method_id.split(".")
    for resource in resources:
        found = found["resources"][resource]
    return found["methods"][name]


def check_response(api: str, method_id: str, body: Any) -> Any:
    """Validate ``body`` against the response schema of ``method_id``; returns it."""
    doc = document(api)
    reference = _method(api, method_id)["response"]["$ref"]
    schema = {
        "$defs": {name: convert(value) for name, value in doc["schemas"].items()},
        "$ref": f"#/$defs/{reference}",
    }
    Draft202012Validator(schema).validate(body)
    return body


ENDPOINTS = {"gmail": "/", "calendar": "/calendar/v3/", "people": "/", "tasks": "/"}
"""Where each API's paths start on an emulator (``api_endpoint`` replaces root and service
path, and only Calendar's paths leave its service path out)."""


def service(base_url: str, api: str, version: str, token: str | Credentials) -> Any:
    """A google-api-python-client service for ``api`` on an emulator at ``base_url``, with an
    access token or full credentials."""
    return build(
        api,
        version,
        credentials=Credentials(token=token) if isinstance(token, str) else token,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": base_url + ENDPOINTS[api]},
    )
