"""Fixtures for the add-in tests: the engine's world (C4C and EWS emulators, Anna's mailbox) and
an add-in token for Anna, issued the way the sign-in dialog issues it."""

from __future__ import annotations

import pytest

from backend.auth import addin_tokens
from backend.models import Mailbox, User
from tests.sync.conftest import (  # noqa: F401 - fixtures shared with the engine tests
    c4c,
    c4c_service,
    crm,
    ews,
    mailbox,
    outlook,
    sync_now,
    tenant,
)


def token_for(session, user: User, minutes: int = 60) -> str:
    issued = addin_tokens.issue(session, user, "outlook", minutes)
    session.commit()
    return issued.secret


@pytest.fixture
def anna(session, mailbox: Mailbox) -> User:  # noqa: F811 - the fixture above
    return session.get(User, mailbox.user_id)


@pytest.fixture
def pane(client, session, anna):
    """A test client that calls the add-in API as Anna's task pane does."""

    class Pane:
        token = token_for(session, anna)

        def call(self, method: str, path: str, **kwargs):
            headers = {"Authorization": f"Bearer {self.token}", "X-Addin-Version": "1.0.0"}
            headers.update(kwargs.pop("headers", {}))
            return client.open(f"/addin/api/v1{path}", method=method, headers=headers, **kwargs)

        def item(self, item_id: str, item_type: str = "message") -> dict:
            answer = self.call("GET", "/item", query_string={"id": item_id, "type": item_type})
            assert answer.status_code == 200, answer.json
            return answer.json["item"]

    return Pane()
