"""The Graph emulator with two users, Gina (token ``TOKEN``) and Ben (``OTHER_TOKEN``), and an
app registered for client credentials; tests call it with plain ``requests``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from emulators.graph import GraphEmulator

ADDRESS, TOKEN = "gina@contoso.test", "graph.gina"
OTHER, OTHER_TOKEN = "ben@contoso.test", "graph.ben"
APP, APP_SECRET = "11111111-2222-3333-4444-555555555555", "app~secret"


class Graph:
    """Calls to a running emulator as one caller (a bearer token)."""

    def __init__(self, emulator: GraphEmulator, token: str | None = TOKEN) -> None:
        self.emulator = emulator
        self.token = token

    def as_(self, token: str | None) -> Graph:
        return Graph(self.emulator, token)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """``path`` below ``/v1.0`` (or an absolute URL from a link)."""
        headers = dict(kwargs.pop("headers", {}))
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        url = path if path.startswith("http") else f"{self.emulator.url}/v1.0{path}"
        return requests.request(method, url, headers=headers, timeout=10, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = self.call(method, path, **kwargs)
        assert answer.status_code < 300, answer.text
        return answer.json() if answer.content else {}


@pytest.fixture
def emulator() -> Iterator[GraphEmulator]:
    graph = GraphEmulator()
    graph.add_mailbox(ADDRESS, TOKEN, "Gina Miller")
    graph.add_mailbox(OTHER, OTHER_TOKEN)
    graph.store.add_app(APP, APP_SECRET)
    with graph:
        yield graph


@pytest.fixture
def graph(emulator: GraphEmulator) -> Graph:
    return Graph(emulator)


def error_of(answer: requests.Response) -> tuple[int, str]:
    """The status and Graph's ``error.code`` of a refused call (checking the envelope)."""
    error = answer.json()["error"]
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert answer.headers["Content-Type"].startswith("application/json")
    return answer.status_code, error["code"]


def app_token(emulator: GraphEmulator) -> str:
    answer = requests.post(
        f"{emulator.url}/contoso/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": APP, "client_secret": APP_SECRET,
              "scope": "https://graph.microsoft.com/.default"},
        timeout=10,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]
