"""The admin issues page and its CSV export: filters, paging, privacy, escaping, ignoring."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.models import AuditEvent, Issue, Mailbox, User, issue_queries
from backend.models.issue import Resolution, Source
from backend.models.types import IssueCode, ItemType
from backend.storage.db import utcnow
from backend.web import admin_issues
from backend.web.admin_csv import HEADER, neutralise
from tests.support import factories
from tests.support.web import csrf_token


@pytest.fixture
def anna_box(session, resources, tenant) -> Mailbox:
    box = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    session.commit()
    return box


def _issue(session, box: Mailbox, key: str, **values) -> Issue:
    defaults = dict(
        tenant_id=box.tenant_id, user_id=box.user_id, mailbox_id=box.id,
        item_type=ItemType.CONTACT, item_key=key, mailbox_item_id=key, title=f"Item {key}",
        code=IssueCode.NEEDS_INPUT, source=Source.C4C, backend_message="LastName is missing",
    )  # fmt: skip
    issue = Issue(**{**defaults, **values})
    session.add(issue)
    session.commit()
    return issue


def _ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="issue-(\d+)">', page)]


def _csv(client, query: str = "") -> list[list[str]]:
    answer = client.get(f"/admin/issues.csv{query}")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="issues-')
    return list(csv.reader(io.StringIO(answer.get_data(as_text=True))))


def _user_field(page: str) -> tuple[str, list[str]]:
    """The user filter's value, and the addresses it suggests."""
    [value] = re.findall(r'<input id="f-user" name="user" type="search" value="([^"]*)"', page)
    return value, re.findall(
        r'<option value="([^"]+)">[^<]*</option>', page.split("f-user-people")[-1]
    )


def test_the_user_filter_takes_an_address_and_suggests_the_tenants_users_only(
    client, session, resources, kim_box, anna_box, monkeypatch
) -> None:
    annas = _issue(session, anna_box, "A1")
    _issue(session, kim_box, "K1")
    fabrikam = factories.tenant(session, resources.cipher, "fabrikam")
    olga = factories.mailbox(session, resources.cipher, fabrikam, "olga@fabrikam.test")
    session.commit()
    _issue(session, olga, "O1")

    everyone = client.get("/admin/issues").get_data(as_text=True)
    assert _user_field(everyone) == ("", ["anna@contoso.test", "kim@contoso.test"])
    typed = client.get("/admin/issues?user=anna@contoso.test").get_data(as_text=True)
    assert _ids(typed) == [annas.id]
    assert _user_field(typed)[0] == "anna@contoso.test"
    by_id = client.get(f"/admin/issues?user={anna_box.user_id}").get_data(as_text=True)
    assert (_ids(by_id), _user_field(by_id)[0]) == ([annas.id], "anna@contoso.test")
    foreign = client.get(f"/admin/issues?user={olga.user_id}").get_data(as_text=True)
    assert (_ids(foreign), _user_field(foreign)[0]) == ([], str(olga.user_id))
    assert "olga@fabrikam.test" not in foreign
    assert _ids(client.get("/admin/issues?user=olga@fabrikam.test").get_data(as_text=True)) == []
    odd = client.get('/admin/issues?user=a"><b>@x.test').get_data(as_text=True)
    assert '"><b>' not in odd and _user_field(odd)[0] == "a&#34;&gt;&lt;b&gt;@x.test"

    named = client.get("/admin/issues?user=Anna&type=task").get_data(as_text=True)
    assert "The filter user was not understood" in named
    assert _user_field(named)[0] == "Anna", "what was typed is there to correct"

    monkeypatch.setattr(admin_issues, "PEOPLE_SUGGESTED", 1)
    many = client.get("/admin/issues").get_data(as_text=True)
    assert "f-user-people" not in many and _user_field(many)[0] == ""


