"""The Synchronization Dashboard: status, issues grouped by type, and the user's actions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from rq import Queue

from backend.auth import addin_tokens
from backend.jobs import queues
from backend.models import Issue, Mailbox, SyncItem, Tenant, User
from backend.models.issue import Source
from backend.models.mailbox import HealthStatus, Stage
from backend.models.sync_item import SyncItemState
from backend.models.types import IssueCode, ItemType
from backend.models.user import Role
from backend.storage.db import utcnow
from tests.support import factories
from tests.support.statements import statements_run
from tests.support.web import csrf_token, sign_in


def _issue(session, box: Mailbox, **values) -> Issue:
    defaults = dict(
        tenant_id=box.tenant_id, user_id=box.user_id, mailbox_id=box.id,
        item_type=ItemType.CONTACT, item_key="mbx:A1", mailbox_item_id="A1",
        title="Jane", code=IssueCode.NEEDS_INPUT, source=Source.C4C,
        backend_message="Mandatory field LastName is not filled", fields=["LastName"],
        action_title="Add the missing last name", action_text="Open the contact and add it.",
    )  # fmt: skip
    issue = Issue(**{**defaults, **values})
    session.add(issue)
    session.commit()
    return issue


@pytest.fixture
def anna(app, client, session, box) -> User:
    user = session.get(User, box.user_id)
    sign_in(app, client, user)
    return user


@pytest.mark.parametrize("path", ["/", "/issues", "/reactivate/"])
def test_pages_ask_to_sign_in_first(client, path) -> None:
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=")


def test_status_shows_the_mailbox_pill_and_no_runs_yet(client, anna) -> None:
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'id="mailbox-pill">Importing<', page)
    assert re.search(r'id="c4c-pill">Connected<', page)
    assert "No run yet" in page


def test_a_first_import_shows_where_each_item_type_stands_until_it_ends(
    client, anna, session, box
) -> None:
    states = {state.item_type: state for state in box.item_states}
    states[ItemType.ACCOUNT].last_synced_at = utcnow()
    states[ItemType.CONTACT].stage = Stage.ONGOING
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'id="stats" aria-live="polite" data-importing="yes"' in page
    assert 'id="progress-account">Imported<' in page
    assert 'id="progress-contact">Importing now<' in page
    assert 'id="progress-task">Waiting<' in page
    assert "js/status.js" in page

    states[ItemType.CONTACT].creating, states[ItemType.CONTACT].created = 6002, 1250
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'id="progress-contact">Importing now: 1,250 of 6,002<' in page

    box.last_synced_at = utcnow()
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "data-importing" not in page and 'id="progress-' not in page


def test_issues_are_grouped_by_type_with_counts_and_titles_as_text(
    client, anna, session, box
) -> None:
    _issue(session, box, title="<script>alert(1)</script>")
    _issue(session, box, item_key="mbx:A2", mailbox_item_id="A2", title="Second")
    _issue(session, box, item_type=ItemType.TASK, item_key="mbx:T1", mailbox_item_id="T1",
           title="Call back", code=IssueCode.FORBIDDEN)  # fmt: skip
    _issue(session, box, item_key="mbx:R", mailbox_item_id="R", title="Old",
           resolved_at=box.created_at)  # fmt: skip
    page = client.get("/issues").get_data(as_text=True)
    groups = re.findall(r'<h2 id="h-(\w+)">(\w[\w-]*) <span class="count">(\d+)</span>', page)
    assert groups == [("contact", "Contacts", "2"), ("task", "Tasks", "1")]
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    open_part, _, resolved_part = page.partition('id="recently-resolved"')
    assert "Old" not in open_part, "a resolved issue is not among the open ones"
    assert "Contacts: Old" in resolved_part, "but among those resolved this week"
    assert "Help me resolve" in page and "mailto:support@ssi-sync.local?" in page


def test_the_issues_tab_pages_twenty_five_at_a_time_newest_first_with_each_types_count(
    client, anna, session, box
) -> None:
    start = utcnow()
    for number in range(120):
        kind = ItemType.TASK if number % 4 == 0 else ItemType.CONTACT
        _issue(session, box, item_type=kind, item_key=f"mbx:P{number}",
               mailbox_item_id=f"P{number}", title=f"Item {number}",
               last_seen_at=start - timedelta(minutes=number))  # fmt: skip
    seen, url, pages = [], "/issues", 0
    while url:
        page = client.get(url).get_data(as_text=True)
        pages += 1
        groups = dict(re.findall(r'<h2 id="h-(\w+)">\w+ <span class="count">(\d+)</span>', page))
        assert set(groups.items()) <= {("contact", "90"), ("task", "30")}, "totals, every page"
        titles = re.findall(r'<div class="what">Item (\d+)</div>', page)
        assert len(titles) == (25 if pages < 5 else 20)
        seen.extend(sorted(int(number) for number in titles))
        older = re.search(r'id="older-issues" href="([^"]+)"', page)
        url = older.group(1).replace("&amp;", "&") if older else ""
        assert ('id="newest-issues"' in page) == (pages > 1)
    assert pages == 5
    assert sorted(seen) == list(range(120)) and len(set(seen)) == 120, "each issue once"
    assert seen[:25] == list(range(25)), "the newest twenty-five first"


def test_the_issues_tab_costs_four_statements_however_many_it_shows(
    client, anna, session, box, resources
) -> None:
    """The signed-in user with their tenant and mailbox (the page asks for both, and finds them
    read), the page of issues, each type's count, the recently resolved."""

    def statements() -> list[str]:
        with statements_run(resources.engine) as executed:
            assert client.get("/issues").status_code == 200
        return [" ".join(statement.split()[:6]) for statement in executed]

    _issue(session, box)
    statements()  # the first view in a while also records the visit
    few = statements()
    for number in range(60):
        _issue(session, box, item_key=f"mbx:S{number}", mailbox_item_id=f"S{number}")
    assert statements() == few
    assert len(few) <= 4, few


