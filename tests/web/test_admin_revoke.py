"""Revoking mailbox access from the admin panel: at the identity provider (the emulator), and
the stored credentials gone in every case."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from sqlalchemy import select

from backend.auth.revocation import RevocationFailed, revoke_credentials
from backend.models import AuditEvent, Mailbox
from backend.models.mailbox import HealthStatus
from emulators.base import Fault
from emulators.identity import IdentityEmulator
from tests.support import factories
from tests.support.web import csrf_token
from tests.web.conftest import CLIENT_ID, CLIENT_SECRET

OFFLINE = {
    "microsoft": {"scope": "openid email offline_access"},
    "google": {"scope": "openid email", "access_type": "offline"},
}


def _granted(identity: IdentityEmulator, realm: str, email: str) -> dict:
    """Tokens of ``email`` for the app's client, from a code flow as a browser does it."""
    identity.provider.add_user(realm, email, email.split("@")[0].title(), "pw")
    issuer = identity.provider.issuer(realm)
    meta = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    params = dict(OFFLINE[realm])
    client = OAuth2Session(CLIENT_ID, CLIENT_SECRET, scope=params.pop("scope"),
                           redirect_uri=f"http://localhost/auth/callback/{realm}",
                           code_challenge_method="S256")  # fmt: skip
    verifier = generate_token(48)
    url, _ = client.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, **params
    )
    browser = requests.Session()
    assert browser.get(url, timeout=10).status_code == 200
    answer = browser.post(url, data={"email": email, "password": "pw"},
                          allow_redirects=False, timeout=10)  # fmt: skip
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = client.fetch_token(meta["token_endpoint"], code=code, code_verifier=verifier)
    assert token.get("refresh_token") and identity.provider.is_token_active(token["access_token"])
    return {"kind": "oauth", "provider": realm, "access_token": token["access_token"],
            "refresh_token": token["refresh_token"]}  # fmt: skip


def _revoke(client, box: Mailbox) -> str:
    data = {"csrf_token": csrf_token(client, "/admin/"), "action": "revoke",
            "mailbox_id": str(box.id), "confirmed": "yes"}  # fmt: skip
    return client.post("/admin/bulk", data=data, follow_redirects=True).get_data(as_text=True)


def _audit(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _assert_revoked_here(session, box: Mailbox) -> None:
    session.refresh(box)
    assert box.credentials_encrypted is None
    assert box.status is HealthStatus.FAILED_AUTH and box.status_reason == "revoked"
    assert box.next_sync_at is None


def test_revoking_a_password_forgets_it(client, kim, session, resources, tenant) -> None:
    anna = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    anna.status = HealthStatus.ACTIVE
    session.commit()

    page = _revoke(client, anna)

    assert "1 revoked." in page
    _assert_revoked_here(session, anna)
    [event] = _audit(session, "mailbox.revoke")
    assert event.details == {
        "address": "anna@contoso.test",
        "at_provider": False,
        "provider_error": None,
        "addin_sign_ins_ended": 0,
    }
    assert event.actor == "kim@contoso.test"
    answer = client.get("/admin/?status=FAILED_AUTH").get_data(as_text=True)
    assert "Needs re-activation" in answer and ">revoked<" in answer


@pytest.mark.parametrize("realm", ["microsoft", "google"])
def test_revoking_oauth_tokens_revokes_them_at_the_provider(
    client, kim, session, resources, tenant, identity, realm
) -> None:
    credentials = _granted(identity, realm, "anna@contoso.test")
    anna = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test",
                             credentials=credentials)  # fmt: skip
    session.commit()

    page = _revoke(client, anna)

    assert "1 revoked." in page
    assert not identity.provider.is_token_active(credentials["access_token"])
    assert not identity.provider.is_token_active(credentials["refresh_token"])
    assert identity.log.count("POST", f"{urlsplit(identity.provider.issuer(realm)).path}/revoke")
    _assert_revoked_here(session, anna)
    [event] = _audit(session, "mailbox.revoke")
    assert event.details["at_provider"] is True


def test_when_the_provider_fails_the_token_is_still_forgotten_and_the_failure_reported(
    client, kim, session, resources, tenant, identity
) -> None:
    credentials = _granted(identity, "microsoft", "anna@contoso.test")
    anna = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test",
                             credentials=credentials)  # fmt: skip
    session.commit()
    identity.faults.add(Fault(path="/revoke$", method="POST", status=503))
    try:
        page = _revoke(client, anna)
    finally:
        identity.faults.clear()

    assert "1 revoked; deleted here but not revoked at the provider: anna@contoso.test: " in page
    assert "Microsoft refused to revoke the token (HTTP 503)" in page
    _assert_revoked_here(session, anna)
    [event] = _audit(session, "mailbox.revoke")
    assert event.details["at_provider"] is False
    assert "HTTP 503" in event.details["provider_error"]
    assert identity.provider.is_token_active(credentials["refresh_token"])


def test_revoke_credentials_has_nothing_to_do_for_a_password(app) -> None:
    with app.app_context():
        assert revoke_credentials({"username": "anna", "password": "secret"}) is False
        assert revoke_credentials({}) is False


def test_revoke_credentials_says_what_went_wrong(app, identity) -> None:
    with app.app_context():
        with pytest.raises(RevocationFailed, match="'yahoo', which is not configured"):
            revoke_credentials({"provider": "yahoo", "access_token": "at.x"})
        # The discovery document is read once per app and kept: fail its first read.
        identity.faults.add(Fault(path="openid-configuration$", status=500))
        try:
            with pytest.raises(RevocationFailed, match="discovery document of Google"):
                revoke_credentials({"provider": "google", "refresh_token": "rt.x"})
        finally:
            identity.faults.clear()
        identity.faults.add(Fault(path="/revoke$", method="POST", drop=True))
        try:
            with pytest.raises(RevocationFailed, match="Google could not be reached"):
                revoke_credentials({"provider": "google", "access_token": "at.x"})
        finally:
            identity.faults.clear()
        discovery = "/google/.well-known/openid-configuration"
        read_so_far = identity.log.count(path=discovery)
        revoke_credentials({"provider": "google", "access_token": "at.y"})
        assert identity.log.count(path=discovery) == read_so_far > 0


def test_revoke_credentials_with_a_wrong_client_secret_is_refused(app, resources, identity):
    providers = tuple(
        replace(provider, client_secret="wrong")
        for provider in resources.settings.sign_in_providers
    )
    resources.settings = replace(resources.settings, sign_in_providers=providers)
    with app.app_context(), pytest.raises(RevocationFailed, match=r"HTTP 401"):
        revoke_credentials({"provider": "microsoft", "access_token": "at.unknown"})
