"""A sales person and a key user in a real browser: sign in, see issues, fix one, revoke."""

from __future__ import annotations

from exchangelib import Contact

from backend.models import Issue, Mailbox
from backend.models.issue import Resolution
from backend.models.mailbox import HealthStatus
from backend.models.types import IssueCode
from tests.browser.conftest import screenshot, sign_in
from tests.support.world import ADDRESS, PASSWORD


def test_a_user_fixes_a_contact_in_the_save_dialog_and_its_markers_go(
    live, new_page, identity_service, outlook, sync_now, session, mailbox, crm
) -> None:
    identity_service.provider.add_user("microsoft", ADDRESS, "Anna", "anna-pw")
    contact = Contact(
        folder=outlook.contacts / "SAP Contacts",
        account=outlook,
        given_name="Nolast",
        display_name="Nolast",
        categories=["Customer VIP"],
    )
    contact.save()
    sync_now()
    [issue] = session.query(Issue).filter_by(mailbox_id=mailbox.id).all()
    assert issue.code is IssueCode.NEEDS_INPUT

    page = new_page()
    page.goto(live.url + "/")
    screenshot(page, "01-sign-in")
    sign_in(page, live, ADDRESS, "anna-pw")
    assert page.text_content("#mailbox-pill") == "Synced"
    screenshot(page, "02-dashboard-status")

    page.click("text=Issues")
    assert page.text_content("#h-contact").startswith("Contacts")
    assert page.is_visible(f"#issue-{issue.id} >> text=Nolast")
    screenshot(page, "03-dashboard-issues")

    page.click(f"#fix-{issue.id}")
    last_name = page.locator("#field-LastName")
    assert last_name.get_attribute("aria-invalid") == "true"
    assert "LastName" in page.text_content("#save-message") or page.is_visible("#error-LastName")
    screenshot(page, "04-save-dialog")

    last_name.fill("Smith")
    page.click("#save")
    page.wait_for_selector("#no-issues")
    screenshot(page, "05-issues-resolved")

    session.refresh(issue)
    assert issue.resolution is Resolution.USER_FIX
    contact.refresh()
    assert set(contact.categories) == {"Customer VIP"}
    assert contact.surname == "Smith"
    assert [c["LastName"] for c in crm.read("ContactCollection")] == ["Smith"]


def test_a_key_user_revokes_a_mailbox_and_its_user_reactivates_it(
    live, new_page, identity_service, session, mailbox, tenant, sync_now
) -> None:
    identity_service.provider.add_user("microsoft", ADDRESS, "Anna", "anna-pw")
    identity_service.provider.add_user("microsoft", "kim@contoso.test", "Kim", "kim-pw")
    sync_now()

    admin = new_page()
    sign_in(admin, live, "kim@contoso.test", "kim-pw")
    admin.click("text=Admin")
    screenshot(admin, "06-admin-users")
    admin.check(f"input[name=mailbox_id][value='{mailbox.id}']")
    admin.select_option("select[name=action]", "revoke")
    admin.click("#apply-bulk")
    admin.click("#bulk-confirm-go")  # "Revoke access for 1 mailbox?"
    admin.wait_for_selector("text=1 revoked")
    screenshot(admin, "07-admin-revoked")
    session.refresh(mailbox)
    assert mailbox.status is HealthStatus.FAILED_AUTH
    assert mailbox.credentials_encrypted is None

    user = new_page()
    sign_in(user, live, ADDRESS, "anna-pw")
    assert user.text_content("#mailbox-pill") == "Needs re-activation"
    screenshot(user, "08-dashboard-needs-reactivation")
    user.click("text=Re-activate")
    user.fill("#password", "not the password")
    user.click("#reactivate")
    assert user.is_visible("text=did not accept")
    user.fill("#password", PASSWORD)
    user.click("#reactivate")
    user.wait_for_url(f"{live.url}/")
    session.refresh(mailbox)
    assert mailbox.status is not HealthStatus.FAILED_AUTH
    assert mailbox.credentials_encrypted is not None
    assert session.get(Mailbox, mailbox.id).next_sync_at is not None
