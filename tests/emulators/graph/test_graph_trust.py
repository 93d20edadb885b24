"""Graph accepting the access tokens of the sign-in provider (the identity emulator's Microsoft
realm), asked by introspection on every call, so that signing out there ends access here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulators.graph import GraphEmulator
from emulators.identity import IdentityEmulator
from emulators.identity.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from emulators.oauth_trust import TrustedIssuer
from tests.emulators.graph.conftest import Graph, error_of
from tests.support.identity import ANNA, signed_in


@pytest.fixture
def trusting(identity: IdentityEmulator) -> Iterator[GraphEmulator]:
    emulator = GraphEmulator()
    emulator.add_mailbox(ANNA[0])
    introspection = identity.provider.issuer("microsoft") + "/introspect"
    emulator.store.trusted = TrustedIssuer(introspection, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    with emulator:
        yield emulator


def test_a_token_of_the_sign_in_provider_opens_its_users_mailbox_until_revoked(
    identity: IdentityEmulator,
    trusting: GraphEmulator,
) -> None:
    _flow, token = signed_in(identity, "microsoft", ANNA)
    graph = Graph(trusting, token["access_token"])
    assert graph.ok("GET", "/me")["mail"] == ANNA[0]
    found = identity.provider.tokens.find(token["access_token"])
    identity.provider.tokens.revoke(found, whole_grant=True)
    assert error_of(graph.call("GET", "/me/contactFolders")) == (401, "InvalidAuthenticationToken")
