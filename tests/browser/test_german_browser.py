"""The main path in German, in Chromium: Anna chooses Deutsch on the Status page (from the
keyboard), and the Status and Issues tabs and the Save dialog speak German, the dialog's field
names as her SAP screens have them (C4C's German labels); the Outlook task pane follows
Outlook's display language. axe-core finds nothing serious."""

from __future__ import annotations

from datetime import timedelta

from exchangelib import Contact
from sqlalchemy import select

from backend.models import Issue, User
from backend.models.issue import Resolution
from backend.storage.db import utcnow
from backend.sync import warnings
from emulators.ews.seed import add_message
from tests.browser.a11y import check_accessibility
from tests.browser.addin import host_the_pane, rest_id, sign_in_through_dialog
from tests.browser.conftest import screenshot, sign_in
from tests.support.world import ADDRESS


def test_anna_reads_and_fixes_her_issues_in_german(
    live, new_page, identity_service, outlook, sync_now, session, mailbox, crm
) -> None:
    identity_service.provider.add_user("microsoft", ADDRESS, "Anna", "anna-pw")
    Contact(folder=outlook.contacts / "SAP Contacts", account=outlook, given_name="Nolast",
            display_name="Nolast").save()  # fmt: skip
    sync_now()
    [issue] = session.scalars(select(Issue).where(Issue.mailbox_id == mailbox.id))

    page = new_page()
    sign_in(page, live, ADDRESS, "anna-pw")
    assert page.get_attribute("html", "lang") == "en", "the browser asks for English"
    page.focus("#language")
    page.keyboard.press("End")  # the last language: Deutsch
    page.focus("#time-zone")
    page.keyboard.type("Europe/Berlin")
    page.focus("#save-preferences")
    page.keyboard.press("Enter")
    page.wait_for_selector("html[lang=de]")
    assert session.scalars(select(User.language).where(User.email == ADDRESS)).one() == "de"
    assert page.text_content("#mailbox-pill") == "Synchronisiert"
    assert "Gespeichert." in page.inner_text(".toast")
    check_accessibility(page, "Status, German")
    screenshot(page, "de-01-status")

    page.click("text=Probleme")
    card = page.inner_text(f"#issue-{issue.id}")
    assert "Ergänzen Sie: Nachname." in card and "zuerst gesehen" in card
    assert page.text_content("#h-contact").startswith("Kontakte")
    check_accessibility(page, "Issues, German")
    screenshot(page, "de-02-issues")

    page.click(f"#fix-{issue.id}")
    assert page.inner_text("label[for=field-LastName]").startswith("Nachname")
    assert page.inner_text("label[for=field-FirstName]").startswith("Vorname")
    assert page.inner_text("#save") == "Speichern und synchronisieren"
    check_accessibility(page, "Save dialog, German")
    screenshot(page, "de-03-save-dialog")
    page.fill("#field-LastName", "Schmidt")
    page.click("#save")
    page.wait_for_selector("#no-issues")
    assert "ist gespeichert und synchron." in page.inner_text(".toast")
    assert "In den letzten 7 Tagen gelöst" in page.inner_text("#recently-resolved")
    session.refresh(issue)
    assert issue.resolution is Resolution.USER_FIX
    assert [c["LastName"] for c in crm.read("ContactCollection")] == ["Schmidt"]


