"""A key user switches the SAP connection to OAuth 2.0 in Chromium, from the keyboard: saving
makes the certificate SAP needs, the refusal says what to do in SAP, and once SAP trusts the
certificate the test gets through. The page passes axe in each state."""

from __future__ import annotations

from emulators.c4c import C4CEmulator
from tests.browser.a11y import check_accessibility
from tests.browser.conftest import screenshot, sign_in
from tests.support.world import C4C_PASSWORD, C4C_USER


def test_a_key_user_connects_sap_with_oauth_from_the_keyboard(
    live, new_page, identity_service, session, mailbox, tenant, c4c: C4CEmulator
) -> None:
    identity_service.provider.add_user("microsoft", "kim@contoso.test", "Kim", "kim-pw")
    page = new_page()
    sign_in(page, live, "kim@contoso.test", "kim-pw")
    page.goto(f"{live.url}/admin/connections/")
    oauth = c4c.service.security.oauth
    page.fill("#c4c_base_url", c4c.base_url)
    page.fill("#c4c_username", C4C_USER)
    page.focus("input[name=c4c_auth][value=BASIC]")
    page.keyboard.press("ArrowDown")  # a radio group moves its choice with the arrow keys
    assert page.is_checked("input[name=c4c_auth][value=OAUTH]")
    page.fill("#oauth_client_id", "SSI_SYNC")
    page.fill("#oauth_client_secret", "client-secret-1")
    assert page.input_value("#oauth_issuer") == "ssi-sync-contoso", "a name is proposed"
    page.fill("#oauth_audience", oauth.service_provider)
    page.focus("#save-connections")
    page.keyboard.press("Enter")
    page.wait_for_selector("#signing-certificate")
    assert "SAP does not know the OAuth client SSI_SYNC" in page.text_content("#test-result")
    check_accessibility(page, "connections with OAuth")
    screenshot(page, "connections-oauth-1-certificate")

    certificate = page.input_value("#certificate-pem")
    sap = new_page()  # SAP's administrator, in the emulated C4C's administration page
    sap.goto(f"{c4c.url}/sap/public/byd/runtime/oauth")
    sap.fill("#user", C4C_USER)
    sap.fill("#password", C4C_PASSWORD)
    sap.click("#c4c-logon")
    assert sap.text_content("#service-provider") == oauth.service_provider
    sap.fill("#issuer", "ssi-sync-contoso")
    sap.fill("#certificate", "not a certificate")
    sap.fill("#client_id", "SSI_SYNC")
    sap.fill("#secret", "client-secret-1")
    sap.click("#oauth-save")
    assert "not a valid X.509 certificate" in sap.text_content("#oauth-error")
    sap.fill("#certificate", certificate)
    sap.fill("#secret", "client-secret-1")
    sap.click("#oauth-save")
    assert "Client SSI_SYNC saved" in sap.text_content("#oauth-done")
    page.bring_to_front()
    page.focus("#test-connection")
    page.keyboard.press("Enter")
    page.wait_for_selector("#test-result")
    assert "The connection works" in page.text_content("#test-result")
    assert page.is_checked("input[name=c4c_auth][value=OAUTH]")
    check_accessibility(page, "connections with OAuth working")
    screenshot(page, "connections-oauth-2-works")
