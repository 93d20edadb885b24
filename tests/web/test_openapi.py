"""``docs/openapi.yaml`` describes the API as it answers: real responses of the app are checked
against the document's own response schemas (JSON Schema 2020-12), and every API route is in it.

The contract tests walk every operation with hostile input (:mod:`tests.support.contract`) and
fail on any status the document does not list for that operation, on SQLite and PostgreSQL alike
(the suite runs on both).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from backend.models import Issue, Mailbox, User
from backend.models.issue import Operation, Resolution, Source
from backend.models.types import Direction, IssueCode, ItemType
from backend.models.user import Role
from backend.web.api import ListQuery
from tests.support import contract, factories, openapi
from tests.support.openapi import check
from tests.support.web import sign_in

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
PREFIX = "/api/v1"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return openapi.load(DOCUMENT)


@pytest.fixture
def app_config(app_config: dict[str, object], request) -> dict[str, object]:
    """The web tests' settings with a rate limit the walks stay under (a test passes its own
    through ``indirect`` parametrisation)."""
    return {**app_config, "RATE_LIMIT_PER_MINUTE": getattr(request, "param", 100_000)}


@pytest.fixture
def seeded(session, resources) -> dict[str, Any]:
    """Two users and a key user of one tenant with varied issues, and a user of another."""
    contoso = factories.tenant(session, resources.cipher)
    anna = factories.mailbox(session, resources.cipher, contoso, "anna@contoso.test")
    ken = factories.mailbox(
        session, resources.cipher, contoso, "ken@contoso.test", role=Role.KEY_USER
    )
    fabrikam = factories.tenant(session, resources.cipher, slug="fabrikam")
    eve = factories.mailbox(session, resources.cipher, fabrikam, "eve@fabrikam.test")
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    made = []
    for n in range(6):
        made.append(
            _issue(
                session, anna if n % 2 else ken, n, start,
                item_type=ItemType.TASK if n % 3 else ItemType.CONTACT,
                direction=Direction.UP if n % 2 else None, http_status=400 if n else None,
                resolved_at=start + timedelta(hours=2) if n == 5 else None,
                resolution=Resolution.USER_FIX if n == 5 else None,
            )
        )  # fmt: skip
    mailbox_level = dict(item_type=None, item_key="", mailbox_item_id=None, title=None, fields=[])
    made.append(_issue(session, anna, 9, start, code=IssueCode.AUTH, **mailbox_level))
    foreign = _issue(session, eve, 0, start)
    session.commit()
    return {"anna": anna, "ken": ken, "issues": made, "foreign": foreign}


def _issue(session, box: Mailbox, n: int, start: datetime, **values) -> Issue:
    defaults = dict(
        tenant_id=box.tenant_id, user_id=box.user_id, mailbox_id=box.id,
        item_type=ItemType.CONTACT, item_key=f"mbx:X{n}", mailbox_item_id=f"X{n}",
        title=f"Item {n}", code=IssueCode.NEEDS_INPUT, source=Source.C4C,
        backend_message="Mandatory field LastName is not filled", fields=["LastName"],
        action_title="Add the missing last name", action_text="Open the item and add it.",
        first_seen_at=start, last_seen_at=start + timedelta(minutes=n),
    )  # fmt: skip
    issue = Issue(**{**defaults, **values})
    session.add(issue)
    session.flush()
    return issue


def _sign_in(app, client, session, box: Mailbox):
    return sign_in(app, client, session.get(User, box.user_id))


def test_the_document_is_openapi_3_1_with_valid_schemas(spec) -> None:
    assert spec["openapi"].startswith("3.1.")
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_api_route_is_documented(app, spec) -> None:
    assert spec["servers"] == [{"url": PREFIX}]
    assert openapi.undocumented(app, spec, PREFIX) == []


def test_documented_query_parameters_are_the_ones_the_api_reads(spec) -> None:
    operation = spec["paths"]["/issues"]["get"]
    names = {
        openapi.resolve(spec, p["$ref"].removeprefix("#"))["name"] for p in operation["parameters"]
    }
    assert names == set(ListQuery.model_fields)


@pytest.mark.parametrize(
    ("schema", "enum"),
    [
        ("ItemType", ItemType),
        ("IssueCode", IssueCode),
        ("Source", Source),
        ("Direction", Direction),
        ("Operation", Operation),
        ("Resolution", Resolution),
    ],
)
def test_documented_enumerations_match_the_model(spec, schema, enum) -> None:
    assert spec["components"]["schemas"][schema]["enum"] == [member.value for member in enum]


def test_the_session_cookie_is_the_documented_security_scheme(app, spec) -> None:
    scheme = spec["components"]["securitySchemes"]["session"]
    assert (scheme["in"], scheme["name"]) == ("cookie", app.config["SESSION_COOKIE_NAME"])


def test_lists_match_the_schema(app, client, session, spec, seeded) -> None:
    _sign_in(app, client, session, seeded["ken"])
    everything = check(spec, client.get("/api/v1/issues?status=all"), "/issues", 200)
    assert len(everything["items"]) == 7
    assert any(item["type"] is None for item in everything["items"])
    filtered = check(
        spec, client.get("/api/v1/issues?type=task&code=NEEDS_INPUT&limit=2"), "/issues", 200
    )
    assert filtered["next_cursor"] and len(filtered["items"]) == 2
    cursor = filtered["next_cursor"]
    following = client.get(f"/api/v1/issues?type=task&code=NEEDS_INPUT&limit=2&cursor={cursor}")
    assert check(spec, following, "/issues", 200)["total"] == filtered["total"] == 3
    _sign_in(app, client, session, seeded["anna"])
    own = check(spec, client.get(f"/api/v1/issues?user={seeded['anna'].user_id}"), "/issues", 200)
    assert own["total"] == 3


def test_one_issue_matches_the_schema(app, client, session, spec, seeded) -> None:
    _sign_in(app, client, session, seeded["ken"])
    for issue in seeded["issues"]:
        body = check(spec, client.get(f"/api/v1/issues/{issue.id}"), "/issues/{issue_id}", 200)
        assert body["id"] == issue.id


def test_errors_match_the_schema(app, client, session, spec, seeded) -> None:
    unauthorized = check(spec, client.get("/api/v1/issues"), "/issues", 401)
    assert unauthorized["error"] == "unauthorized"
    check(spec, client.get("/api/v1/issues/1"), "/issues/{issue_id}", 401)
    _sign_in(app, client, session, seeded["anna"])
    invalid = check(spec, client.get("/api/v1/issues?limit=500&status=x"), "/issues", 400)
    assert set(invalid["fields"]) == {"limit", "status"}
    foreign = f"/api/v1/issues/{seeded['foreign'].id}"
    assert check(spec, client.get(foreign), "/issues/{issue_id}", 404)["error"] == "not_found"


def _good(seeded: dict[str, Any]) -> dict[str, str | None]:
    ken = seeded["ken"]
    return {
        "issue_id": str(seeded["issues"][0].id),
        "status": "all",
        "type": "task",
        "code": "NEEDS_INPUT",
        "user": str(ken.user_id),
        "mailbox": str(ken.id),
        "since": "2026-01-01T00:00:00Z",
        "limit": "10",
        "cursor": None,
    }


def test_every_operation_answers_only_what_the_document_lists(
    app, client, session, spec, seeded
) -> None:
    _sign_in(app, client, session, seeded["ken"])
    seen = contract.walk(
        spec, client, _good(seeded), extra_query={"user": ("KEN@contoso.test", "nobody@x.test")}
    )
    assert seen[("/issues", "get")] == {200, 400}
    assert seen[("/issues/{issue_id}", "get")] == {200, 404}
    signed_out = app.test_client()
    seen = contract.walk(spec, signed_out, _good(seeded))
    assert seen[("/issues", "get")] == {401}
    assert seen[("/issues/{issue_id}", "get")] == {401, 404}


def test_generated_requests_get_documented_answers(app, client, session, spec, seeded) -> None:
    _sign_in(app, client, session, seeded["ken"])
    ids = {"issue_id": str(seeded["issues"][0].id)}
    seen = contract.fuzz(DOCUMENT, spec, client, examples=30, path_values=ids)
    assert seen[("/issues", "get")] >= {200, 400}
    assert seen[("/issues/{issue_id}", "get")] == {200, 404}


@pytest.mark.parametrize("app_config", [2], indirect=True)
def test_past_the_rate_limit_every_operation_answers_the_documented_429(
    app, client, session, spec, seeded
) -> None:
    _sign_in(app, client, session, seeded["ken"])
    one = f"/issues/{seeded['issues'][0].id}"
    for path, operation in (("/issues", "/issues"), (one, "/issues/{issue_id}")):
        answers = [client.get(PREFIX + path) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert check(spec, answers[-1], operation, 429)["error"] == "rate_limited"


@pytest.mark.parametrize(
    "path",
    [
        "/issues/2147483648",
        "/issues/9223372036854775808",
        "/issues/18446744073709551617",
        "/issues/%C2%B2",
        "/issues/%EF%BC%91",
        "/issues/0",
    ],
)
def test_ids_that_are_not_row_ids_answer_404(app, client, session, spec, seeded, path) -> None:
    _sign_in(app, client, session, seeded["ken"])
    assert check(spec, client.get(PREFIX + path), "/issues/{issue_id}", 404)["error"] == "not_found"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("user=2147483648", "user"),
        ("user=9223372036854775808", "user"),
        ("user=%EF%BC%91", "user"),
        ("mailbox=2147483648", "mailbox"),
        ("mailbox=9223372036854775808", "mailbox"),
        ("mailbox=%C2%B2", "mailbox"),
        ("mailbox=1_0", "mailbox"),
        ("since=10000-01-01T00:00:00Z", "since"),
    ],
)
def test_filters_out_of_range_answer_400_naming_the_field(
    app, client, session, spec, seeded, query, field
) -> None:
    _sign_in(app, client, session, seeded["ken"])
    body = check(spec, client.get(f"{PREFIX}/issues?{query}"), "/issues", 400)
    assert set(body["fields"]) == {field}


@pytest.mark.parametrize(
    ("since", "count"),
    [("9999-12-31T23:59:59-01:00", 0), ("0001-01-01T00:00:00%2B01:00", 7)],
)
def test_since_at_the_ends_of_the_calendar_keeps_its_meaning(
    app, client, session, spec, seeded, since, count
) -> None:
    _sign_in(app, client, session, seeded["ken"])
    answer = client.get(f"{PREFIX}/issues?status=all&since={since}")
    assert check(spec, answer, "/issues", 200)["total"] == count
