"""The Outlook task pane at 320 px, in Chromium: Enter in the account search searches, read-only
fields look read-only, "Track in SAP" shows the new state when the queued sync ends (no
reload), and a save after the issue was fixed elsewhere says so and keeps what was typed; axe-core
finds nothing serious."""

from __future__ import annotations

import threading

from backend import savedialog
from backend.auth import addin_tokens
from backend.models import User
from backend.models.issue import Resolution
from emulators.ews.seed import add_message
from tests.browser.a11y import check_accessibility
from tests.browser.addin import rest_id
from tests.browser.conftest import screenshot, unknown_sender_issue
from tests.browser.test_addin_browser import open_pane
from tests.support.world import ADDRESS


def signed_in_pane(browser, live, session, mailbox, message_id: str, subject: str):
    secret = addin_tokens.issue(session, session.get(User, mailbox.user_id), "outlook", 60).secret
    session.commit()
    item = {"itemId": rest_id(message_id), "itemType": "message", "subject": subject}
    return open_pane(browser, live, item, token=secret, width=320)


def test_enter_searches_in_the_pane_and_it_passes_axe_at_320_px(
    live, browser, ews, sync_now, session, mailbox, crm
) -> None:
    issue, nowhere, message = unknown_sender_issue(ews, crm, sync_now, session)
    page = signed_in_pane(browser, live, session, mailbox, message, "Hello from nowhere")
    page.wait_for_selector("#item-state[data-state=issue]")
    check_accessibility(page, "pane with an issue")
    screenshot(page, "ux-10-pane-320-issue")

    page.click(f"#fix-{issue.id}")
    sender = page.locator("#field-FromEmailURI")
    assert sender.get_attribute("readonly") is not None and sender.is_enabled()
    assert "cannot be changed here" in page.inner_text("label[for=field-FromEmailURI]")
    page.fill("#related-query", "Nowhere")
    page.press("#related-query", "Enter")
    page.wait_for_selector(f".candidate[data-id='{nowhere['ObjectID']}']")
    assert page.input_value("#related-query") == "Nowhere", "the query stays"
    assert page.is_visible("#save-form") and "Pick the account" not in page.content()
    session.refresh(issue)
    assert issue.is_open, "Enter did not save"
    check_accessibility(page, "pane Save dialog")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, "no sideways scrolling"
    screenshot(page, "ux-11-pane-320-search")

    page.click(f".candidate[data-id='{nowhere['ObjectID']}']")
    page.click("#save")
    page.wait_for_selector("#item-state[data-state=synced]")


def test_track_in_sap_shows_the_new_state_when_the_queued_sync_ends(
    live, browser, ews, sync_now, session, mailbox, crm
) -> None:
    fabrikam = crm.create("CorporateAccountCollection", {"Name": "Fabrikam"}, "seed-1")
    crm.create("ContactCollection", {"FirstName": "Jane", "LastName": "Doe",
                                     "Email": "jane@fabrikam.test",
                                     "AccountID": fabrikam["AccountID"]}, "seed-2")  # fmt: skip
    message = add_message(ews.store.mailbox(ADDRESS), "Order 4711", "jane@fabrikam.test")
    sync_now()
    page = signed_in_pane(browser, live, session, mailbox, message.id, "Order 4711")
    page.click("#track")
    page.wait_for_selector("#item-state[data-state=pending]")
    assert page.is_visible("text=Waiting for the next sync")
    screenshot(page, "ux-12-pane-320-waiting")

    worker = threading.Thread(target=sync_now)  # the queued run, as a worker would do it
    worker.start()
    worker.join(timeout=60)
    page.wait_for_selector("#item-state[data-state=synced]", timeout=20_000)
    assert page.is_visible("text=Sync finished: in sync with SAP.")
    check_accessibility(page, "pane after the sync")
    screenshot(page, "ux-13-pane-320-synced-after-track")


def test_a_save_after_the_issue_was_fixed_elsewhere_keeps_what_was_typed(
    live, browser, ews, sync_now, session, mailbox, crm, resources
) -> None:
    issue, nowhere, message = unknown_sender_issue(ews, crm, sync_now, session)
    page = signed_in_pane(browser, live, session, mailbox, message, "Hello from nowhere")
    page.click(f"#fix-{issue.id}")
    page.fill("#field-Subject", "Typed in the pane")

    anna = session.get(User, mailbox.user_id)
    [offered] = savedialog.search_related(session, resources, issue, "Nowhere", viewer=anna)
    assert offered.object_id == nowhere["ObjectID"]
    done = savedialog.submit(session, resources, issue, {}, anna, related_id=offered.object_id)
    assert done.ok  # fixed on the dashboard meanwhile
    page.click("#save")
    note = page.wait_for_selector("#save-problem")
    assert "This issue is already fixed: Anna saved it" in note.text_content()
    assert page.input_value("#field-Subject") == "Typed in the pane", "nothing typed is lost"
    assert page.is_disabled("#save")
    check_accessibility(page, "pane already fixed")
    screenshot(page, "ux-14-pane-320-already-fixed")
    page.click("#back")
    page.wait_for_selector("#item-state[data-state=synced]")
    session.refresh(issue)
    assert issue.resolution is Resolution.USER_FIX