def test_a_page_of_issues_after_something_not_the_users_own_is_refused(
    app, client, anna, session, resources, box
) -> None:
    other_tenant = factories.tenant(session, resources.cipher, slug="fabrikam")
    theirs_box = factories.mailbox(
        session, resources.cipher, other_tenant, email="eve@fabrikam.test"
    )
    theirs = _issue(session, theirs_box, tenant_id=other_tenant.id, title="Eve's secret")
    for older in (str(theirs.id), "abc", "-1", "9" * 30, "", "1e3", "²", "٣"):
        answer = client.get("/issues", query_string={"older": older})
        assert answer.status_code == 400, older
        assert "Eve's secret" not in answer.get_data(as_text=True)
    mine = _issue(session, box)
    after_the_only_one = client.get("/issues", query_string={"older": mine.id})
    page = after_the_only_one.get_data(as_text=True)
    assert after_the_only_one.status_code == 200 and 'id="no-older"' in page
    assert 'id="newest-issues"' in page and 'id="no-issues"' not in page


def test_no_issues_says_everything_is_in_sync(client, anna) -> None:
    assert 'id="no-issues"' in client.get("/issues").get_data(as_text=True)


def test_pause_and_resume_change_the_status(client, anna, session, box) -> None:
    token = csrf_token(client)
    assert client.post("/mailbox/pause", data={"csrf_token": token}).status_code == 302
    session.refresh(box)
    assert box.status is HealthStatus.PAUSED
    assert ">Paused<" in client.get("/").get_data(as_text=True)
    client.post("/mailbox/resume", data={"csrf_token": token})
    session.refresh(box)
    assert box.status is HealthStatus.NOT_SYNCED and box.paused_at is None


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(client, anna, session, box):
    answer = client.post("/mailbox/pause")
    assert answer.status_code == 400
    assert "did not come from this site" in answer.get_data(as_text=True)
    session.refresh(box)
    assert box.status is HealthStatus.NOT_SYNCED


def test_force_sync_queues_one_run_and_refuses_a_second_within_a_minute(
    client, anna, session, box, redis_conn
) -> None:
    token = csrf_token(client)
    client.post("/mailbox/force", data={"csrf_token": token})
    second = client.post("/mailbox/force", data={"csrf_token": token}, follow_redirects=True)
    assert "less than a minute ago" in second.get_data(as_text=True)
    assert Queue(queues.SYNC, connection=redis_conn).count == 1


def test_retry_puts_a_failed_item_back_in_line(client, anna, session, box, redis_conn) -> None:
    item = SyncItem(mailbox_id=box.id, item_type=ItemType.CONTACT, mailbox_item_id="A1",
                    c4c_object_id="C1", external_id="x1", state=SyncItemState.FAILED)  # fmt: skip
    session.add(item)
    issue = _issue(session, box)
    answer = client.post(f"/issues/{issue.id}/retry", data={"csrf_token": csrf_token(client)})
    assert answer.status_code == 302
    item = session.query(SyncItem).filter_by(mailbox_item_id="A1").one()
    session.refresh(item)
    assert item.temporary_failures == 1
    assert Queue(queues.SYNC, connection=redis_conn).count == 1


