"""A task pane older than the server's ``ADDIN_MIN_VERSION`` asks to be updated."""

from __future__ import annotations

import pytest

from tests.browser.addin import host_the_pane
from tests.browser.conftest import screenshot


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return {**app_config, "ADDIN_MIN_VERSION": "2.0"}


def test_an_outdated_pane_asks_to_be_updated(live, browser) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 600})
    host_the_pane(context, {"itemId": "QUJDREVGR0g=", "itemType": "message"})
    page = context.new_page()
    page.goto(f"{live.url}/addin/taskpane")
    page.wait_for_selector("text=Please update the add-in")
    assert "needs 2.0 or newer" in page.text_content("#pane-body")
    screenshot(page, "27-taskpane-update")
    context.close()
