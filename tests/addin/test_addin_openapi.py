"""``docs/addin-api.yaml`` describes the add-in API as it answers: real answers against a real
sync (C4C and EWS emulators) are checked against the document's own schemas, and every operation
walked with hostile input answers only statuses the document lists for it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from backend.models import Issue
from backend.models.issue import Source
from backend.models.types import IssueCode, ItemType
from emulators.ews.seed import add_message
from tests.addin.conftest import contact_missing_last_name, token_for
from tests.support import contract, openapi
from tests.support.openapi import check
from tests.support.world import ADDRESS

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "addin-api.yaml"
PREFIX = "/addin/api/v1"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return openapi.load(DOCUMENT)


@pytest.fixture
def app_config(app_config: dict[str, object], request) -> dict[str, object]:
    """The engine world's settings with rate limits the walks stay under (a test passes its
    own through ``indirect`` parametrisation); refused requests are limited per address."""
    limit = getattr(request, "param", 100_000)
    return {**app_config, "RATE_LIMIT_PER_MINUTE": limit, "RATE_LIMIT_REFUSED_PER_MINUTE": limit}


@pytest.fixture
def world(ews, outlook, sync_now, session, mailbox) -> dict[str, str | None]:
    """Valid values for every parameter: Anna's contact issue, a private message to track."""
    issue = contact_missing_last_name(outlook, sync_now, session, mailbox)
    private = add_message(ews.store.mailbox(ADDRESS), "Lunch?", "friend@example.org")
    return {
        "issue_id": str(issue.id),
        "id": private.id,
        "type": "message",
        "q": "Nolast",
        "body": json.dumps({"id": private.id, "type": "message", "values": {}}),
    }


def test_the_document_is_valid_and_describes_every_route(app, spec) -> None:
    assert spec["openapi"].startswith("3.1.") and spec["servers"] == [{"url": PREFIX}]
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    assert openapi.undocumented(app, spec, PREFIX) == []


def test_answers_match_the_schemas(
    spec, client, pane, ews, outlook, sync_now, crm, session, mailbox
) -> None:
    account = crm.create("CorporateAccountCollection", {"Name": "Nowhere Ltd"}, "seed-1")
    message = add_message(ews.store.mailbox(ADDRESS), "Hi", "who@nowhere.test", categories=["SAP"])
    private = add_message(ews.store.mailbox(ADDRESS), "Lunch?", "friend@example.org")
    contact = contact_missing_last_name(outlook, sync_now, session, mailbox).id
    mail = session.scalars(select(Issue.id).where(Issue.item_type == ItemType.EMAIL)).one()

    check(spec, client.get(f"{PREFIX}/version"), "/version", 200)
    assert check(spec, pane.call("GET", "/me"), "/me", 200)["mailbox"]["address"] == ADDRESS
    item = {"id": message.id, "type": "message"}
    shown = check(spec, pane.call("GET", "/item", query_string=item), "/item", 200)
    assert shown["item"]["state"] == "issue"
    form = check(spec, pane.call("GET", f"/issues/{contact}/form"), "/issues/{issue_id}/form", 200)
    assert form["fields"]
    found = pane.call("GET", f"/issues/{mail}/related?q=Nowhere")
    assert check(spec, found, "/issues/{issue_id}/related", 200)["candidates"]
    refused = pane.call("POST", f"/issues/{contact}/form", json={"values": {"LastName": ""}})
    assert not check(spec, refused, "/issues/{issue_id}/form", 422, "post")["ok"]
    saved = pane.call("POST", f"/issues/{mail}/form", json={"related_id": account["ObjectID"]})
    assert check(spec, saved, "/issues/{issue_id}/form", 200, "post")["ok"]
    tracked = pane.call("POST", "/item/track", json={"id": private.id, "type": "message"})
    assert check(spec, tracked, "/item/track", 202, "post")["item"]["state"] == "pending"
    retried = pane.call("POST", f"/issues/{contact}/retry")
    check(spec, retried, "/issues/{issue_id}/retry", 202, "post")
    fresh = check(spec, pane.call("POST", "/token/refresh"), "/token/refresh", 200, "post")
    pane.token = fresh["token"]
    check(spec, pane.call("DELETE", "/token"), "/token", 204, "delete")


def test_errors_match_the_schemas(spec, client, pane) -> None:
    check(spec, client.get(f"{PREFIX}/me"), "/me", 401)
    check(spec, pane.call("GET", "/item?id=x&type=message"), "/item", 400)
    check(spec, pane.call("GET", "/issues/999/form"), "/issues/{issue_id}/form", 404)
    contact = {"id": "QUJDREVGR0g=", "type": "contact"}
    check(spec, pane.call("POST", "/item/track", json=contact), "/item/track", 409, "post")
    old = {"X-Addin-Version": "0.1"}
    assert check(spec, pane.call("GET", "/me", headers=old), "/me", 426)["minimum"] == "1.0.0"


def _mailbox_level_issue(session, mailbox) -> Issue:
    issue = Issue(
        tenant_id=mailbox.tenant_id, user_id=mailbox.user_id, mailbox_id=mailbox.id,
        item_type=None, item_key="", code=IssueCode.AUTH, source=Source.EXCHANGE,
        backend_message="The password was changed", fields=[],
    )  # fmt: skip
    session.add(issue)
    session.commit()
    return issue