def test_retry_on_a_resolved_issue_says_so_and_changes_nothing(
    client, anna, session, box, redis_conn
) -> None:
    item = SyncItem(mailbox_id=box.id, item_type=ItemType.CONTACT, mailbox_item_id="A1",
                    c4c_object_id="C1", external_id="x1", state=SyncItemState.SYNCED)  # fmt: skip
    session.add(item)
    issue = _issue(session, box, resolved_at=utcnow())
    answer = client.post(f"/issues/{issue.id}/retry", data={"csrf_token": csrf_token(client)},
                         follow_redirects=True)  # fmt: skip
    assert "This issue is already resolved" in answer.get_data(as_text=True)
    session.refresh(item)
    assert (item.state, item.temporary_failures) == (SyncItemState.SYNCED, 0)
    assert Queue(queues.SYNC, connection=redis_conn).count == 0


def test_pages_are_never_framed_and_cookies_are_guarded(app, client, anna) -> None:
    answer = client.get("/")
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    login = app.test_client().get("/login")
    cookie = login.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_user_cannot_reach_admin_pages(client, anna, app) -> None:
    rules = [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/admin")]
    assert rules
    for rule in rules:
        if "<" in rule:
            continue
        assert client.get(rule).status_code in (403, 405), rule


def test_password_reactivation_is_rate_limited(client, anna) -> None:
    token = csrf_token(client)
    answers = [
        client.post("/reactivate/", data={"csrf_token": token, "password": ""}).status_code
        for _ in range(11)
    ]
    assert answers[:10] == [422] * 10
    assert answers[10] == 429


def test_another_tenants_ids_answer_404_on_every_route(app, client, session, resources, box):
    """Table-driven over the URL map: every route taking an id, with an id of another tenant."""
    theirs = _issue(session, box)
    other_tenant = factories.tenant(session, resources.cipher, slug="fabrikam")
    intruder_box = factories.mailbox(session, resources.cipher, other_tenant,
                                     email="eve@fabrikam.test", role=Role.KEY_USER)  # fmt: skip
    session.commit()
    intruder = session.get(User, intruder_box.user_id)
    sign_in(app, client, intruder)
    token = csrf_token(client)
    # The add-in API takes a bearer token instead of the session: the intruder has one too.
    bearer = {
        "Authorization": "Bearer " + addin_tokens.issue(session, intruder, "outlook", 5).secret
    }
    session.commit()
    checked = 0
    for rule in app.url_map.iter_rules():
        ids = {"issue_id": theirs.id, "mailbox_id": box.id, "user_id": box.user_id}
        if not set(rule.arguments) & set(ids):
            continue
        path = rule.rule
        for name, value in ids.items():
            path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
        assert "<" not in path, path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            answer = client.open(path, method=method, data={"csrf_token": token}, headers=bearer)
            assert answer.status_code == 404, (method, path, answer.status_code)
            assert "Jane" not in answer.get_data(as_text=True)
            checked += 1
    assert checked >= 3


def test_unknown_api_paths_and_methods_answer_json(client, anna) -> None:
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.json["error"] == "not_found"
    wrong = client.delete("/api/v1/issues")
    assert wrong.status_code == 405 and wrong.json["error"] == "method_not_allowed"
    assert client.get("/nothing").mimetype == "text/html"


def test_rate_limits_count_per_signed_in_user_not_per_address(
    app, client, anna, session, resources, box
) -> None:
    token = csrf_token(client)
    for _ in range(11):
        client.post("/reactivate/", data={"csrf_token": token, "password": ""})
    other = factories.tenant(session, resources.cipher, slug="other")
    colleague_box = factories.mailbox(session, resources.cipher, other, email="ben@other.test")
    session.commit()
    colleague = sign_in(app, app.test_client(), session.get(User, colleague_box.user_id))
    form = {"csrf_token": csrf_token(colleague), "password": ""}
    assert colleague.post("/reactivate/", data=form).status_code == 422


def test_resolved_issues_of_the_last_week_only_the_newest_ten_and_only_mine(
    client, anna, session, resources, box
) -> None:
    now = utcnow()
    for number in range(12):
        _issue(session, box, item_key=f"mbx:R{number}", mailbox_item_id=f"R{number}",
               title=f"Recent {number:02d}", resolved_at=now - timedelta(hours=number))  # fmt: skip
    _issue(session, box, item_key="mbx:OLD", mailbox_item_id="OLD", title="Last month",
           resolved_at=now - timedelta(days=8))  # fmt: skip
    tenant = session.get(Tenant, box.tenant_id)
    theirs = factories.mailbox(session, resources.cipher, tenant, "ben@contoso.test")
    _issue(session, theirs, item_key="mbx:B", mailbox_item_id="B", title="Ben's",
           resolved_at=now)  # fmt: skip
    page = client.get("/issues").get_data(as_text=True)
    shown = re.findall(r"Contacts: (Recent \d\d|Last month|Ben's)</span>", page)
    assert shown == [f"Recent {n:02d}" for n in range(10)], "newest first, ten of them"
