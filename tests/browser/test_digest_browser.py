"""The weekly digest in Chromium: the Admin panel's "This week" page, its opt-out used from the
keyboard alone, and the e-mail as a mail program shows its HTML (from the mail catcher's page);
axe-core finds nothing serious in either."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.models import Issue, Tenant, User
from backend.models.issue import Source
from backend.models.types import IssueCode, ItemType
from backend.models.user import Role
from backend.storage.db import utcnow
from backend.sync import digest
from emulators.smtp import page_app
from tests.browser.a11y import check_accessibility
from tests.browser.conftest import screenshot, sign_in
from tests.support import factories


def a_week_of_issues(session, resources, tenant: Tenant, mailbox) -> User:
    """Kim (a key user) and issues opened this week and before, open and resolved."""
    kim = session.scalars(select(User).where(User.email == "kim@contoso.test")).one_or_none()
    if kim is None:
        box = factories.mailbox(
            session, resources.cipher, tenant, "kim@contoso.test", Role.KEY_USER
        )
        kim = session.get(User, box.user_id)
    now = utcnow()
    for number, (days, code, resolved) in enumerate(
        ((1, IssueCode.NEEDS_INPUT, None), (2, IssueCode.NEEDS_INPUT, None),
         (9, IssueCode.FORBIDDEN, None), (10, IssueCode.CONFLICT, 3))
    ):  # fmt: skip
        moment = now - timedelta(days=days)
        session.add(Issue(
            tenant_id=tenant.id, user_id=mailbox.user_id, mailbox_id=mailbox.id,
            item_type=ItemType.CONTACT, item_key=f"mbx:{number}", code=code, source=Source.C4C,
            action_title="Fill in the last name" if code is IssueCode.NEEDS_INPUT else None,
            first_seen_at=moment, last_seen_at=moment,
            resolved_at=now - timedelta(days=resolved) if resolved else None,
        ))  # fmt: skip
    session.commit()
    return kim


def test_this_week_reads_well_and_its_opt_out_works_from_the_keyboard(
    live, new_page, identity_service, session, resources, tenant, mailbox
) -> None:
    kim = a_week_of_issues(session, resources, tenant, mailbox)
    identity_service.provider.add_user("microsoft", kim.email, "Kim", "kim-pw")
    page = new_page()
    sign_in(page, live, kim.email, "kim-pw")
    page.goto(f"{live.url}/admin/week/")
    assert "Issues opened: 2" in page.inner_text("#d-opened")
    check_accessibility(page, "This week")
    screenshot(page, "digest-01-this-week")
    page.focus("#weekly_digest")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "save-digest"
    page.keyboard.press("Enter")
    page.wait_for_selector("text=You no longer get the weekly digest.")
    session.refresh(kim)
    assert kim.weekly_digest is False


def test_the_digest_e_mail_as_a_mail_program_shows_it(
    app, new_page, session, resources, tenant, mailbox, mail
) -> None:
    kim = a_week_of_issues(session, resources, tenant, mailbox)
    tenant.created_at = utcnow() - timedelta(weeks=2)
    session.commit()
    with app.app_context():
        assert digest.send_due(session, resources.settings, utcnow()) == 1
    [message] = mail.messages
    assert message.recipients == (kim.email,)
    catcher = page_app(mail).start()
    try:
        page = new_page()
        page.goto(f"{catcher.url}/")
        page.click("text=as HTML")
        page.wait_for_selector("h1")
        assert "sync this week" in page.inner_text("h1")
        assert "Issues opened: 2" in page.inner_text("body")
        check_accessibility(page, "digest e-mail")
        screenshot(page, "digest-02-e-mail")
    finally:
        catcher.stop()
