"""A Gmail mailbox opened from its stored OAuth tokens: tokens from the consent at the Google
sign-in provider (the identity emulator's Google realm), refreshed there when they expire, the
refreshed ones stored; a refused refresh is a sign-in failure, nothing else."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from backend.auth.credentials import mailbox_credentials, store_mailbox_credentials
from backend.models.mailbox import Provider
from backend.models.types import IssueCode
from backend.models.user import Role
from backend.models.warning import WarningKind
from backend.storage.db import utcnow
from backend.sync import connect, warnings
from backend.sync.classifiers.google import classify_google_error
from emulators.google import GoogleEmulator
from emulators.google.app import TrustedIssuer
from emulators.identity import IdentityEmulator
from emulators.identity.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.support import factories
from tests.support.consent import StoredConsent
from tests.support.identity import ANNA, signed_in

ADDRESS = ANNA[0]


@pytest.fixture
def google(identity: IdentityEmulator) -> Iterator[GoogleEmulator]:
    """Google's APIs, accepting the access tokens the Google realm hands out."""
    emulator = GoogleEmulator()
    emulator.add_mailbox(ADDRESS, "ya29.static")
    introspection = identity.provider.issuer("google") + "/introspect"
    emulator.store.trusted = TrustedIssuer(introspection, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    with emulator:
        yield emulator


@pytest.fixture
def app_config(identity: IdentityEmulator, google: GoogleEmulator) -> dict[str, object]:
    return {
        "GOOGLE_API_BASE": google.url,
        "GOOGLE_ISSUER": identity.provider.issuer("google"),
        "GOOGLE_CLIENT_ID": DEMO_CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": DEMO_CLIENT_SECRET,
    }


@pytest.fixture
def consented(identity: IdentityEmulator) -> dict:
    """What the consent flow stores for Anna's mailbox."""
    _flow, token = signed_in(identity, "google", ANNA)
    return {
        "kind": "oauth",
        "provider": "google",
        "access_token": token["access_token"],
        "refresh_token": token["refresh_token"],
        "expires_at": token["expires_at"],
        "scope": token["scope"],
    }


@pytest.fixture
def oauth_box(session, resources):
    def make(credentials: dict):
        tenant = factories.tenant(session, resources.cipher)
        box = factories.mailbox(session, resources.cipher, tenant, ADDRESS,
                                credentials=credentials, provider=Provider.GMAIL)  # fmt: skip
        session.commit()
        return tenant, box

    return make


class TestStoredConsent(StoredConsent):
    token_path, provider = "/google/token", "google"


def test_a_revoked_grant_is_a_sign_in_failure(
    identity, consented, oauth_box, resources, session
) -> None:
    expired = {**consented, "expires_at": int(time.time()) - 60}
    tenant, box = oauth_box(expired)
    revoked = requests.post(
        identity.provider.issuer("google") + "/revoke",
        data={"token": consented["refresh_token"]},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        timeout=5,
    )
    assert revoked.status_code == 200
    provider = connect.mailbox_provider(tenant, box, resources.cipher, resources.settings)
    with pytest.raises(Exception) as raised:
        provider.activate()
    classified = classify_google_error(raised.value)
    assert (classified.code, classified.backend_code) == (IssueCode.AUTH, "RefreshError")
    assert mailbox_credentials(box, resources.cipher) == expired, "nothing stored"


def test_a_token_the_api_no_longer_accepts_without_refresh_token_is_a_sign_in_failure(
    google, oauth_box, resources
) -> None:
    tenant, box = oauth_box({"kind": "oauth", "provider": "google", "access_token": "ya29.gone"})
    provider = connect.mailbox_provider(tenant, box, resources.cipher, resources.settings)
    with pytest.raises(Exception) as raised:
        provider.activate()
    assert classify_google_error(raised.value).code is IssueCode.AUTH
    unauthorised = [e for e in google.log.entries() if e.status == 401]
    assert len(unauthorised) == 1


def test_revoking_at_the_sign_in_provider_closes_the_apis_at_once(
    identity, google, consented
) -> None:
    headers = {"Authorization": f"Bearer {consented['access_token']}"}
    profile = google.url + "/gmail/v1/users/me/profile"
    assert requests.get(profile, headers=headers, timeout=5).json()["emailAddress"] == ADDRESS
    requests.post(
        identity.provider.issuer("google") + "/revoke",
        data={"token": consented["access_token"]},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        timeout=5,
    )
    refused = requests.get(profile, headers=headers, timeout=5)
    assert refused.status_code == 401
    assert refused.json()["error"]["status"] == "UNAUTHENTICATED"


def test_a_mailbox_without_google_access_cannot_be_opened(oauth_box, resources) -> None:
    tenant, box = oauth_box({"password": "not a token"})
    with pytest.raises(Exception) as raised:
        connect.mailbox_provider(tenant, box, resources.cipher, resources.settings)
    assert raised.value.classification.code is IssueCode.AUTH
    store_mailbox_credentials(box, None, resources.cipher)
    with pytest.raises(Exception) as raised:
        connect.mailbox_provider(tenant, box, resources.cipher, resources.settings)
    assert raised.value.classification.code is IssueCode.AUTH


def test_a_time_limited_consent_keeps_its_end_and_warns_ahead(
    identity, google, oauth_box, resources, session, mail
) -> None:
    identity.provider.limit_consent("google", ADDRESS, 3 * 86400)
    _flow, token = signed_in(identity, "google", ANNA)
    fields = ("access_token", "refresh_token")
    expired = {"kind": "oauth", "provider": "google", "expires_at": int(time.time()) - 60,
               **{name: token[name] for name in fields}}  # fmt: skip
    tenant, box = oauth_box(expired)
    factories.mailbox(session, resources.cipher, tenant, "kim@contoso.test", Role.KEY_USER)
    session.commit()
    connect.mailbox_provider(tenant, box, resources.cipher, resources.settings).activate()
    session.commit()
    stored = mailbox_credentials(box, resources.cipher)
    ends = time.time() + 3 * 86400
    assert abs(stored["refresh_expires_at"] - ends) < 60, "Google's refresh_token_expires_in"
    assert box.access_ends_at is not None and abs(box.access_ends_at.timestamp() - ends) < 60
    [warning] = warnings.check_tenant(session, resources.settings, tenant, utcnow())
    assert (warning.kind, warning.mailbox_id, warning.step) == (
        WarningKind.GOOGLE_CONSENT_ENDS, box.id, 3,
    )  # fmt: skip
    [message] = mail.messages
    assert set(message.recipients) == {ADDRESS, "kim@contoso.test"}
    assert "(in 3 days)" in message.subject


def test_a_refresh_that_says_no_end_leaves_the_mailbox_without_one(
    identity, google, consented, oauth_box, resources, session
) -> None:
    tenant, box = oauth_box({**consented, "expires_at": int(time.time()) - 60})
    connect.mailbox_provider(tenant, box, resources.cipher, resources.settings).activate()
    session.commit()
    assert "refresh_expires_at" not in mailbox_credentials(box, resources.cipher)
    assert box.access_ends_at is None
