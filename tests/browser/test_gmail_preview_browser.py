"""The Gmail add-on in a browser: the Google emulator's Gmail preview calls the real add-on with
Google-signed tokens and renders its cards; Anna fixes an e-mail from an unknown sender there."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import expect

from backend.crm.c4c import C4CClient
from backend.gmail_addon.verify import CERTIFICATES
from backend.models.run import RunOutcome
from emulators.google import GoogleEmulator
from emulators.google.preview import AddonDeployment, install
from tests.browser.a11y import check_accessibility
from tests.browser.conftest import LiveServer, screenshot
from tests.support.cards import CLIENT_ID, SERVICE_ACCOUNT, addon_settings
from tests.support.world import ADDRESS, TOKEN

DUE = datetime(2026, 12, 11, 0, 0, tzinfo=UTC)


@pytest.fixture
def kind() -> str:
    return "gmail"


@pytest.fixture
def port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def google(port: int) -> Iterator[GoogleEmulator]:
    """Google with Gmail's preview, whose side panel is the add-on served on ``port``."""
    emulator = GoogleEmulator()
    emulator.add_mailbox(ADDRESS, TOKEN)
    base = f"http://127.0.0.1:{port}/gmail-addon"
    deployment = AddonDeployment(f"{base}/home", f"{base}/message", SERVICE_ACCOUNT, CLIENT_ID)
    install(emulator.app, emulator.store, deployment)
    CERTIFICATES.forget()  # its keys are new, maybe on a port an earlier emulator had
    with emulator:
        yield emulator


@pytest.fixture
def app_config(google: GoogleEmulator, port: int) -> dict[str, object]:
    return addon_settings(google, f"http://127.0.0.1:{port}")


@pytest.fixture
def live(app: Flask, port: int) -> Iterator[LiveServer]:
    server = LiveServer(app, port).start()
    yield server
    server.stop()


def test_anna_fixes_an_email_in_the_gmail_add_on(
    new_page,
    live,
    google,
    owner,
    crm: C4CClient,
    sync_now,
) -> None:
    fabrikam = crm.create("CorporateAccountCollection", {"Name": "Fabrikam"}, "seed-1")
    owner.receive("Trade fair leads", "someone@unknown.test", picked=True)
    owner.receive("Lunch?", "friend@example.org", picked=False)
    assert sync_now().outcome is RunOutcome.SUCCEEDED

    page = new_page()
    page.goto(f"{google.url}/mail/")
    page.get_by_role("button", name=ADDRESS).click()
    panel = page.get_by_role("complementary", name="SAP Sync add-on")
    assert "Open issues (1)" in panel.inner_text()
    screenshot(page, "gmail-addon-home")

    page.get_by_role("link", name="Trade fair leads").click()
    chips = page.locator("#reading-chips")
    # Each chip's own text: how they are laid out (one line each or not) is the stylesheet's.
    # The reading pane fills in after the click: wait for its chips, then read them.
    expect(chips.locator(".chip")).to_have_text(
        ["SAP E-Mails", "SAP E-Mails/Sync Error"], use_inner_text=True
    )
    expect(panel).to_contain_text("Fill in the account.", use_inner_text=True)
    screenshot(page, "gmail-addon-issue")

    panel.get_by_role("button", name="Fix").click()
    page.fill("input[name=related_query]", "Fabri")
    panel.get_by_role("button", name="Search").click()
    panel.get_by_label("Fabrikam").check()
    screenshot(page, "gmail-addon-save-dialog")
    panel.get_by_role("button", name="Save and sync").click()
    page.get_by_role("status").wait_for()
    assert page.get_by_role("status").inner_text() == "Saved and synced."
    assert page.locator("#reading-chips").inner_text() == "SAP E-Mails"
    [email] = crm.read("EMailCollection")
    assert email["AccountID"] == fabrikam["AccountID"]
    screenshot(page, "gmail-addon-saved")

    page.get_by_role("link", name="Lunch?").click()
    panel.get_by_role("button", name="Track in SAP").click()
    assert page.get_by_role("status").inner_text() == "Tracked: it syncs now."
    assert page.locator("#reading-chips").inner_text() == "SAP E-Mails"


def test_dates_are_pickers_in_the_users_zone_and_gmails_links_open_the_message(
    new_page, live, google, owner, sync_now
) -> None:
    body = {"title": "", "due": DUE.strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    owner.tasks.tasks().insert(tasklist=owner._task_list(), body=body).execute()
    message = owner.receive("Trade fair leads", "someone@unknown.test", picked=True)
    assert sync_now().outcome is RunOutcome.SUCCEEDED

    page = new_page()
    page.goto(f"{google.url}/mail/")
    page.get_by_role("button", name=ADDRESS).click()
    panel = page.get_by_role("complementary", name="SAP Sync add-on")
    assert "UTC" not in panel.inner_text(), "times in the user's zone (Europe/Berlin)"
    check_accessibility(page, "Gmail with the add-on's home card")
    panel.get_by_role("button", name="Open").first.click()
    panel.get_by_role("button", name="Fix").click()
    due = panel.get_by_label("Due Date")
    assert due.get_attribute("type") == "datetime-local"
    berlin = DUE.astimezone(ZoneInfo("Europe/Berlin"))
    assert due.input_value() == berlin.strftime("%Y-%m-%dT%H:%M")
    assert "2026-12-11T00:00" not in panel.inner_text()
    check_accessibility(page, "Gmail with the add-on's Save dialog")
    screenshot(page, "ux-22-gmail-date-picker")

    page.goto(f"{google.url}/mail/u/{ADDRESS}/#all/{message}")
    page.wait_for_url(f"{google.url}/mail/?message={message}")
    assert page.inner_text("h1") == "Trade fair leads"
    assert "Fill in the account." in panel.inner_text()
    screenshot(page, "ux-23-gmail-link-opened")
