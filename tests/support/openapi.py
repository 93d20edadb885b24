"""Checking real answers against an OpenAPI 3.1 document's own schemas (JSON Schema 2020-12),
and that every route under a prefix is in the document.

:func:`check` expects one status; :func:`conforms` takes whatever status came and fails when the
operation does not document it, or when the body or a documented header does not match.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from flask import Flask
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "urn:ssi-sync:openapi"


def load(document: Path) -> dict[str, Any]:
    return yaml.safe_load(document.read_text())


def pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def resolve(spec: dict[str, Any], at: str) -> Any:
    found: Any = spec
    for part in at.lstrip("/").split("/"):
        found = found[part.replace("~1", "/").replace("~0", "~")]
    return found


def _follow(spec: dict[str, Any], at: str) -> tuple[str, Any]:
    found = resolve(spec, at)
    if "$ref" in found:
        at = found["$ref"].removeprefix("#")
        found = resolve(spec, at)
    return at, found


def check(spec: dict[str, Any], answer, path: str, status: int, method: str = "get") -> Any:
    """Validate ``answer`` against what the document gives ``method path`` for ``status``."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    return conforms(spec, answer, path, method)


def operations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """Every ``(path, method)`` the document describes."""
    return [
        (path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    ]


def statuses(spec: dict[str, Any], path: str, method: str) -> set[int]:
    """The statuses the document says ``method path`` answers."""
    return {int(code) for code in spec["paths"][path][method]["responses"]}


def parameters(spec: dict[str, Any], path: str, method: str) -> list[dict[str, Any]]:
    """The parameters of ``method path``, the path's own included, references resolved."""
    item = spec["paths"][path]
    found = [*item.get("parameters", []), *item[method].get("parameters", [])]
    return [resolve(spec, p["$ref"].removeprefix("#")) if "$ref" in p else p for p in found]


def conforms(spec: dict[str, Any], answer, path: str, method: str = "get") -> Any:
    """Validate ``answer`` (a test client's response) against ``method path`` in the document,
    whatever its status: an undocumented status, body or header fails."""
    status = answer.status_code
    documented = statuses(spec, path, method)
    assert status in documented, (
        f"{method.upper()} {path} answered {status}, which the document does not list "
        f"({sorted(documented)}): {answer.get_data(as_text=True)[:300]}"
    )
    at, response = _follow(spec, pointer("paths", path, method, "responses", str(status)))
    for header, described in response.get("headers", {}).items():
        schema = described["schema"] if "$ref" not in described else (
            resolve(spec, described["$ref"].removeprefix("#"))["schema"]
        )  # fmt: skip
        value = answer.headers[header]
        if "const" in schema:
            assert value == schema["const"], header
        if "pattern" in schema:
            assert re.search(schema["pattern"], value), (header, value)
    if "content" not in response:
        assert not answer.data
        return None
    media = answer.mimetype
    assert media in response["content"], f"{media} not documented for {path} {status}"
    registry = Registry().with_resource(
        BASE, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    schema = {"$ref": f"{BASE}#{at}{pointer('content', media, 'schema')}"}
    body = answer.get_json()
    Draft202012Validator(schema, registry=registry).validate(body)
    return body


def undocumented(app: Flask, spec: dict[str, Any], prefix: str) -> list[str]:
    """Routes under ``prefix`` (and their methods) the document does not describe."""
    missing = []
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(prefix + "/")]
    assert routes, f"no routes under {prefix}"
    for rule in routes:
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(prefix))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method.lower() not in spec["paths"].get(path, {}):
                missing.append(f"{method} {rule.rule}")
    return missing
