"""The Admin panel's "This week": the digest as a page, for key users of the company only, and
each key user's choice to get it by e-mail (audited, CSRF-protected)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.models import AuditEvent, Issue, User
from backend.models.issue import Source
from backend.models.types import IssueCode, ItemType
from backend.models.user import Role
from backend.storage.db import utcnow
from tests.support import factories
from tests.support.web import csrf_token, sign_in


def test_the_page_shows_the_week_and_links_the_people_who_need_help(
    client, session, resources, tenant, kim
) -> None:
    anna = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    old = utcnow() - timedelta(days=12)
    session.add(Issue(tenant_id=tenant.id, user_id=anna.user_id, mailbox_id=anna.id,
                      item_type=ItemType.CONTACT, item_key="mbx:1", code=IssueCode.NEEDS_INPUT,
                      source=Source.C4C, fields=["LastName"], action_title="Fill in the last name",
                      first_seen_at=old, last_seen_at=old))  # fmt: skip
    session.commit()
    page = client.get("/admin/week/").get_data(as_text=True)
    assert 'aria-current="page">This week<' in page
    assert (
        "Mailboxes (2)" in page
        and "Contacts: Fill in the last name</strong> <code>NEEDS_INPUT</code>, 1 open" in page
    )
    assert f'href="/admin/mailboxes/{anna.id}">Anna</a>' in page
    assert "1 open issue, the oldest 12 days old" in page
    assert "Mondays at 07:00 UTC" in page
    assert 'style="' not in page, "the page's styles come from its style sheet (CSP)"


def test_a_key_user_opts_out_and_in_again(client, session, kim) -> None:
    token = csrf_token(client, "/admin/week/")
    answer = client.post("/admin/week/digest", data={"csrf_token": token}, follow_redirects=True)
    assert "You no longer get the weekly digest." in answer.get_data(as_text=True)
    session.refresh(kim)
    assert kim.weekly_digest is False
    assert 'id="weekly_digest">' in answer.get_data(as_text=True), "shown unticked"
    client.post("/admin/week/digest", data={"csrf_token": token, "weekly_digest": "on"})
    session.refresh(kim)
    assert kim.weekly_digest is True
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.weekly_digest"))
    assert [event.details for event in events] == [
        {"weekly_digest": False}, {"weekly_digest": True},
    ]  # fmt: skip


def test_plain_users_other_companies_and_forged_posts_get_nothing(
    app, client, session, resources, tenant, kim
) -> None:
    assert client.post("/admin/week/digest", data={}).status_code == 400, "no CSRF token"
    session.refresh(kim)
    assert kim.weekly_digest is True
    anna = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    session.commit()
    sign_in(app, client, session.get(User, anna.user_id))
    assert client.get("/admin/week/").status_code == 403
    token = csrf_token(client, "/")
    assert client.post("/admin/week/digest", data={"csrf_token": token}).status_code == 403
    other = factories.tenant(session, resources.cipher, slug="fabrikam")
    boss = factories.mailbox(session, resources.cipher, other, "boss@fabrikam.test", Role.KEY_USER)
    session.commit()
    sign_in(app, client, session.get(User, boss.user_id))
    page = client.get("/admin/week/").get_data(as_text=True)
    assert "Mailboxes (1)" in page and "anna@contoso.test" not in page
