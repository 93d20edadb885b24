"""The Outlook task pane in Chromium, with our Office host in place of Microsoft's office.js:
sign in through the Office dialog, see the open item's issue, fix it in the Save dialog."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.auth import addin_tokens
from backend.models import AddinToken, Issue, User
from backend.models.issue import Resolution
from backend.models.mailbox import HealthStatus
from backend.storage.db import utcnow
from emulators.ews.seed import add_message
from tests.browser.addin import host_the_pane, office_calls, rest_id, sign_in_through_dialog
from tests.browser.conftest import screenshot
from tests.support.world import ADDRESS


def open_pane(browser, live, item, token=None, width=360, asked=None):
    """The pane in a new page on ``item``; the add-in API paths it asks are added to ``asked``."""
    context = browser.new_context(viewport={"width": width, "height": 760})
    host_the_pane(context, item, token)
    page = context.new_page()
    page.set_default_timeout(15_000)
    if asked is not None:
        api = f"{live.url}/addin/api/v1"
        page.on("request", lambda r: asked.append(r.url[len(api):].split("?")[0])
                if r.url.startswith(api) else None)  # fmt: skip
    page.goto(f"{live.url}/addin/taskpane")
    return page


def test_the_pane_signs_in_shows_the_issue_and_fixes_it(
    live, browser, identity_service, ews, outlook, sync_now, session, mailbox, crm
) -> None:
    identity_service.provider.add_user("microsoft", ADDRESS, "Anna", "anna-pw")
    nowhere = crm.create("CorporateAccountCollection", {"Name": "Nowhere Ltd"}, "seed-1")
    box = ews.store.mailbox(ADDRESS)
    message = add_message(box, "Hello from nowhere", "stranger@nowhere.test", categories=["SAP"])
    sync_now()
    [issue] = session.scalars(select(Issue)).all()

    item = {"itemId": rest_id(message.id), "itemType": "message", "subject": "Hello from nowhere"}
    page = open_pane(browser, live, item)
    page.wait_for_selector("#sign-in")
    screenshot(page, "20-taskpane-sign-in")
    sign_in_through_dialog(page)

    state = page.wait_for_selector("#item-state[data-state=issue]")
    assert state.text_content().strip() == "Sync issue"
    assert page.is_visible(f"#issue-{issue.id} >> text=Fill in the account")
    screenshot(page, "21-taskpane-issue")

    page.click(f"#fix-{issue.id}")
    page.fill("#related-query", "Nowhere")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the Search button, by keyboard
    page.click(f".candidate[data-id='{nowhere['ObjectID']}']")
    assert "Nowhere Ltd" in page.text_content("#related-current")
    screenshot(page, "22-taskpane-save-dialog")
    page.click("#save")

    page.wait_for_selector("#item-state[data-state=synced]")
    assert page.is_visible("text=is in sync with SAP")
    screenshot(page, "23-taskpane-synced")
    session.refresh(issue)
    assert issue.resolution is Resolution.USER_FIX
    [seen] = [m for m in outlook.inbox.all() if m.subject == "Hello from nowhere"]
    assert seen.categories == ["SAP"]
    calls = office_calls(page)
    assert {"onReady", "ui.displayDialogAsync", "dialog.close"} <= set(calls)


def test_an_expired_token_asks_to_sign_in_again_and_a_forged_one_is_refused(
    live, browser, identity_service, ews, sync_now, session, mailbox
) -> None:
    identity_service.provider.add_user("microsoft", ADDRESS, "Anna", "anna-pw")
    message = add_message(ews.store.mailbox(ADDRESS), "Lunch?", "friend@example.org")
    sync_now()
    anna = session.get(User, mailbox.user_id)
    secret = addin_tokens.issue(session, anna, "outlook", 60).secret
    session.commit()
    item = {"itemId": message.id, "itemType": "message", "subject": "Lunch?"}

    asked: list[str] = []
    page = open_pane(browser, live, item, token=secret, asked=asked)
    page.wait_for_selector("#item-state[data-state=not_tracked]")
    assert page.is_visible("#track")
    # The version once when the pane loads, then one request as the item opens: its answer
    # names the user too.
    assert (asked, page.text_content("#pane-user")) == (["/version", "/item"], anna.name)
    screenshot(page, "24-taskpane-not-tracked")

    row = session.scalars(select(AddinToken)).one()
    row.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    page.reload()
    page.wait_for_selector("text=Your sign-in has expired. Sign in again.")
    sign_in_through_dialog(page)
    page.wait_for_selector("#item-state[data-state=not_tracked]")

    forged = open_pane(browser, live, item, token="ssa_" + "f" * 43)
    forged.wait_for_selector("#sign-in")
    assert forged.is_visible("text=This sign-in has ended")


def test_track_in_sap_from_the_pane(
    live, browser, ews, outlook, sync_now, session, mailbox
) -> None:
    message = add_message(ews.store.mailbox(ADDRESS), "Order 4711", "friend@example.org")
    sync_now()
    secret = addin_tokens.issue(session, session.get(User, mailbox.user_id), "outlook", 60).secret
    session.commit()
    page = open_pane(browser, live, {"itemId": message.id, "itemType": "message"}, token=secret)
    page.click("#track")
    page.wait_for_selector("#item-state[data-state=pending]")
    assert page.is_visible("text=Tracked.")
    screenshot(page, "25-taskpane-tracked")
    [seen] = [m for m in outlook.inbox.all() if m.subject == "Order 4711"]
    assert seen.categories == ["SAP"]

    mailbox.status = HealthStatus.FAILED_AUTH
    session.commit()
    page.reload()
    banner = page.wait_for_selector("#mailbox-banner")
    assert "needs your permission again" in banner.text_content()
    assert page.is_visible("#reactivate")
    assert page.is_visible("text=It syncs once sync of your mailbox runs again.")
    screenshot(page, "26-taskpane-reactivate-banner")
