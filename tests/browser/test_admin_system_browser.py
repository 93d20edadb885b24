"""The System page in Chromium after a sync: what the key user reads of the machinery and of
their company's share passes axe, and is reached from the admin tabs by keyboard."""

from __future__ import annotations

from tests.browser.a11y import check_accessibility
from tests.browser.conftest import screenshot, sign_in


def test_the_system_page_reads_well_and_passes_axe(
    live, new_page, identity_service, session, mailbox, tenant, sync_now
) -> None:
    identity_service.provider.add_user("microsoft", "kim@contoso.test", "Kim", "kim-pw")
    sync_now()
    page = new_page()
    sign_in(page, live, "kim@contoso.test", "kim-pw")
    page.goto(f"{live.url}/admin/")
    page.focus("text=System")
    page.keyboard.press("Enter")
    page.wait_for_selector("#company-share")
    assert page.text_content("#share-running").strip() == "0"
    assert "no worker is running" in page.text_content("#dependency-workers")
    check_accessibility(page, "system")
    screenshot(page, "admin-system")
