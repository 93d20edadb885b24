"""The JSON API for issues: visibility, filters, keyset pages, privacy and error answers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from backend.models import Issue, Mailbox, Tenant, User, issue_queries
from backend.models.issue import Operation, Resolution, Source
from backend.models.types import Direction, IssueCode, ItemType
from backend.models.user import Role
from tests.support import factories
from tests.support.statements import statements_run
from tests.support.web import sign_in

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_keys = itertools.count(1)


def _issue(session, box: Mailbox, minutes: int = 0, **values) -> Issue:
    """An issue of ``box`` last seen ``minutes`` after ``T0``."""
    n = next(_keys)
    defaults = dict(
        tenant_id=box.tenant_id, user_id=box.user_id, mailbox_id=box.id,
        item_type=ItemType.CONTACT, item_key=f"mbx:I{n}", mailbox_item_id=f"I{n}",
        title=f"Item {n}", code=IssueCode.NEEDS_INPUT, source=Source.C4C,
        first_seen_at=T0 - timedelta(days=1), last_seen_at=T0 + timedelta(minutes=minutes),
    )  # fmt: skip
    issue = Issue(**{**defaults, **values})
    session.add(issue)
    session.commit()
    return issue


@dataclass
class People:
    anna: Mailbox
    bob: Mailbox
    ken: Mailbox
    eve: Mailbox
    """Of another tenant."""


@pytest.fixture
def people(session, resources) -> People:
    contoso = factories.tenant(session, resources.cipher)
    fabrikam = factories.tenant(session, resources.cipher, slug="fabrikam")
    found = People(
        anna=factories.mailbox(session, resources.cipher, contoso, "anna@contoso.test"),
        bob=factories.mailbox(session, resources.cipher, contoso, "bob@contoso.test"),
        ken=factories.mailbox(
            session, resources.cipher, contoso, "ken@contoso.test", role=Role.KEY_USER
        ),
        eve=factories.mailbox(session, resources.cipher, fabrikam, "eve@fabrikam.test"),
    )
    session.commit()
    return found


@pytest.fixture
def issues(session, people: People) -> dict[str, Issue]:
    """Named issues: anna's two open and one resolved, bob's task, ken's own, eve's."""
    return {
        "anna-contact": _issue(session, people.anna, 10),
        "anna-account": _issue(
            session, people.anna, 20, item_type=ItemType.ACCOUNT, code=IssueCode.FORBIDDEN
        ),
        "anna-resolved": _issue(
            session,
            people.anna,
            5,
            resolved_at=T0 + timedelta(hours=1),
            resolution=Resolution.AUTO,
        ),
        "bob-task": _issue(session, people.bob, 30, item_type=ItemType.TASK),
        "ken-contact": _issue(session, people.ken, 40),
        "eve-contact": _issue(session, people.eve, 50),
    }


def _as(app, client, session, box: Mailbox):
    return sign_in(app, client, session.get(User, box.user_id))


def _ids(answer) -> list[int]:
    assert answer.status_code == 200, answer.get_json()
    return [item["id"] for item in answer.get_json()["items"]]


def _named(issues: dict[str, Issue], *names: str) -> list[int]:
    """The ids of ``names`` in listing order (newest ``last_seen_at`` first)."""
    chosen = sorted((issues[name] for name in names), key=lambda i: (i.last_seen_at, i.id))
    return [issue.id for issue in reversed(chosen)]


@pytest.mark.parametrize("path", ["/api/v1/issues", "/api/v1/issues/1"])
def test_without_a_session_the_api_answers_401_json(client, path) -> None:
    answer = client.get(path)
    assert answer.status_code == 401
    assert answer.get_json()["error"] == "unauthorized"
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_user_lists_only_their_own_open_issues(app, client, session, people, issues) -> None:
    _as(app, client, session, people.anna)
    answer = client.get("/api/v1/issues")
    assert _ids(answer) == _named(issues, "anna-account", "anna-contact")
    body = answer.get_json()
    assert body["total"] == 2 and body["next_cursor"] is None
    assert {item["user"]["email"] for item in body["items"]} == {"anna@contoso.test"}
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_key_user_lists_the_whole_tenant_and_nothing_of_another(
    app, client, session, people, issues
) -> None:
    _as(app, client, session, people.ken)
    found = _ids(client.get("/api/v1/issues"))
    assert found == _named(issues, "ken-contact", "bob-task", "anna-account", "anna-contact")
    assert issues["eve-contact"].id not in found


def test_an_issue_comes_with_every_field(app, client, session, people) -> None:
    issue = _issue(
        session, people.anna, 0, item_type=ItemType.APPOINTMENT, title="Visit Contoso",
        c4c_object_id="00163E0A", mailbox_item_id="AAMkAppt", item_key="mbx:AAMkAppt",
        code=IssueCode.FORBIDDEN, source=Source.C4C, direction=Direction.UP,
        operation=Operation.UPDATE, backend_code="CX_SY_NO_AUTHORITY",
        backend_message="You are not authorized to change this appointment", http_status=403,
        fields=["Subject", "StartDateTime"], action_title="Ask a key user",
        action_text="C4C forbids this change.", informational=False, occurrences=3,
        first_seen_at=datetime(2026, 11, 1, 8, 30, 15, tzinfo=UTC),
        last_seen_at=datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
    )  # fmt: skip
    _as(app, client, session, people.anna)
    item = client.get(f"/api/v1/issues/{issue.id}").get_json()
    assert item == {
        "id": issue.id,
        "type": "APPOINTMENT",
        "code": "FORBIDDEN",
        "title": "Visit Contoso",
        "source": "C4C",
        "direction": "UP",
        "operation": "UPDATE",
        "message": "You are not authorized to change this appointment",
        "backend_code": "CX_SY_NO_AUTHORITY",
        "http_status": 403,
        "fields": ["Subject", "StartDateTime"],
        "recommended_action": {"title": "Ask a key user", "text": "C4C forbids this change."},
        "informational": False,
        "occurrences": 3,
        "first_seen": "2026-11-01T08:30:15Z",
        "last_seen": "2026-11-02T10:00:00Z",
        "resolved_at": None,
        "resolution": None,
        "mailbox": {"id": people.anna.id, "address": "anna@contoso.test"},
        "user": {"id": people.anna.user_id, "email": "anna@contoso.test", "name": "Anna"},
        "c4c_object_id": "00163E0A",
        "mailbox_item_id": "AAMkAppt",
        "links": {
            "self": f"http://127.0.0.1:8000/api/v1/issues/{issue.id}",
            "dashboard": f"http://127.0.0.1:8000/issues#issue-{issue.id}",
        },
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=resolved", ["anna-resolved"]),
        ("status=ALL&user=anna@contoso.test", ["anna-account", "anna-contact", "anna-resolved"]),
        ("type=task", ["bob-task"]),
        ("type=CONTACT", ["ken-contact", "anna-contact"]),
        ("code=FORBIDDEN", ["anna-account"]),
        ("type=contact&code=forbidden", []),
        ("user=Bob@Contoso.test", ["bob-task"]),
        ("user={bob_id}", ["bob-task"]),
        ("mailbox={anna_mailbox}", ["anna-account", "anna-contact"]),
        ("since=2026-11-02T09:25:00Z", ["ken-contact", "bob-task"]),
        ("since=2026-11-02T10:25:00%2B01:00", ["ken-contact", "bob-task"]),
        ("since=2026-11-02T09:25:00", ["ken-contact", "bob-task"]),
        ("type=&code=&user=", ["ken-contact", "bob-task", "anna-account", "anna-contact"]),
    ],
)
def test_key_user_filters(app, client, session, people, issues, query, expected) -> None:
    _as(app, client, session, people.ken)
    query = query.format(bob_id=people.bob.user_id, anna_mailbox=people.anna.id)
    answer = client.get(f"/api/v1/issues?{query}")
    assert _ids(answer) == _named(issues, *expected)
    assert answer.get_json()["total"] == len(expected)


@pytest.mark.parametrize("query", ["user={eve_id}", "user=eve@fabrikam.test", "mailbox={eve_box}"])
def test_filters_naming_another_tenant_give_no_data(
    app, client, session, people, issues, query
) -> None:
    _as(app, client, session, people.ken)
    answer = client.get(
        "/api/v1/issues?status=all&"
        + query.format(eve_id=people.eve.user_id, eve_box=people.eve.id)
    )
    assert answer.get_json() == {
        "items": [],
        "next_cursor": None,
        "total": 0,
        "total_capped": False,
    }


def test_a_plain_user_naming_a_colleague_gets_none_of_their_issues(
    app, client, session, people, issues
) -> None:
    _as(app, client, session, people.anna)
    for query in (
        f"user={people.bob.user_id}",
        "user=bob@contoso.test",
        f"mailbox={people.bob.id}",
    ):
        assert client.get(f"/api/v1/issues?status=all&{query}").get_json()["items"] == []


def test_pages_walk_every_issue_exactly_once(app, client, session, people) -> None:
    made = [_issue(session, people.anna, n // 3) for n in range(17)]  # ties on last_seen_at
    made += [_issue(session, people.bob, n, item_type=ItemType.TASK) for n in range(6)]
    _issue(session, people.eve, 1)
    expected = [i.id for i in sorted(made, key=lambda i: (i.last_seen_at, i.id), reverse=True)]
    _as(app, client, session, people.ken)
    seen, totals, cursor, pages = [], set(), None, 0
    while True:
        answer = client.get("/api/v1/issues", query_string={"limit": 5, "cursor": cursor or ""})
        body = answer.get_json()
        seen += _ids(answer)
        totals.add(body["total"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert totals == {23}
    assert pages == 5


def test_a_walk_over_more_issues_than_are_counted_says_so_on_every_page(
    app, client, session, people, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(issue_queries, "COUNT_CAP", 4)
    for n in range(7):
        _issue(session, people.anna, n)
    _as(app, client, session, people.ken)
    first = client.get("/api/v1/issues", query_string={"limit": 5}).get_json()
    assert (first["total"], first["total_capped"], len(first["items"])) == (4, True, 5)
    rest = client.get("/api/v1/issues", query_string={"cursor": first["next_cursor"]}).get_json()
    assert (rest["total"], rest["total_capped"], len(rest["items"])) == (4, True, 2)
    few = client.get("/api/v1/issues", query_string={"type": "task"}).get_json()
    assert (few["total"], few["total_capped"]) == (0, False)


def test_a_filtered_walk_keeps_its_filter(app, client, session, people) -> None:
    tasks = [_issue(session, people.bob, n, item_type=ItemType.TASK) for n in range(7)]
    for n in range(7):
        _issue(session, people.bob, n)
    _as(app, client, session, people.ken)
    first = client.get("/api/v1/issues?type=task&limit=4").get_json()
    second = client.get(f"/api/v1/issues?type=TASK&limit=4&cursor={first['next_cursor']}")
    assert [*(i["id"] for i in first["items"]), *_ids(second)] == [t.id for t in reversed(tasks)]
    assert second.get_json()["next_cursor"] is None


def test_a_cursor_cannot_be_forged_or_reused_with_other_filters(
    app, client, session, people
) -> None:
    for n in range(3):
        _issue(session, people.anna, n)
    _as(app, client, session, people.ken)
    cursor = client.get("/api/v1/issues?limit=1").get_json()["next_cursor"]
    other = client.get(f"/api/v1/issues?limit=1&type=TASK&cursor={cursor}")
    assert other.status_code == 400
    assert "other filters" in other.get_json()["fields"]["cursor"]
    forged = client.get(f"/api/v1/issues?cursor={cursor[:-2]}xx")
    assert forged.status_code == 400
    assert forged.get_json()["fields"] == {"cursor": "not a cursor this API gave out"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=closed", "status"),
        ("type=folder", "type"),
        ("code=BROKEN", "code"),
        ("user=nobody", "user"),
        ("mailbox=first", "mailbox"),
        ("mailbox=0", "mailbox"),
        ("since=yesterday", "since"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("cursor=abc", "cursor"),
        ("stauts=open", "stauts"),
        ("type=TASK&type=EMAIL", "type"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(
    app, client, session, people, query, field
) -> None:
    _as(app, client, session, people.ken)
    answer = client.get(f"/api/v1/issues?{query}")
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["error"] == "invalid_request"
    assert list(body["fields"]) == [field]
    assert body["message"].startswith(f"Check the query: {field}: ")
    assert answer.headers["Cache-Control"] == "no-store"


def test_one_issue_is_visible_only_to_its_user_and_their_key_users(
    app, client, session, people, issues
) -> None:
    bobs, eves = issues["bob-task"].id, issues["eve-contact"].id
    _as(app, client, session, people.anna)
    assert client.get(f"/api/v1/issues/{issues['anna-resolved'].id}").status_code == 200
    for path in (f"/api/v1/issues/{bobs}", f"/api/v1/issues/{eves}", "/api/v1/issues/999999"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer.get_json()["error"] == "not_found"
    _as(app, client, session, people.ken)
    assert client.get(f"/api/v1/issues/{bobs}").get_json()["id"] == bobs
    assert client.get(f"/api/v1/issues/{eves}").status_code == 404
    assert client.get("/api/v1/issues/abc").get_json()["error"] == "not_found"


def test_privacy_hides_other_users_titles_from_key_users(
    app, client, session, people, issues
) -> None:
    contoso = session.get(Tenant, people.ken.tenant_id)
    contoso.config = contoso.config.model_copy(update={"hide_other_users_titles": True})
    session.commit()
    _as(app, client, session, people.ken)
    titles = {
        item["id"]: item["title"] for item in client.get("/api/v1/issues").get_json()["items"]
    }
    assert titles[issues["ken-contact"].id] == issues["ken-contact"].title
    assert titles[issues["bob-task"].id] is None
    assert titles[issues["anna-contact"].id] is None
    assert client.get(f"/api/v1/issues/{issues['bob-task'].id}").get_json()["title"] is None
    _as(app, client, session, people.anna)
    mine = client.get("/api/v1/issues").get_json()["items"]
    assert {item["title"] for item in mine} == {
        issues["anna-contact"].title,
        issues["anna-account"].title,
    }


def test_a_title_with_markup_comes_back_as_plain_json_text(app, client, session, people) -> None:
    issue = _issue(session, people.anna, title="<script>alert(1)</script>")
    _as(app, client, session, people.anna)
    answer = client.get(f"/api/v1/issues/{issue.id}")
    assert answer.mimetype == "application/json"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.get_json()["title"] == "<script>alert(1)</script>"
    assert '"title":"<script>alert(1)</script>"' in answer.get_data(as_text=True).replace(" ", "")


def test_a_page_costs_the_same_queries_however_many_users_it_shows(
    app, client, session, people, resources
) -> None:
    def statements_for_first_page() -> int:
        with statements_run(resources.engine) as executed:
            assert client.get("/api/v1/issues").status_code == 200
        return len(executed)

    _issue(session, people.anna, 1)
    _as(app, client, session, people.ken)
    few = statements_for_first_page()
    for n in range(10):
        for box in (people.anna, people.bob, people.ken):
            _issue(session, box, n)
    assert statements_for_first_page() == few
    assert few <= 3  # the signed-in user with their tenant and mailbox, the count, the page
