"""The demo's emulated Outlook: a person signs in, sees the red marker chips on an item, fixes it
in the real task pane beside it, and watches the chips go."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.models import Issue
from backend.models.issue import Resolution
from emulators.ews.seed import add_message
from tests.browser.addin import office_calls, sign_in_through_dialog
from tests.browser.conftest import screenshot
from tests.support.world import ADDRESS, PASSWORD


@pytest.fixture
def app_config(app_config: dict[str, object], ews) -> dict[str, object]:
    """The pane loads Office.js from the emulated Outlook, which may frame it."""
    return {**app_config, "OFFICE_JS_URL": f"{ews.url}/owa/office.js",
            "MAIL_CLIENT_ORIGINS": ews.url}  # fmt: skip


def chips(page, selector: str) -> list[str]:
    return [text.strip() for text in page.locator(f"{selector} .chip").all_text_contents()]


def test_a_person_fixes_an_item_beside_it_in_the_emulated_outlook(
    live, browser, identity_service, ews, outlook, sync_now, session, mailbox, crm
) -> None:
    ews.app.config["OWA_ADDIN_URL"] = f"{live.url}/addin/taskpane"
    identity_service.provider.add_user("microsoft", ADDRESS, "Anna", "anna-pw")
    nowhere = crm.create("CorporateAccountCollection", {"Name": "Nowhere Ltd"}, "seed-1")
    box = ews.store.mailbox(ADDRESS)
    message = add_message(box, "Hello from nowhere", "stranger@nowhere.test", categories=["SAP"])
    add_message(box, "Lunch?", "friend@example.org")
    sync_now()
    [issue] = session.scalars(select(Issue)).all()

    context = browser.new_context(viewport={"width": 1400, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{ews.url}/owa/")
    page.fill("#address", ADDRESS)
    page.fill("#password", "wrong")
    page.click("#owa-sign-in")
    assert page.is_visible("text=Wrong address or password.")
    page.fill("#address", ADDRESS)
    page.fill("#password", PASSWORD)
    page.click("#owa-sign-in")
    page.click("text=Hello from nowhere")
    page.locator("#reading-chips .chip").first.wait_for()  # the reading pane loads the message
    assert chips(page, "#reading-chips") == ["SAP", "Sync Error", "Sync Error: Account missing"]
    red = page.locator("#reading-chips .chip.coloured")
    assert red.all_text_contents() == ["Sync Error"]

    pane = page.frame_locator("#taskpane")
    pane.locator("#sign-in").wait_for()
    sign_in_through_dialog(pane, frame_host=page)
    pane.locator("#item-state[data-state=issue]").wait_for()
    screenshot(page, "28-outlook-preview-issue")

    pane.locator(f"#fix-{issue.id}").click()
    pane.locator("#related-query").fill("Nowhere")
    pane.locator("#related-search").click()
    pane.locator(f".candidate[data-id='{nowhere['ObjectID']}']").click()
    pane.locator("#save").click()
    pane.locator("#item-state[data-state=synced]").wait_for()
    page.wait_for_function(
        "document.querySelectorAll('#reading-chips .chip').length === 1", timeout=10_000
    )
    assert chips(page, "#reading-chips") == ["SAP"]
    screenshot(page, "29-outlook-preview-fixed")
    session.refresh(issue)
    assert issue.resolution is Resolution.USER_FIX
    [seen] = [m for m in outlook.inbox.all() if m.id == message.id]
    assert seen.categories == ["SAP"]
    frame = next(f for f in page.frames if f.url.endswith("/addin/taskpane"))
    assert "ui.displayDialogAsync" in office_calls(frame)
    context.close()


def test_the_pane_speaks_the_language_chosen_in_the_emulated_outlook(
    live, browser, identity_service, ews, sync_now, session, mailbox
) -> None:
    """Anna chose German in Outlook on the web (``--language``): Office says so to the pane,
    whatever the browser's language."""
    ews.app.config["OWA_ADDIN_URL"] = f"{live.url}/addin/taskpane"
    identity_service.provider.add_user("microsoft", ADDRESS, "Anna", "anna-pw")
    box = ews.store.mailbox(ADDRESS)
    box.language = "de-DE"
    add_message(box, "Hello from nowhere", "stranger@nowhere.test", categories=["SAP"])
    sync_now()
    context = browser.new_context(viewport={"width": 1400, "height": 800}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{ews.url}/owa/")
    page.fill("#address", ADDRESS)
    page.fill("#password", PASSWORD)
    page.click("#owa-sign-in")
    page.click("text=Hello from nowhere")
    pane = page.frame_locator("#taskpane")
    pane.locator("#sign-in").wait_for()
    sign_in_through_dialog(pane, frame_host=page)
    state = pane.locator("#item-state[data-state=issue]")
    state.wait_for()
    assert state.inner_text().strip() == "Synchronisierungsproblem"
    assert pane.locator("html").get_attribute("lang") == "de"
    screenshot(page, "de-06-outlook-pane")
    context.close()
