"""Warnings in Chromium: on the dashboard, in the Admin panel and in the task pane at 320 px,
each read and followed from the keyboard alone; axe-core finds nothing serious."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.models import Tenant, User
from backend.models.run import Trigger
from backend.models.user import Role
from backend.storage.db import utcnow
from backend.sync import warnings
from backend.sync.runs import execute_run
from emulators.ews.seed import add_message
from tests.browser.a11y import check_accessibility
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_pane_ux_browser import signed_in_pane
from tests.support import factories
from tests.support.run_bodies import mail_server_busy
from tests.support.world import ADDRESS


def failing_more_often(session, resources, mailbox) -> None:
    """Three of the mailbox's runs failed: the warning of failures rising is open."""
    for _ in range(3):
        execute_run(session, mailbox, mail_server_busy, trigger=Trigger.SCHEDULE,
                    settings=resources.settings)  # fmt: skip


def test_a_user_reads_the_warning_and_follows_it_from_the_keyboard(
    live, new_page, identity_service, session, resources, mailbox
) -> None:
    failing_more_often(session, resources, mailbox)
    identity_service.provider.add_user("microsoft", ADDRESS, "Anna", "anna-pw")
    page = new_page()
    sign_in(page, live, ADDRESS, "anna-pw")
    warning = page.locator("#warnings .warning")
    assert warning.count() == 1
    assert "Sync is failing more often than usual" in warning.inner_text()
    assert "3 of the last 3 runs of" in warning.inner_text()
    check_accessibility(page, "dashboard with a warning")
    screenshot(page, "warn-01-dashboard")
    link = page.locator("#warnings a.btn")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#warnings') !== null"):
            break
    assert page.evaluate("document.activeElement.textContent") == "See recent runs"
    assert link.get_attribute("href") == f"{resources.settings.public_base_url}/#history"
    page.evaluate("document.activeElement.href = location.origin + '/#history'")  # the live port
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live.url}/#history")
    assert page.is_visible("#history")


def test_a_key_user_sees_the_companys_warnings_in_the_admin_panel(
    live, new_page, identity_service, session, resources, tenant: Tenant, mailbox
) -> None:
    kim = session.scalars(select(User).where(User.email == "kim@contoso.test")).one_or_none()
    if kim is None:
        box = factories.mailbox(
            session, resources.cipher, tenant, "kim@contoso.test", Role.KEY_USER
        )
        kim = session.get(User, box.user_id)
    assert kim.is_key_user
    tenant.config = tenant.config.model_copy(
        update={"c4c_password_expires_on": (utcnow() + timedelta(days=3)).date()}
    )
    session.commit()
    failing_more_often(session, resources, mailbox)
    warnings.check_tenant(session, resources.settings, tenant, utcnow())
    identity_service.provider.add_user("microsoft", "kim@contoso.test", "Kim", "kim-pw")
    page = new_page()
    sign_in(page, live, kim.email, "kim-pw")
    assert "SAP integration user's password ends on" in page.inner_text("#warnings")
    page.goto(f"{live.url}/admin/")
    shown = page.inner_text("#warnings")
    assert "SAP integration user's password ends on" in shown and "Company" in shown
    assert "Sync is failing more often than usual" in shown
    runs = page.locator("#warnings a", has_text="Runs and details")
    assert runs.get_attribute("href").endswith(f"/admin/mailboxes/{mailbox.id}"), "Anna's, here"
    check_accessibility(page, "admin panel with warnings")
    screenshot(page, "warn-02-admin")


def test_the_pane_shows_the_warning_at_320_px(
    live, browser, ews, session, resources, mailbox
) -> None:
    failing_more_often(session, resources, mailbox)
    message = add_message(ews.store.mailbox(ADDRESS), "Hello", "someone@example.org")
    page = signed_in_pane(browser, live, session, mailbox, message.id, "Hello")
    page.wait_for_selector("#warnings .warning")
    assert "Sync is failing more often than usual" in page.inner_text("#warnings")
    check_accessibility(page, "pane with a warning")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, "no sideways scrolling"
    screenshot(page, "warn-03-pane-320")
    page.focus("#warning-0")
    assert page.evaluate("document.activeElement.textContent") == "See recent runs"
