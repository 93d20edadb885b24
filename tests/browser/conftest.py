"""Browser tests: the real app served on a loopback port, driven by Debian's Chromium.

The app signs people in through the identity emulator and syncs against the C4C and EWS
emulators (the engine tests' fixtures). Screenshots of every page land in
``test-artifacts/screenshots`` (not committed) for a person to look at.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from backend.models import Issue
from emulators.ews.seed import add_message
from emulators.identity import IdentityEmulator, create_emulator
from emulators.identity.seed import register_app, seed_directory
from tests.support.world import ADDRESS

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CLIENT_ID, CLIENT_SECRET = "ssi-sync-browser", "ssi-sync-browser-secret"

NO_CHROMIUM = f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip this folder's tests, saying why, on a machine without Chromium.

    A ``pytestmark`` in a conftest marks nothing, so the skip is added to each collected test.
    """
    if CHROMIUM.exists():
        return
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


class LiveServer:
    """The app under test on 127.0.0.1 in a background thread."""

    def __init__(self, app: Flask, port: int = 0) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


@pytest.fixture(scope="session")
def identity_service() -> Iterator[IdentityEmulator]:
    """Microsoft and Google sign-in, with the Contoso directory as the demo has it."""
    emulator = create_emulator().start()
    seed_directory(emulator.provider)
    yield emulator
    emulator.stop()


@pytest.fixture
def app_config(
    request: pytest.FixtureRequest, identity_service: IdentityEmulator, kind: str
) -> dict[str, object]:
    """Both sign-in providers, as in the demo, and the API of Anna's mail system."""
    identity_service.provider.reset()
    config: dict[str, object] = {}
    for realm in ("microsoft", "google"):
        prefix = realm.upper()
        config[f"{prefix}_ISSUER"] = identity_service.provider.issuer(realm)
        config[f"{prefix}_CLIENT_ID"] = CLIENT_ID
        config[f"{prefix}_CLIENT_SECRET"] = CLIENT_SECRET
    if kind == "gmail":
        config["GOOGLE_API_BASE"] = request.getfixturevalue("google").url
    if kind == "graph":
        config["GRAPH_API_BASE"] = request.getfixturevalue("graph").url
    return config


@pytest.fixture
def live(app: Flask, identity_service: IdentityEmulator) -> Iterator[LiveServer]:
    """The app on a loopback port, registered with the identity emulator exactly as the demo
    registers it (:func:`emulators.identity.seed.register_app`): every callback the product
    has, so a callback the demo lacks fails here too."""
    server = LiveServer(app).start()
    register_app(identity_service.provider, [server.url], CLIENT_ID, CLIENT_SECRET)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield found
        found.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator:
    """Pages in fresh browser contexts (separate cookies), closed after the test."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, live: LiveServer, email: str, password: str) -> None:
    """Sign in the way a person does: the button, the provider's form, back to the dashboard."""
    page.goto(f"{live.url}/login")
    page.click("#sign-in-microsoft")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_url(f"{live.url}/")


def unknown_sender_issue(exchange, c4c_client, run_sync, session) -> tuple[Issue, dict, str]:
    """An e-mail from someone C4C does not know, synced: its issue, the account "Nowhere Ltd" a
    person can link it to, and the message's id (the arguments: the ``ews``, ``crm`` and
    ``sync_now`` fixtures and the session)."""
    nowhere = c4c_client.create("CorporateAccountCollection", {"Name": "Nowhere Ltd"}, "seed-1")
    box = exchange.store.mailbox(ADDRESS)
    message = add_message(box, "Hello from nowhere", "stranger@nowhere.test", categories=["SAP"])
    run_sync()
    [issue] = session.scalars(select(Issue)).all()
    return issue, nowhere, message.id
