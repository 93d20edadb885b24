"""Revoke, then re-activate, a Gmail and an Exchange Online mailbox in a real browser.

The key user revokes Anna's access in the admin panel; Anna grants it again through the sign-in
provider's consent (Google's for Gmail, Microsoft's for Exchange Online), which sends her back
to the product's re-activation callback, registered as the demo registers it; the next sync
reads her mailbox with the new token, which the mail API emulator checks with the identity
emulator, as the demo's do.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from backend.auth.credentials import mailbox_credentials
from backend.models import Mailbox
from backend.models.mailbox import HealthStatus
from backend.models.run import RunOutcome
from emulators.identity import IdentityEmulator
from emulators.oauth_trust import TrustedIssuer
from tests.browser.conftest import CLIENT_ID, CLIENT_SECRET, LiveServer, screenshot, sign_in
from tests.support.world import ADDRESS

REALMS = {"gmail": "google", "graph": "microsoft"}
"""Whose consent re-activates each mail system's mailbox."""


def _trust_the_identity_emulator(request: pytest.FixtureRequest, kind: str, identity) -> None:
    api = request.getfixturevalue("google" if kind == "gmail" else "graph")
    path = "/google" if kind == "gmail" else "/microsoft/v2.0"
    api.store.trusted = TrustedIssuer(f"{identity.url}{path}/introspect", CLIENT_ID, CLIENT_SECRET)


def _revoke(page: Page, live: LiveServer, mailbox: Mailbox) -> None:
    sign_in(page, live, "kim@contoso.test", "kim-pw")
    page.click("text=Admin")
    page.check(f"input[name=mailbox_id][value='{mailbox.id}']")
    page.select_option("select[name=action]", "revoke")
    page.click("#apply-bulk")
    page.click("#bulk-confirm-go")  # "Revoke access for 1 mailbox?"
    page.wait_for_selector("text=1 revoked.")


def _grant_again(page: Page, live: LiveServer, identity: IdentityEmulator, realm: str) -> None:
    page.click("text=Re-activate")
    page.click("#grant-access")
    page.wait_for_url(lambda url: url.startswith((identity.url, f"{live.url}/")))
    if page.url.startswith(identity.url):
        refused = page.locator("#error-code")
        assert not refused.count(), f"the sign-in provider refused: {refused.text_content()}"
        assert page.input_value("#email") == ADDRESS, "the consent asks for the mailbox's owner"
        screenshot(page, f"11-reactivation-consent-{realm}")
        page.fill("#password", "anna-pw")
        page.click("#sign-in")
    page.wait_for_url(f"{live.url}/")


@pytest.mark.parametrize("kind", ["gmail", "graph"])
def test_a_revoked_token_mailbox_is_granted_again_and_syncs(
    request: pytest.FixtureRequest,
    kind: str,
    live: LiveServer,
    new_page: Callable[[], Page],
    identity_service: IdentityEmulator,
    session,
    resources,
    mailbox: Mailbox,
    sync_now,
) -> None:
    realm = REALMS[kind]
    for person, password in ((ADDRESS, "anna-pw"), ("kim@contoso.test", "kim-pw")):
        identity_service.provider.add_user("microsoft", person, person, password)
    identity_service.provider.add_user("google", ADDRESS, "Anna", "anna-pw")
    _trust_the_identity_emulator(request, kind, identity_service)
    assert sync_now().outcome is RunOutcome.SUCCEEDED

    _revoke(new_page(), live, mailbox)
    session.refresh(mailbox)
    assert mailbox.status is HealthStatus.FAILED_AUTH and mailbox.credentials_encrypted is None

    anna = new_page()
    sign_in(anna, live, ADDRESS, "anna-pw")
    assert anna.text_content("#mailbox-pill") == "Needs re-activation"
    _grant_again(anna, live, identity_service, realm)
    assert anna.is_visible("text=Your mailbox is connected again")
    screenshot(anna, f"12-reactivated-{kind}")

    session.refresh(mailbox)
    stored = mailbox_credentials(mailbox, resources.cipher)
    assert stored["provider"] == realm
    assert identity_service.provider.is_token_active(stored["access_token"])
    run = sync_now()
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    session.refresh(mailbox)
    assert mailbox.status is HealthStatus.ACTIVE
