"""What a person notices on the dashboard, in Chromium: Enter in "Search by name" searches, a form
saved in another tab (or reached with Back) says it is already fixed without losing what was
typed, destructive bulk actions ask first from the keyboard; and every page passes axe-core."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.models import Issue, Mailbox, SyncItem
from backend.models.issue import Resolution, Source
from backend.models.mailbox import HealthStatus
from backend.models.types import IssueCode, ItemType
from backend.storage.db import utcnow
from emulators.ews.seed import add_contact
from tests.browser.a11y import check_accessibility
from tests.browser.conftest import screenshot, sign_in, unknown_sender_issue
from tests.support.outlook import bare_account
from tests.support.world import ADDRESS, PASSWORD


def signed_in_with_an_issue(live, new_page, identity_service, ews, crm, sync_now, session):
    """Anna signed in on the dashboard, with an e-mail whose sender C4C does not know."""
    identity_service.provider.add_user("microsoft", ADDRESS, "Anna", "anna-pw")
    issue, nowhere, _message = unknown_sender_issue(ews, crm, sync_now, session)
    page = new_page()
    sign_in(page, live, ADDRESS, "anna-pw")
    return page, issue, nowhere


def test_enter_in_search_searches_and_the_pages_pass_axe(
    live, new_page, identity_service, ews, crm, sync_now, session, mailbox
) -> None:
    page, issue, nowhere = signed_in_with_an_issue(
        live, new_page, identity_service, ews, crm, sync_now, session
    )
    check_accessibility(page, "status")
    assert page.locator("time").first.get_attribute("datetime").endswith("Z")
    assert "+00:00Z" not in page.content()
    page.click("text=Issues")
    check_accessibility(page, "issues")
    card = page.inner_text(f"#issue-{issue.id}")
    assert "from SAP Sync" in card and "C4c" not in card
    screenshot(page, "ux-01-dashboard-issues")

    page.click(f"#fix-{issue.id}")
    sender = page.locator("#field-FromEmailURI")
    assert sender.get_attribute("readonly") is not None
    assert "cannot be changed here" in page.inner_text("label[for=field-FromEmailURI]")
    assert page.locator("#hint-Subject").inner_text() == "Up to 255 characters"
    assert not page.locator("#hint-FromEmailURI").count(), "no 'Up to ...' on a read-only field"
    assert page.eval_on_selector("#field-FromEmailURI", "e => getComputedStyle(e).backgroundColor")
    assert page.locator("#field-SentOn").get_attribute("type") == "datetime-local"
    check_accessibility(page, "Save dialog")
    page.fill("#related-query", "Nowhere")
    page.press("#related-query", "Enter")
    page.wait_for_selector(".search-results")
    assert page.input_value("#related-query") == "Nowhere", "the query stays"
    assert "Pick the account" not in page.content(), "it was not submitted as a Save"
    # The results page puts the focus with ``autofocus``, which the browser applies once it has
    # rendered the page: a moment after the results exist.
    page.wait_for_function("document.activeElement?.name === 'related_id'", timeout=5000)
    session.refresh(issue)
    assert issue.is_open
    check_accessibility(page, "Save dialog with results")
    screenshot(page, "ux-02-save-dialog-search")

    page.keyboard.press("Space")
    page.click("#save")
    page.wait_for_url(f"{live.url}/issues")
    session.refresh(issue)
    assert issue.resolution is Resolution.USER_FIX
    assert nowhere["Name"] in page.content() or page.is_visible("#no-issues")


def test_a_form_saved_in_another_tab_or_reached_with_back_says_already_fixed(
    live, new_page, identity_service, ews, crm, sync_now, session, mailbox
) -> None:
    first, issue, nowhere = signed_in_with_an_issue(
        live, new_page, identity_service, ews, crm, sync_now, session
    )
    first.goto(f"{live.url}/issues/{issue.id}/fix")
    second = first.context.new_page()
    second.goto(f"{live.url}/issues/{issue.id}/fix")

    first.fill("#related-query", "Nowhere")
    first.press("#related-query", "Enter")
    first.check(f"input[name=related_id][value='{nowhere['ObjectID']}']")
    first.click("#save")
    first.wait_for_url(f"{live.url}/issues")

    second.fill("#field-Subject", "Hello from nowhere, again")
    second.click("#save")
    second.wait_for_selector("#already-fixed")
    assert "Hello from nowhere, again" in second.inner_text("#typed-values"), (
        "nothing typed is lost"
    )
    fixed = second.inner_text("#already-fixed")
    assert fixed.startswith("This issue is already fixed: Anna saved it on ")
    assert "Account or contact: “Nowhere Ltd”" in fixed
    check_accessibility(second, "already fixed")
    screenshot(second, "ux-03-already-fixed")

    session.refresh(issue)
    assert issue.resolution is Resolution.USER_FIX


def test_back_to_a_saved_form_says_already_fixed_and_keeps_what_was_typed(
    live, new_page, identity_service, ews, sync_now, session, mailbox
) -> None:
    identity_service.provider.add_user("microsoft", ADDRESS, "Anna", "anna-pw")
    mia = add_contact(ews.store.mailbox(ADDRESS), "Mia", "", "mia@fabrikam.test")
    sync_now()
    [issue] = session.scalars(select(Issue)).all()
    page = new_page()
    sign_in(page, live, ADDRESS, "anna-pw")
    page.goto(f"{live.url}/issues/{issue.id}/fix")
    page.fill("#field-LastName", "Smith")
    page.click("#save")
    page.wait_for_url(f"{live.url}/issues")

    page.go_back()
    page.wait_for_selector("#already-fixed")
    assert page.url.endswith(f"/issues/{issue.id}/fix")
    assert "Anna saved it on" in page.inner_text("#already-fixed")
    assert "Last Name: “Smith”" in page.inner_text("#already-fixed")
    assert "Smith" in page.inner_text("#saved-values")
    session.refresh(issue)
    assert issue.resolution is Resolution.USER_FIX
    assert ews.store.mailbox(ADDRESS).items[mia.id].texts("Surname") == ["Smith"]


def kim_signed_in(live, new_page, identity_service, sync_now, script: bool = True):
    """Kim, the key user, signed in after a first sync of Anna's mailbox, on the users page
    (``script=False``: as a browser that does not run the page's script)."""
    identity_service.provider.add_user("microsoft", "kim@contoso.test", "Kim", "kim-pw")
    sync_now()
    admin = new_page()
    sign_in(admin, live, "kim@contoso.test", "kim-pw")
    if not script:
        empty = {"body": "", "content_type": "text/javascript"}
        admin.route("**/static/js/admin.js", lambda route: route.fulfill(**empty))
    admin.goto(f"{live.url}/admin/")
    return admin


def test_revoke_asks_first_and_is_answered_from_the_keyboard(
    live, new_page, identity_service, session, mailbox, tenant, sync_now
) -> None:
    admin = kim_signed_in(live, new_page, identity_service, sync_now)
    check_accessibility(admin, "admin users")
    admin.focus(f"input[name=mailbox_id][value='{mailbox.id}']")
    admin.keyboard.press("Space")
    admin.select_option("#bulk-action", "revoke")
    admin.focus("#apply-bulk")
    admin.keyboard.press("Enter")
    dialog = admin.locator("#bulk-confirm")
    dialog.wait_for(state="visible")
    assert admin.inner_text("#bulk-confirm-title") == "Revoke access for 1 mailbox?"
    assert "Nothing syncs until each user re-activates" in admin.inner_text("#bulk-confirm-what")
    assert admin.evaluate("document.activeElement.id") == "bulk-cancel"
    check_accessibility(admin, "revoke confirmation")
    screenshot(admin, "ux-04-admin-confirm-revoke")

    admin.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert admin.evaluate("document.activeElement.id") == "apply-bulk"
    session.refresh(mailbox)
    assert mailbox.status is not HealthStatus.FAILED_AUTH, "Escape changed nothing"

    admin.keyboard.press("Enter")
    dialog.wait_for(state="visible")
    admin.keyboard.press("Tab")
    assert admin.evaluate("document.activeElement.id") == "bulk-confirm-go"
    admin.keyboard.press("Enter")
    admin.wait_for_selector("text=1 revoked")
    session.refresh(mailbox)
    assert mailbox.status is HealthStatus.FAILED_AUTH
    assert session.get(Mailbox, mailbox.id).credentials_encrypted is None


def test_without_the_dialog_the_server_asks_on_a_page_of_its_own(
    live, new_page, identity_service, session, mailbox, tenant, sync_now
) -> None:
    admin = kim_signed_in(live, new_page, identity_service, sync_now, script=False)
    admin.check(f"input[name=mailbox_id][value='{mailbox.id}']")
    admin.select_option("#bulk-action", "reset")
    admin.click("#apply-bulk")
    admin.wait_for_selector("#confirm-title")
    assert admin.inner_text("#confirm-title") == "Reset 1 mailbox?"
    assert mailbox.address in admin.inner_text("ul.details")
    check_accessibility(admin, "confirmation page")
    screenshot(admin, "ux-05-admin-confirm-page")
    admin.click("#confirm-bulk")
    admin.wait_for_selector("text=1 reset")


def test_older_issues_are_a_keyboard_press_away_and_the_pages_pass_axe(
    live, new_page, identity_service, session, mailbox
) -> None:
    _sixty_issues(session, mailbox)
    identity_service.provider.add_user("microsoft", ADDRESS, "Anna", "anna-pw")
    page = new_page()
    sign_in(page, live, ADDRESS, "anna-pw")
    page.goto(f"{live.url}/issues")
    assert page.locator("article.issue").count() == 25
    assert page.inner_text("#h-contact .count") == "60"
    check_accessibility(page, "issues, first page")
    screenshot(page, "ux-06-issues-paged")

    _press(page, "#older-issues", then="#newest-issues")
    assert page.locator("article.issue").count() == 25
    assert page.locator(".what").first.inner_text() == "Contact 25"
    _press(page, "#older-issues", then=".what:text-is('Contact 50')")
    assert page.locator("article.issue").count() == 10
    assert page.locator(".what").first.inner_text() == "Contact 50"
    check_accessibility(page, "issues, older page")
    _press(page, "#newest-issues", then="#older-issues")
    assert page.locator(".what").first.inner_text() == "Contact 00"


def _sixty_issues(session, mailbox) -> None:
    """Sixty open issues of Anna's, "Contact 00" the newest: more than a page."""
    start = utcnow()
    for number in range(60):
        session.add(Issue(
            tenant_id=mailbox.tenant_id, user_id=mailbox.user_id, mailbox_id=mailbox.id,
            item_type=ItemType.CONTACT, item_key=f"mbx:K{number}", mailbox_item_id=f"K{number}",
            title=f"Contact {number:02d}", code=IssueCode.NEEDS_INPUT, source=Source.C4C,
            backend_message="Mandatory field LastName is not filled",
            last_seen_at=start - timedelta(minutes=number),
        ))  # fmt: skip
    session.commit()


def test_the_admin_issue_list_pages_from_the_keyboard_and_passes_axe(
    live, new_page, identity_service, session, mailbox, sync_now
) -> None:
    _sixty_issues(session, mailbox)
    admin = kim_signed_in(live, new_page, identity_service, sync_now)
    admin.goto(f"{live.url}/admin/issues")
    assert admin.locator("tbody tr").count() == 50
    assert admin.inner_text("#issue-total") == "60 matching, newest first"
    check_accessibility(admin, "admin issues, first page")
    screenshot(admin, "ux-07-admin-issues-paged")

    _press(admin, "#older-issues", then="#newest-issues")
    assert admin.locator("tbody tr").count() == 10
    check_accessibility(admin, "admin issues, older page")
    _press(admin, "#newest-issues", then="#older-issues")
    assert admin.locator("tbody tr").count() == 50

    suggested = admin.eval_on_selector_all(
        "#f-user-people option", "found => found.map(o => o.value)"
    )
    assert ADDRESS in suggested
    admin.focus("#f-user")
    admin.keyboard.type(ADDRESS)
    with admin.expect_navigation():
        admin.keyboard.press("Enter")
    assert admin.input_value("#f-user") == ADDRESS
    assert admin.inner_text("#issue-total") == "60 matching, newest first"
    check_accessibility(admin, "admin issues, one user's")
    screenshot(admin, "ux-07b-admin-issues-one-user")


def _press(page, button: str, *, then: str) -> None:
    """Press ``button`` from the keyboard and wait for what the next page shows."""
    page.focus(button)
    page.keyboard.press("Enter")
    page.wait_for_selector(then)


def test_what_the_sync_decided_on_its_own_is_under_resolved_and_passes_axe(
    live, new_page, identity_service, ews, crm, sync_now, session
) -> None:
    """A contact changed in Outlook and in SAP: the newer change wins, and the informational
    issue, resolved at once, is where Anna looks (the Issues tab), not only in the admin list."""
    add_contact(ews.store.mailbox(ADDRESS), "Jane", "Doe", "jane@fabrikam.test")
    sync_now()
    [linked] = session.scalars(select(SyncItem.c4c_object_id).where(SyncItem.title == "Jane Doe"))
    [jane] = (bare_account(ews.endpoint, ADDRESS, PASSWORD).contacts / "SAP Contacts").all()
    jane.job_title = "Buyer"
    jane.save(update_fields=["job_title"])
    crm.update("ContactCollection", linked, {"JobTitle": "Head of Purchasing"}, None)
    sync_now()
    [decided] = session.scalars(select(Issue).where(Issue.code == IssueCode.CONFLICT))
    assert decided.resolution is Resolution.AUTO

    identity_service.provider.add_user("microsoft", ADDRESS, "Anna", "anna-pw")
    page = new_page()
    sign_in(page, live, ADDRESS, "anna-pw")
    page.click("text=Issues")
    assert page.locator("#no-issues").is_visible(), "nothing is open"
    shown = page.inner_text(f"#resolved-{decided.id}")
    assert "Contacts: Jane Doe" in shown and "CONFLICT" in shown
    assert "kept the SAP version" in shown and "Resolved by the sync" in shown
    check_accessibility(page, "issues with resolved ones")
    screenshot(page, "ux-07-issues-resolved")
    answer = page.goto(f"{live.url}/issues?older={decided.id}")
    assert answer is not None and answer.status == 200
    assert page.locator("#no-older").is_visible()
    assert not page.locator("#recently-resolved").count(), "only on the first page"