def test_issues_of_the_whole_tenant_and_only_of_it(
    client, session, resources, kim_box, anna_box
) -> None:
    mine = _issue(session, kim_box, "K1")
    annas = _issue(session, anna_box, "A1", item_type=ItemType.TASK, code=IssueCode.FORBIDDEN)
    resolved = _issue(session, anna_box, "A2", resolved_at=utcnow(), resolution=Resolution.AUTO)
    fabrikam = factories.tenant(session, resources.cipher, "fabrikam")
    olga = factories.mailbox(session, resources.cipher, fabrikam, "olga@fabrikam.test")
    session.commit()
    foreign = _issue(session, olga, "O1")

    page = client.get("/admin/issues").get_data(as_text=True)
    assert set(_ids(page)) == {mine.id, annas.id}
    assert "olga@fabrikam.test" not in page
    assert set(_ids(client.get("/admin/issues?status=all").get_data(as_text=True))) == {
        mine.id, annas.id, resolved.id
    }  # fmt: skip
    assert _ids(client.get("/admin/issues?status=resolved").get_data(as_text=True)) == [resolved.id]
    assert _ids(client.get("/admin/issues?type=task").get_data(as_text=True)) == [annas.id]
    assert _ids(client.get("/admin/issues?code=FORBIDDEN").get_data(as_text=True)) == [annas.id]
    assert _ids(client.get(f"/admin/issues?user={kim_box.user_id}").get_data(as_text=True)) == [
        mine.id
    ]
    assert _ids(client.get(f"/admin/issues?user={olga.user_id}").get_data(as_text=True)) == []
    assert foreign.id not in _ids(client.get("/admin/issues?status=all").get_data(as_text=True))
    assert "not understood" in client.get("/admin/issues?code=NOPE").get_data(as_text=True)


def test_issues_are_paged_fifty_at_a_time_newest_first(client, session, resources, kim_box) -> None:
    start = utcnow() - timedelta(days=1)
    made = [_issue(session, kim_box, f"K{n}", last_seen_at=start + timedelta(minutes=n))
            for n in range(55)]  # fmt: skip
    first = client.get("/admin/issues").get_data(as_text=True)
    assert _ids(first) == [issue.id for issue in reversed(made)][:50]
    assert "55 matching" in first and 'id="newest-issues"' not in first
    older = re.search(r'id="older-issues" href="([^"]+)"', first)
    assert older is not None
    second = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _ids(second) == [issue.id for issue in reversed(made[:5])]
    assert 'id="newest-issues"' in second and 'id="older-issues"' not in second

    fabrikam = factories.tenant(session, resources.cipher, "fabrikam")
    olga = _issue(session, factories.mailbox(session, resources.cipher, fabrikam,
                                             "olga@fabrikam.test"), "O1")  # fmt: skip
    for after in (str(olga.id), "x", "-3", "9" * 30, "", "²", "٣"):
        refused = client.get("/admin/issues", query_string={"after": after})
        assert refused.status_code == 400, after
        assert "Item O1" not in refused.get_data(as_text=True)


def test_a_listing_counts_no_further_than_its_cap(
    client, session, kim_box, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(issue_queries, "COUNT_CAP", 30)
    for n in range(55):
        _issue(session, kim_box, f"K{n}")
    page = client.get("/admin/issues").get_data(as_text=True)
    assert len(_ids(page)) == 50 and "30+ matching" in page
    monkeypatch.setattr(issue_queries, "COUNT_CAP", 55)
    assert "55 matching" in client.get("/admin/issues").get_data(as_text=True)


def test_titles_are_escaped(client, session, kim_box) -> None:
    _issue(session, kim_box, "K1", title="<script>alert(1)</script>")
    page = client.get("/admin/issues").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_privacy_hides_titles_of_other_users_but_not_ones_own(
    client, session, tenant, kim_box, anna_box
) -> None:
    _issue(session, kim_box, "K1", title="Kim's contact")
    _issue(session, anna_box, "A1", title="Anna's secret deal")
    config = tenant.config
    config.hide_other_users_titles = True
    tenant.config = config
    session.commit()

    page = client.get("/admin/issues").get_data(as_text=True)
    assert "Kim&#39;s contact" in page
    assert "Anna&#39;s secret deal" not in page and ">Hidden<" in page
    rows = {row[1]: row for row in _csv(client)[1:]}
    assert rows["kim@contoso.test"][HEADER.index("title")] == "Kim's contact"
    assert rows["anna@contoso.test"][HEADER.index("title")] == ""


def test_csv_has_a_header_a_row_per_issue_the_same_filters_and_no_formulas(
    client, session, kim_box, anna_box
) -> None:
    first = _issue(session, anna_box, "A1", title="=HYPERLINK(\"http://evil\")",
                   backend_message="@SUM(A1)", http_status=400)  # fmt: skip
    _issue(session, kim_box, "K1", title="-2+3", code=IssueCode.FORBIDDEN)
    _issue(session, kim_box, "K2", resolved_at=utcnow())

    rows = _csv(client)
    assert rows[0] == list(HEADER)
    assert len(rows) == 3
    by_id = {row[0]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    anna = by_id[str(first.id)]
    assert anna["title"] == '\'=HYPERLINK("http://evil")'
    assert anna["message"] == "'@SUM(A1)"
    assert anna["user_email"] == "anna@contoso.test" and anna["mailbox"] == "anna@contoso.test"
    assert anna["code"] == "NEEDS_INPUT" and anna["item_type"] == "CONTACT"
    assert anna["http_status"] == "400" and anna["resolved_at_utc"] == ""
    assert [row[HEADER.index("title")] for row in rows[1:] if row[0] != str(first.id)] == ["'-2+3"]
    filtered = _csv(client, "?code=FORBIDDEN")
    assert len(filtered) == 2 and filtered[1][HEADER.index("code")] == "FORBIDDEN"
    assert len(_csv(client, "?status=all")) == 4
    assert client.get("/admin/issues.csv?type=nope").status_code == 400


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"),
     ("plain", "plain"), ("a=b", "a=b"), ("", ""), (-1, -1), (None, None)],
)  # fmt: skip
def test_neutralise(value, expected) -> None:
    assert neutralise(value) == expected


