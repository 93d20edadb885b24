"""Fixtures for the add-in tests: the engine's world (:mod:`tests.fixtures.world`: C4C and EWS
emulators, Anna's mailbox) and an add-in token for Anna, issued the way the sign-in dialog
issues it."""

from __future__ import annotations

import pytest
from exchangelib import Contact
from sqlalchemy import select

from backend.auth import addin_tokens
from backend.models import Issue, Mailbox, User
from backend.models.types import ItemType
from tests.support.world import app_config_for


@pytest.fixture
def app_config(request: pytest.FixtureRequest, kind: str) -> dict[str, object]:
    return app_config_for(request, kind)


def contact_missing_last_name(owner, run_sync, session, box: Mailbox) -> Issue:
    """A contact the owner saved in Outlook (``owner``: the ``outlook`` fixture) without a last
    name, synced by ``run_sync``: its NEEDS_INPUT issue."""
    Contact(folder=owner.contacts / "SAP Contacts", account=owner, given_name="Nolast",
            display_name="Nolast").save()  # fmt: skip
    run_sync()
    return session.scalars(
        select(Issue).where(Issue.mailbox_id == box.id, Issue.item_type == ItemType.CONTACT)
    ).one()


def token_for(session, user: User, minutes: int = 60) -> str:
    issued = addin_tokens.issue(session, user, "outlook", minutes)
    session.commit()
    return issued.secret


@pytest.fixture
def anna(session, mailbox: Mailbox) -> User:
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
