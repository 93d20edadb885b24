"""JSON batching: ``POST /v1.0/$batch`` with up to 20 requests in one.

Each part is run as its own request with the batch's ``Authorization`` (and the part's own
headers) and answered in the same order as ``{"id", "status", "headers", "body"}``. A part whose
``dependsOn`` names a failed part is answered 424. Exchange runs the independent parts of a
batch at once, so more than ``store.mailbox_concurrency`` of them for one mailbox exceed its
concurrency: the parts beyond are answered 429 ``ApplicationThrottled`` with ``Retry-After``,
while the batch itself answers 200. The batch is one request in the emulator's log. Graph
answers the parts in whatever order they finish; ``store.batch_answers_reversed`` answers them
last first, so a client that matches answers by position rather than id shows.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from emulators.graph.errors import bad_request, error_body, throttled
from emulators.graph.odata import answer, json_body

MAX_PARTS = 20
PASSED_HEADERS = {"authorization", "client-request-id"}


def _parts() -> list[dict[str, Any]]:
    parts = json_body().get("requests")
    if not isinstance(parts, list) or not parts:
        raise bad_request("Invalid batch payload format.")
    if len(parts) > MAX_PARTS:
        raise bad_request(f"Invalid batch payload format. The number of requests in a batch "
                          f"is limited to {MAX_PARTS}.")  # fmt: skip
    for part in parts:
        if not isinstance(part, dict) or not all(
            isinstance(part.get(name), str) for name in ("id", "method", "url")
        ):
            raise bad_request("Invalid batch payload format. Each request needs id, method, url.")
    ids = [part["id"] for part in parts]
    if len(set(ids)) != len(ids):
        raise bad_request("Invalid batch payload format. Request ids must be unique.")
    return parts


def _mailbox_key(url: str) -> str | None:
    """Whose mailbox a part's URL opens (``me`` is the caller), None for none."""
    segments = url.lstrip("/").split("?")[0].split("/")
    if segments[0] == "me" and len(segments) > 1:
        return g.principal.address
    if segments[0] == "users" and len(segments) > 2:
        found = g.store.find_mailbox(segments[1])
        return found.address if found is not None else segments[1].lower()
    return None


def _refusal(part_id: str, status: int, code: str, message: str, **headers: str) -> dict:
    return {
        "id": part_id,
        "status": status,
        "headers": {"Content-Type": "application/json", **headers},
        "body": error_body(code, message),
    }


def _run(part: dict[str, Any]) -> dict[str, Any]:
    """Answer one part as its own request, in its own app context (so its ``g`` is its own)."""
    headers = {k: v for k, v in request.headers.items() if k.lower() in PASSED_HEADERS}
    headers.update({k: str(v) for k, v in (part.get("headers") or {}).items()})
    body = part.get("body")
    data = json.dumps(body) if body is not None and not isinstance(body, str) else body
    if data is not None:
        headers.setdefault("Content-Type", "application/json")
    with current_app.app_context():
        reply = current_app.test_client().open(
            "/v1.0/" + part["url"].lstrip("/"),
            method=part["method"].upper(),
            headers=headers,
            data=data,
            base_url=request.host_url,
        )
    answered: dict[str, Any] = {
        "id": part["id"],
        "status": reply.status_code,
        "headers": {k: v for k, v in reply.headers.items() if k.lower() != "content-length"},
    }
    if reply.get_data():
        answered["body"] = reply.get_json(silent=True) or reply.get_data(as_text=True)
    return answered


def create_blueprint() -> Blueprint:
    batch = Blueprint("batch", __name__)

    @batch.post("/v1.0/$batch")
    def run_batch() -> Response:
        parts = _parts()
        started: Counter[str] = Counter()
        status: dict[str, int] = {}
        answers = []
        for part in parts:
            depends = part.get("dependsOn") or []
            key = _mailbox_key(part["url"])
            if any(status.get(d, 424) >= 400 for d in depends):
                answered = _refusal(part["id"], 424, "FailedDependency",
                                    "The request depends on a request that failed.")  # fmt: skip
            elif not depends and key is not None and started[key] >= g.store.mailbox_concurrency:
                refused = throttled()
                answered = _refusal(part["id"], 429, refused.code, refused.message,
                                    **refused.headers)  # fmt: skip
            else:
                if not depends and key is not None:
                    started[key] += 1
                answered = _run(part)
            status[part["id"]] = answered["status"]
            answers.append(answered)
        if g.store.batch_answers_reversed:
            answers.reverse()
        return answer({"responses": answers})

    return batch
