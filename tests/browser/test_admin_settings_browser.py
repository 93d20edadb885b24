"""The settings page in Chromium: the item types table with its choice of which SAP records
reach mailboxes passes axe, and the choice is made and saved from the keyboard alone."""

from __future__ import annotations

from backend.models.tenant import FromSap
from backend.models.types import ItemType
from tests.browser.a11y import check_accessibility
from tests.browser.conftest import screenshot, sign_in


def test_the_from_sap_choice_is_made_by_keyboard_and_passes_axe(
    live, new_page, identity_service, session, tenant
) -> None:
    identity_service.provider.add_user("microsoft", "kim@contoso.test", "Kim", "kim-pw")
    page = new_page()
    sign_in(page, live, "kim@contoso.test", "kim-pw")
    page.goto(f"{live.url}/admin/settings")
    check_accessibility(page, "settings")
    screenshot(page, "admin-settings")
    page.focus('select[name="item_types.TASK.from_sap"]')
    page.keyboard.press("ArrowDown")
    page.focus("#save-settings")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Settings saved")
    session.refresh(tenant)
    assert tenant.config.item_types[ItemType.TASK].from_sap is FromSap.LINKED
