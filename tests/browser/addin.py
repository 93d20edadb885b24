"""Driving the Outlook task pane in Chromium: Office.js is our Office host (the emulated
Outlook's ``office.js``), either routed in place of Microsoft's CDN copy with the open item given
by the test, or served by the emulated Outlook that frames the pane."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

from backend.settings import OFFICE_JS_URL

OFFICE_HOST = Path(__file__).resolve().parents[2] / "emulators/owa/static/owa/office.js"


def rest_id(ews_id: str) -> str:
    """What Office.js hands an add-in in Outlook on the web: the REST form of an EWS id."""
    return ews_id.replace("/", "-").replace("+", "_")


def host_the_pane(context: BrowserContext, item: dict | None, token: str | None = None) -> None:
    """Route Microsoft's office.js to our Office host, holding ``item`` open in "Outlook"."""
    host = {"item": item, "user": {"emailAddress": "anna@contoso.test"}}
    script = f"window.__officeHost = {json.dumps(host)};"
    if token is not None:
        saved = json.dumps({"token": token, "expiresAt": "2999-01-01T00:00:00+00:00"})
        script += f"window.localStorage.setItem('ssi-sync.addin.token', {json.dumps(saved)});"
    context.add_init_script(script)
    context.route(
        OFFICE_JS_URL,
        lambda route: route.fulfill(path=OFFICE_HOST, content_type="application/javascript"),
    )


def sign_in_through_dialog(page: Page, frame_host: Page | None = None) -> None:
    """Press "Sign in" in the pane and finish the sign-in in the Office dialog it opens."""
    opener = frame_host or page
    with opener.expect_popup() as opened:
        page.locator("#sign-in").click()
    dialog = opened.value
    dialog.click("#sign-in-microsoft")
    dialog.fill("#email", "anna@contoso.test")
    dialog.fill("#password", "anna-pw")
    # Listen before clicking: the dialog may be gone before a wait begun after the click.
    with dialog.expect_event("close"):
        dialog.click("#sign-in")


def office_calls(page: Page) -> list[str]:
    return page.evaluate("Office.__calls.map(call => call.name)")
