"""A company put into service from an empty database, in a real browser.

The operator creates Fabrikam and its key user with ``flask tenant create``; Fiona, the key
user, opens her invitation, signs in with her company's directory, sets up the SAP connection
(a wrong password first, told in plain words), imports her people from CSV (a file with one bad
line changes nothing), and Frank, invited, signs in, connects his Exchange mailbox and sees the
first sync's issues. Every new page passes axe.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page
from sqlalchemy import select

from backend.models import Mailbox
from backend.models.mailbox import HealthStatus
from backend.models.run import RunOutcome, Trigger
from backend.sync.engine import Engine
from backend.sync.runs import execute_run
from emulators.c4c import C4CEmulator
from emulators.ews import EwsEmulator
from emulators.ews.seed import add_contact
from emulators.smtp import MailCatcher
from tests.browser.a11y import check_accessibility
from tests.browser.conftest import LiveServer, screenshot
from tests.support.world import C4C_PASSWORD, C4C_USER

FABRIKAM_TID = "9b2e6c1a-4f3d-4e8b-a7c2-1d5e6f7a8b9c"
LINK = re.compile(r"/invitation/([A-Za-z0-9_-]{20,})")
BAD_CSV = "email,name,role\nfrank@fabrikam.test,Frank Sales,user\ncarl@contoso.test,Carl,user\n"
GOOD_CSV = "email,name,role\nfrank@fabrikam.test,Frank Sales,user\n"


def _invitation(mail: MailCatcher, live: LiveServer, to: str) -> str:
    (message,) = [m for m in mail.messages if to in m.recipients]
    found = LINK.search(message.body)
    assert found, message.body
    return f"{live.url}/invitation/{found.group(1)}"


def _accept(page: Page, live: LiveServer, link: str, email: str, password: str) -> None:
    """Open the invitation, sign in with the company's Microsoft directory."""
    page.goto(link)
    check_accessibility(page, "invitation")
    page.click("#accept-invitation")
    page.click("#sign-in-microsoft")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_url(f"{live.url}/reactivate/")


def test_a_company_goes_from_an_empty_database_to_a_synced_mailbox(
    app, runner, session, resources, live: LiveServer, new_page, identity_service,
    ews: EwsEmulator, c4c: C4CEmulator, mail: MailCatcher,
) -> None:  # fmt: skip
    provider = identity_service.provider
    provider.add_directory(FABRIKAM_TID, ("fabrikam.test",))
    provider.add_user("microsoft", "fiona@fabrikam.test", "Fiona Key", "fiona-pw", admin=True)
    provider.add_user("microsoft", "frank@fabrikam.test", "Frank Sales", "frank-pw")
    frank_box = ews.store.add_mailbox("frank@fabrikam.test", "frank-mail")
    add_contact(frank_box, "Tom", "Tailor", "tom@tailspin.test")
    add_contact(frank_box, "Mia", "", "mia@tailspin.test")

    created = runner.invoke(args=[
        "tenant", "create", "--name", "Fabrikam", "--slug", "fabrikam",
        "--mail-system", "exchange-server", "--ews-url", ews.endpoint,
        "--entra-tenant", FABRIKAM_TID, "--key-user", "fiona@fabrikam.test",
        "--key-user-name", "Fiona Key",
    ])  # fmt: skip
    assert created.exit_code == 0, created.output

    fiona = new_page()
    _accept(fiona, live, _invitation(mail, live, "fiona@fabrikam.test"), "fiona@fabrikam.test",
            "fiona-pw")  # fmt: skip
    assert fiona.text_content("h1") == "Connect your mailbox"
    screenshot(fiona, "onboarding-1-connect-mailbox")
    fiona.goto(f"{live.url}/admin/connections/")
    check_accessibility(fiona, "connections")
    fiona.fill("#c4c_base_url", c4c.base_url)
    fiona.fill("#c4c_username", C4C_USER)
    fiona.fill("#c4c_password", "not-the-password")
    fiona.keyboard.press("Enter")  # the form's first button: Test connection
    fiona.wait_for_selector("#test-result")
    assert "SAP refused the user name or password" in fiona.text_content("#test-result")
    screenshot(fiona, "onboarding-2-connection-refused")
    fiona.fill("#c4c_password", C4C_PASSWORD)
    fiona.click("#save-connections")
    fiona.wait_for_selector("#connections-saved")
    assert "The connection works" in fiona.text_content("#test-result")
    check_accessibility(fiona, "connections tested")
    screenshot(fiona, "onboarding-3-connection-works")

    fiona.click("text=Users")
    fiona.click("#add-people")
    check_accessibility(fiona, "add people")
    fiona.fill("#csv-text", BAD_CSV)
    fiona.click("#check-csv")
    fiona.wait_for_selector("#verdicts")
    assert "Nothing will be added until every line is fine" in fiona.content()
    assert "carl@contoso.test" in fiona.text_content("#verdicts")
    screenshot(fiona, "onboarding-4-import-refused")
    fiona.fill("#csv-text", GOOD_CSV)
    fiona.click("#check-csv")
    fiona.click("#import-people")
    fiona.wait_for_selector("text=1 person was added and invited.")
    check_accessibility(fiona, "users after import")
    screenshot(fiona, "onboarding-5-users")

    frank = new_page()
    _accept(frank, live, _invitation(mail, live, "frank@fabrikam.test"), "frank@fabrikam.test",
            "frank-pw")  # fmt: skip
    check_accessibility(frank, "connect mailbox")
    frank.fill("#password", "wrong")
    frank.click("#reactivate")
    frank.wait_for_selector("[role=alert]")
    frank.fill("#password", "frank-mail")
    frank.click("#reactivate")
    frank.wait_for_url(f"{live.url}/")
    assert frank.text_content("#progress-contact") == "Waiting"
    box = session.scalars(select(Mailbox).where(Mailbox.address == "frank@fabrikam.test")).one()
    assert box.next_sync_at is not None, "the first sync is due at once"
    run = execute_run(session, box, Engine(resources.cipher, resources.settings, resources.redis),
                      trigger=Trigger.SCHEDULE, settings=resources.settings)  # fmt: skip
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    session.refresh(box)
    assert box.status is HealthStatus.ACTIVE
    # The Status page reads its counts again until the import ends, without a reload.
    frank.wait_for_selector("#stats:not([data-importing])", timeout=15_000)
    assert frank.text_content("#stats .stat .value") == "1", "Tom Tailor is in SAP"
    frank.goto(f"{live.url}/issues")
    assert "Mia" in frank.content()
    check_accessibility(frank, "first issues")
    screenshot(frank, "onboarding-6-first-issues")
    assert {c["LastName"] for c in c4c.service.store.all("ContactCollection")} == {"Tailor"}
