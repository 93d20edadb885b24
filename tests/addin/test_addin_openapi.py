"""``docs/addin-api.yaml`` describes the add-in API as it answers: real answers against a real
sync (C4C and EWS emulators) are checked against the document's own schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from backend.models import Issue
from backend.models.types import ItemType
from emulators.ews.seed import add_message
from tests.addin.conftest import contact_missing_last_name
from tests.support import openapi
from tests.support.openapi import check
from tests.sync.conftest import ADDRESS

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "addin-api.yaml"
PREFIX = "/addin/api/v1"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return openapi.load(DOCUMENT)


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
