"""The identity emulator as a standalone server: command line, seed, extra clients and users."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

ROOT = Path(__file__).resolve().parents[3]
CALLBACK = "http://localhost:9999/cb"
APP_URL = "http://127.0.0.1:9000"
"""Where ``flask demo --port 9000`` serves: the seed registers the demo client for it."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def standalone() -> Iterator[tuple[str, str]]:
    """The running server's base URL and the first line it printed."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.identity", "--port", str(port), "--seed", "contoso",
         "--app-url", "http://localhost:8000", "--app-url", APP_URL,
         "--client", f"extra-app:s3cr:et:{CALLBACK}",
         "--user", "google:gina@gmail.com:gina-pw:Gina Example"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        assert process.stdout is not None
        banner = process.stdout.readline().strip()
        for _ in range(100):
            assert process.poll() is None, "the emulator exited"
            try:
                requests.get(url + "/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        yield url, banner
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_standalone_serves_seed_and_command_line_users(standalone: tuple[str, str]) -> None:
    url, banner = standalone
    assert banner == f"Identity emulator on {url}"
    listing = requests.get(url + "/", timeout=5).json()
    meta = requests.get(listing["google"], timeout=5).json()
    assert meta["issuer"] == url + "/google"
    client = OAuth2Session("extra-app", "s3cr:et", scope="openid email", redirect_uri=CALLBACK)
    authorize_url, _ = client.create_authorization_url(meta["authorization_endpoint"])
    form = {"email": "gina@gmail.com", "password": "gina-pw"}
    answer = requests.post(authorize_url, data=form, allow_redirects=False, timeout=5)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = client.fetch_token(meta["token_endpoint"], code=code)
    info = requests.get(
        meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=5,
    ).json()  # fmt: skip
    assert info["email"] == "gina@gmail.com" and "hd" not in info
    seeded = requests.get(listing["microsoft"], timeout=5).json()
    demo = OAuth2Session("ssi-sync-demo", "ssi-sync-demo-secret", scope="openid email",
                         redirect_uri="http://localhost:8000/auth/callback/microsoft")  # fmt: skip
    authorize_url, _ = demo.create_authorization_url(seeded["authorization_endpoint"])
    form = {"email": "kim.keyuser@contoso.test", "password": "kim-demo"}
    answer = requests.post(authorize_url, data=form, allow_redirects=False, timeout=5)
    assert "code=" in answer.headers["Location"]


@pytest.mark.parametrize(
    ("realm", "path", "registered"),
    [
        ("google", "/reactivate/callback/google", True),
        ("microsoft", "/reactivate/callback/microsoft", True),
        ("microsoft", "/auth/callback/microsoft", True),
        ("microsoft", "/somewhere/else", False),
    ],
)
def test_the_seed_registers_the_demo_client_for_every_callback_at_each_app_url(
    standalone: tuple[str, str], realm: str, path: str, registered: bool
) -> None:
    meta = requests.get(requests.get(standalone[0] + "/", timeout=5).json()[realm], timeout=5)
    demo = OAuth2Session("ssi-sync-demo", "ssi-sync-demo-secret", scope="openid email",
                         redirect_uri=APP_URL + path)  # fmt: skip
    url, _ = demo.create_authorization_url(meta.json()["authorization_endpoint"])
    page = requests.get(url, timeout=5)
    assert ('id="sign-in"' in page.text) is registered
    assert ("redirect_uri_mismatch" in page.text) is not registered
