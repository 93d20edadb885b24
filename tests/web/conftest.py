"""Fixtures for web tests: the identity emulator as sign-in provider, a tenant, its key user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.models import Mailbox, Tenant, User
from backend.models.user import Role
from emulators.identity import IdentityEmulator, create_emulator
from emulators.identity.seed import register_app, seed_directory
from tests.support import factories
from tests.support.web import sign_in

CLIENT_ID, CLIENT_SECRET = "ssi-sync-test", "ssi-sync-test-secret"
REALMS = ("microsoft", "google")
TEST_CLIENT_BASE = "http://localhost"
"""Where Flask's test client makes the app's external URLs point."""


@pytest.fixture(scope="session")
def identity_service() -> Iterator[IdentityEmulator]:
    """The identity emulator with the Contoso directory, and the app registered as the demo
    registers it (every callback of the product), for the test client's ``http://localhost``."""
    emulator = create_emulator().start()
    seed_directory(emulator.provider)
    register_app(emulator.provider, [TEST_CLIENT_BASE], CLIENT_ID, CLIENT_SECRET)
    yield emulator
    emulator.stop()


@pytest.fixture
def identity(identity_service: IdentityEmulator) -> IdentityEmulator:
    """The identity emulator with no codes, tokens or browser sign-ins left from other tests."""
    identity_service.provider.reset()
    identity_service.log.clear()
    return identity_service


@pytest.fixture
def app_config(identity_service: IdentityEmulator) -> dict[str, object]:
    config: dict[str, object] = {}
    for realm in REALMS:
        prefix = realm.upper()
        config[f"{prefix}_ISSUER"] = identity_service.provider.issuer(realm)
        config[f"{prefix}_CLIENT_ID"] = CLIENT_ID
        config[f"{prefix}_CLIENT_SECRET"] = CLIENT_SECRET
    return config


@pytest.fixture
def tenant(session, resources) -> Tenant:
    found = factories.tenant(session, resources.cipher)
    session.commit()
    return found


@pytest.fixture
def kim_box(app, client, session, resources, tenant) -> Mailbox:
    """The mailbox of Kim, a key user of the tenant, signed in."""
    box = factories.mailbox(session, resources.cipher, tenant, "kim@contoso.test", Role.KEY_USER)
    session.commit()
    sign_in(app, client, session.get(User, box.user_id))
    return box


@pytest.fixture
def kim(session, kim_box) -> User:
    """Kim, a key user of the tenant, signed in."""
    return session.get(User, kim_box.user_id)
