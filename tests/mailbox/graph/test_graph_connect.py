"""An Exchange Online mailbox opened from its stored consent (the identity emulator's Microsoft
realm hands the tokens out and refreshes them; the Graph emulator accepts them by introspection),
or with the tenant's application permissions (client credentials at the Graph emulator's token
endpoint)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from backend.auth.credentials import mailbox_credentials
from backend.mailbox.graph.provider import GraphError
from backend.models.mailbox import Provider
from backend.models.types import IssueCode, ItemType
from backend.sync import connect
from backend.sync.classifiers.graph import classify_graph_error
from emulators.graph import GraphEmulator
from emulators.identity import IdentityEmulator
from emulators.identity.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from emulators.oauth_trust import TrustedIssuer
from tests.support import factories
from tests.support.consent import StoredConsent
from tests.support.identity import ANNA, signed_in

ADDRESS = ANNA[0]
ENTRA_TENANT = "contoso.onmicrosoft.com"


@pytest.fixture
def graph(identity: IdentityEmulator) -> Iterator[GraphEmulator]:
    """Graph, accepting the access tokens the Microsoft realm hands out."""
    emulator = GraphEmulator()
    emulator.add_mailbox(ADDRESS)
    introspection = identity.provider.issuer("microsoft") + "/introspect"
    emulator.store.trusted = TrustedIssuer(introspection, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    emulator.store.add_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, tenant=ENTRA_TENANT)
    with emulator:
        yield emulator


@pytest.fixture
def app_config(identity: IdentityEmulator, graph: GraphEmulator) -> dict[str, object]:
    return {
        "GRAPH_API_BASE": graph.url,
        "GRAPH_LOGIN_BASE": graph.url,
        "MICROSOFT_ISSUER": identity.provider.issuer("microsoft"),
        "MICROSOFT_CLIENT_ID": DEMO_CLIENT_ID,
        "MICROSOFT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
    }


@pytest.fixture
def consented(identity: IdentityEmulator) -> dict:
    """What the consent flow stores for Anna's mailbox."""
    _flow, token = signed_in(identity, "microsoft", ANNA)
    return {
        "kind": "oauth",
        "provider": "microsoft",
        "access_token": token["access_token"],
        "refresh_token": token["refresh_token"],
        "expires_at": token["expires_at"],
    }


@pytest.fixture
def oauth_box(session, resources):
    def make(credentials: dict | None, app_tenant: str | None = None):
        tenant = factories.tenant(session, resources.cipher)
        config = tenant.config
        config.graph_app_tenant_id = app_tenant
        tenant.config = config
        box = factories.mailbox(session, resources.cipher, tenant, ADDRESS,
                                credentials=credentials, provider=Provider.GRAPH)  # fmt: skip
        session.commit()
        return tenant, box

    return make


class TestStoredConsent(StoredConsent):
    token_path, provider = "/microsoft/v2.0/token", "microsoft"


def test_a_refused_refresh_is_a_sign_in_failure_and_nothing_is_stored(
    identity, consented, oauth_box, resources
) -> None:
    expired = {**consented, "expires_at": int(time.time()) - 60, "refresh_token": "0.forged"}
    tenant, box = oauth_box(expired)
    provider = connect.mailbox_provider(tenant, box, resources.cipher, resources.settings)
    with pytest.raises(Exception) as raised:
        provider.activate()
    found = classify_graph_error(raised.value)
    assert (found.code, found.backend_code) == (IssueCode.AUTH, "invalid_grant")
    assert mailbox_credentials(box, resources.cipher) == expired


def test_a_token_graph_no_longer_accepts_is_a_sign_in_failure_after_one_401(
    graph, oauth_box, resources
) -> None:
    tenant, box = oauth_box({"kind": "oauth", "provider": "microsoft", "access_token": "eyJ0.x"})
    provider = connect.mailbox_provider(tenant, box, resources.cipher, resources.settings)
    with pytest.raises(GraphError) as raised:
        provider.activate()
    assert classify_graph_error(raised.value).code is IssueCode.AUTH
    assert len([e for e in graph.log.entries() if e.status == 401]) == 1


def test_application_permissions_need_no_consent_of_the_user(graph, oauth_box, resources) -> None:
    tenant, box = oauth_box(None, app_tenant=ENTRA_TENANT)
    for _run in range(2):
        provider = connect.mailbox_provider(tenant, box, resources.cipher, resources.settings)
        provider.activate()
        provider.changes(ItemType.CONTACT, None)
    assert graph.log.count("POST", f"/{ENTRA_TENANT}/oauth2/v2.0/token") == 2, "one per run"
    assert graph.log.count("GET", "/v1.0/me/") == 0


def test_a_mailbox_without_microsoft_access_cannot_be_opened(oauth_box, resources) -> None:
    tenant, box = oauth_box({"password": "not a token"})
    with pytest.raises(Exception) as raised:
        connect.mailbox_provider(tenant, box, resources.cipher, resources.settings)
    assert raised.value.classification.code is IssueCode.AUTH