def test_a_key_user_resolves_an_issue_as_ignored(client, session, kim_box, anna_box) -> None:
    issue = _issue(session, anna_box, "A1")
    token = csrf_token(client, "/admin/issues")
    answer = client.post(f"/admin/issues/{issue.id}/ignore",
                         data={"csrf_token": token, "code": "NEEDS_INPUT"})  # fmt: skip
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/issues?code=NEEDS_INPUT"
    session.refresh(issue)
    assert issue.resolution is Resolution.IGNORED and issue.resolved_at is not None
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "issue.ignore"))
    assert event.target_id == str(issue.id) and event.actor == "kim@contoso.test"
    again = client.post(f"/admin/issues/{issue.id}/ignore", data={"csrf_token": token},
                        follow_redirects=True)  # fmt: skip
    assert "already resolved" in again.get_data(as_text=True)
    deeper = _issue(session, anna_box, "A2")
    kept = client.post(f"/admin/issues/{deeper.id}/ignore",
                       data={"csrf_token": token, "after": str(issue.id)})  # fmt: skip
    assert kept.headers["Location"] == f"/admin/issues?after={issue.id}", "back to that page"
    odd = _issue(session, anna_box, "A3")
    dropped = client.post(f"/admin/issues/{odd.id}/ignore",
                          data={"csrf_token": token, "after": "1 OR 1=1"})  # fmt: skip
    assert dropped.headers["Location"] == "/admin/issues"


def test_ignoring_an_issue_of_another_tenant_answers_404(
    client, session, resources, kim_box
) -> None:
    fabrikam = factories.tenant(session, resources.cipher, "fabrikam")
    olga = factories.mailbox(session, resources.cipher, fabrikam, "olga@fabrikam.test")
    session.commit()
    foreign = _issue(session, olga, "O1")
    token = csrf_token(client, "/admin/issues")
    answer = client.post(f"/admin/issues/{foreign.id}/ignore", data={"csrf_token": token})
    assert answer.status_code == 404
    session.refresh(foreign)
    assert foreign.resolved_at is None


def test_ignoring_keeps_a_resolution_made_meanwhile(session, resources, kim_box, anna_box) -> None:
    """The page was loaded while the issue was open; a run resolved it before the click."""
    from backend.web.admin_issues import ignore

    issue = _issue(session, anna_box, "A2")
    seen_by_key_user = resources.session_factory()
    stale = seen_by_key_user.get(Issue, issue.id)
    assert stale.resolved_at is None
    issue.resolved_at, issue.resolution = utcnow(), Resolution.USER_FIX
    session.commit()

    assert ignore(seen_by_key_user, stale, seen_by_key_user.get(User, kim_box.user_id)) is False
    seen_by_key_user.commit()
    seen_by_key_user.close()
    session.refresh(issue)
    assert issue.resolution is Resolution.USER_FIX
    assert session.scalars(select(AuditEvent)).all() == []