def test_the_task_pane_speaks_outlooks_display_language(
    live, browser, identity_service, ews, sync_now, session, mailbox, crm
) -> None:
    """Outlook shows itself in German (the browser's language): so does the pane, its own words
    and the server's, whatever language Anna chose on the dashboard."""
    identity_service.provider.add_user("microsoft", ADDRESS, "Anna", "anna-pw")
    message = add_message(ews.store.mailbox(ADDRESS), "Hallo", "fremd@nirgendwo.test",
                          categories=["SAP"])  # fmt: skip
    sync_now()
    [issue] = session.scalars(select(Issue).where(Issue.mailbox_id == mailbox.id))
    session.scalars(select(User).where(User.email == ADDRESS)).one().language = "en"
    session.commit()
    context = browser.new_context(viewport={"width": 320, "height": 760}, locale="de-DE")
    host_the_pane(context, {"itemId": rest_id(message.id), "itemType": "message",
                            "subject": "Hallo"})  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live.url}/addin/taskpane")
    page.wait_for_selector("#sign-in")
    assert page.get_attribute("html", "lang") == "de"
    assert page.inner_text("h1") == "Bei SAP Sync anmelden"
    sign_in_through_dialog(page)
    state = page.wait_for_selector("#item-state[data-state=issue]")
    assert state.text_content().strip() == "Synchronisierungsproblem"
    card = page.inner_text(f"#issue-{issue.id}")
    assert "Ergänzen Sie: Account" in card, "the server's words, in Office's language"
    assert f"Code {issue.code}" in card
    check_accessibility(page, "task pane, German")
    screenshot(page, "de-04-taskpane")
    page.click(f"#fix-{issue.id}")
    page.wait_for_selector("#save-form")
    assert page.inner_text("#save") == "Speichern und synchronisieren"
    assert page.get_attribute("#related-query", "placeholder") == "SAP nach Namen durchsuchen"
    check_accessibility(page, "task pane Save dialog, German")
    screenshot(page, "de-05-taskpane-save-dialog")
    context.close()


def test_a_german_key_users_bulk_dialog_counts_in_german(
    live, new_page, identity_service, session, mailbox, sync_now
) -> None:
    """The users page's script words the selection and the question in the page's language."""
    identity_service.provider.add_user("microsoft", "kim@contoso.test", "Kim", "kim-pw")
    sync_now()
    session.scalars(select(User).where(User.email == "kim@contoso.test")).one().language = "de"
    session.commit()
    admin = new_page()
    sign_in(admin, live, "kim@contoso.test", "kim-pw")
    admin.goto(f"{live.url}/admin/")
    assert admin.inner_text("#selected-count") == "Wählen Sie Postfächer und dann eine Aktion"
    admin.focus(f"input[name=mailbox_id][value='{mailbox.id}']")
    admin.keyboard.press("Space")
    assert admin.inner_text("#selected-count") == "1 ausgewählt"
    admin.select_option("#bulk-action", "revoke")
    admin.focus("#apply-bulk")
    admin.keyboard.press("Enter")
    admin.locator("#bulk-confirm").wait_for(state="visible")
    assert admin.inner_text("#bulk-confirm-title") == "Den Zugriff für 1 Postfach widerrufen?"
    check_accessibility(admin, "revoke confirmation, German")
    screenshot(admin, "de-07-admin-confirm")


def test_a_german_key_user_reads_the_admin_panel_and_the_warnings_in_german(
    live, new_page, identity_service, session, resources, mailbox, tenant, sync_now
) -> None:
    """Settings, "This week" (the digest) and a warning, in German, from the keyboard."""
    identity_service.provider.add_user("microsoft", "kim@contoso.test", "Kim", "kim-pw")
    sync_now()
    kim = session.scalars(select(User).where(User.email == "kim@contoso.test")).one()
    kim.language, kim.time_zone = "de", "Europe/Berlin"
    tenant.config = tenant.config.model_copy(
        update={"c4c_password_expires_on": (utcnow() + timedelta(days=12)).date()}
    )
    session.commit()
    warnings.check_tenant(session, resources.settings, tenant, utcnow(), notify=False)
    admin = new_page()
    sign_in(admin, live, "kim@contoso.test", "kim-pw")
    shown = admin.inner_text("#warnings")
    assert "Passwort des SAP-Integrationsbenutzers endet am" in shown and "MEZ" in shown
    admin.goto(f"{live.url}/admin/settings")
    assert admin.get_attribute("html", "lang") == "de"
    assert admin.inner_text("h1") == "Verwaltung" and "Einstellungen" in admin.title()
    check_accessibility(admin, "admin settings, German")
    screenshot(admin, "de-08-admin-settings")
    admin.goto(f"{live.url}/admin/week/")
    assert "Postfächer (" in admin.inner_text("#d-mailboxes")
    assert "Häufigste offene Probleme" in admin.inner_text("main")
    check_accessibility(admin, "this week, German")
    screenshot(admin, "de-09-admin-this-week")