@pytest.fixture
def fresh(session, anna):
    """Headers with a new token each time: refresh and sign-out end the token they are sent
    with, and saving and tracking have tight limits per token."""

    def headers() -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(session, anna)}", "X-Addin-Version": "1.0"}

    return headers


def test_every_operation_answers_only_what_the_document_lists(spec, client, world, fresh) -> None:
    body = json.loads(world["body"] or "{}")
    bodies = {"/item/track": {k: body[k] for k in ("id", "type")}, "form": {"values": {}}}
    good = {**world, "body": json.dumps(bodies["/item/track"])}
    seen = contract.walk(spec, client, good, fresh)
    form = {**world, "body": json.dumps(bodies["form"])}
    seen_form = contract.walk(_only(spec, "/issues/{issue_id}/form"), client, form, fresh)
    assert seen[("/version", "get")] == {200}
    assert seen[("/me", "get")] == {200}
    assert seen[("/item", "get")] == {200, 400}
    assert seen[("/item/track", "post")] == {202, 400}
    assert seen[("/issues/{issue_id}/form", "get")] == {200, 404}
    assert seen_form[("/issues/{issue_id}/form", "post")] == {422, 400, 404}
    assert seen[("/issues/{issue_id}/related", "get")] == {200, 400, 404}
    assert seen[("/issues/{issue_id}/retry", "post")] == {202, 404}


def test_without_a_token_or_with_an_old_add_in_every_operation_answers_as_documented(
    spec, client, world
) -> None:
    signed_out = contract.walk(spec, client, world, {"X-Addin-Version": "1.0.0"})
    for (path, _method), statuses in signed_out.items():
        expected = {200} if path == "/version" else {401}
        assert statuses - {404} == expected, path
    for version in ("0.9", "not a version"):
        outdated = contract.walk(spec, client, world, {"X-Addin-Version": version})
        assert {code for statuses in outdated.values() for code in statuses} == {426, 404}


def test_generated_requests_get_documented_answers(spec, client, world, fresh) -> None:
    ids = {"issue_id": world["issue_id"] or ""}
    seen = contract.fuzz(DOCUMENT, spec, client, fresh, examples=15, path_values=ids)
    assert seen[("/me", "get")] == {200}
    assert len(seen) == len(openapi.operations(spec))
    assert seen[("/item", "get")] == {400}  # random ids are never Office item ids
    assert {404, 422} <= seen[("/issues/{issue_id}/form", "post")]


@pytest.mark.parametrize("app_config", [1], indirect=True)
def test_past_the_rate_limit_every_operation_answers_the_documented_429(
    spec, client, session, anna, world
) -> None:
    token = token_for(session, anna)
    headers = {"Authorization": f"Bearer {token}", "X-Addin-Version": "1.0.0"}
    for path, method in openapi.operations(spec):
        if path.startswith("/token"):
            continue  # they end the token; their limit is the same blueprint limit
        url = PREFIX + path.replace("{issue_id}", world["issue_id"] or "")
        query = {"id": world["id"], "type": "message", "q": "Nolast"}
        send = {"json": json.loads(world["body"] or "{}")} if method == "post" else {}
        # Saving and tracking have their own limits (30 and 20 a minute) instead of this one.
        for _ in range(31):
            answer = client.open(
                url, method=method.upper(), headers=headers, query_string=query, **send
            )
            if answer.status_code == 429:
                break
        assert check(spec, answer, path, 429, method)["error"] == "rate_limited"


def test_an_issue_no_form_fixes_answers_409_on_form_related_and_retry(
    spec, pane, session, mailbox
) -> None:
    issue = _mailbox_level_issue(session, mailbox).id
    related = pane.call("GET", f"/issues/{issue}/related?q=Contoso")
    assert check(spec, related, "/issues/{issue_id}/related", 409)["error"] == "not_fixable"
    form = pane.call("GET", f"/issues/{issue}/form")
    assert check(spec, form, "/issues/{issue_id}/form", 409)["error"] == "not_fixable"
    retried = pane.call("POST", f"/issues/{issue}/retry")
    assert check(spec, retried, "/issues/{issue_id}/retry", 409, "post")["error"] == "not_retryable"


@pytest.mark.parametrize(
    "issue_id",
    ["2147483648", "9223372036854775808", "99999999999999999999", "%C2%B2", "%EF%BC%91", "0"],
)
def test_ids_that_are_not_row_ids_answer_404_everywhere(spec, pane, world, issue_id) -> None:
    for path, method in openapi.operations(spec):
        if "{issue_id}" not in path:
            continue
        answer = pane.call(method.upper(), path.replace("{issue_id}", issue_id) + "?q=ab", json={})
        assert check(spec, answer, path, 404, method)["error"] == "not_found"


def test_a_body_that_is_not_an_object_says_so_in_fields(spec, pane, world) -> None:
    for body in (b"[]", b"not json", b"null"):
        answer = pane.call("POST", "/item/track", data=body, content_type="application/json")
        assert check(spec, answer, "/item/track", 400, "post")["fields"] == {
            "body": "send a JSON object"
        }


def _only(spec: dict[str, Any], path: str) -> dict[str, Any]:
    """The document with one path left, for a walk with that path's own good body."""
    return {**spec, "paths": {path: spec["paths"][path]}}
