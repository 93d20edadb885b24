"""Re-activation: the consent again for a token mailbox, a password again for Exchange Server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from backend.auth.credentials import mailbox_credentials
from backend.models import User
from backend.models.mailbox import HealthStatus, Provider
from tests.support import factories
from tests.support.web import consent_in, csrf_token, sign_in
from tests.web.test_signin import OTHER_DIRECTORY

ADDRESS = "anna@contoso.test"


def _revoked_token_mailbox(session, resources, tenant):
    token = {"kind": "oauth", "provider": "microsoft", "access_token": "old", "refresh_token": "r"}
    box = factories.mailbox(
        session, resources.cipher, tenant, "anna@contoso.test", credentials=token
    )
    box.status, box.status_reason = HealthStatus.FAILED_AUTH, "revoked"
    session.commit()
    return box


def test_consent_again_stores_a_new_token_and_syncs_at_once(
    app, client, session, resources, tenant, identity
) -> None:
    box = _revoked_token_mailbox(session, resources, tenant)
    identity.provider.add_user("microsoft", "anna@contoso.test", "Anna", "pw")
    sign_in(app, client, session.get(User, box.user_id))
    page = client.get("/reactivate/").get_data(as_text=True)
    assert 'id="grant-access"' in page
    answer = consent_in(client, "anna@contoso.test", "pw")
    assert "Your mailbox is connected again" in answer.get_data(as_text=True)
    session.refresh(box)
    stored = mailbox_credentials(box, resources.cipher)
    assert box.status is HealthStatus.NOT_SYNCED and box.next_sync_at is not None
    assert stored["provider"] == "microsoft" and stored["refresh_token"]
    assert identity.provider.is_token_active(stored["access_token"])


def test_consent_as_another_person_is_refused(
    app, client, session, resources, tenant, identity
) -> None:
    box = _revoked_token_mailbox(session, resources, tenant)
    identity.provider.add_user("microsoft", "ben@contoso.test", "Ben", "pw")
    sign_in(app, client, session.get(User, box.user_id))
    answer = consent_in(client, "ben@contoso.test", "pw")
    assert "Sign in as anna@contoso.test" in answer.get_data(as_text=True)
    session.refresh(box)
    assert box.status is HealthStatus.FAILED_AUTH
    assert mailbox_credentials(box, resources.cipher)["access_token"] == "old"


def test_consent_from_another_directory_claiming_the_address_is_refused(
    app, client, session, resources, tenant, identity
) -> None:
    box = _revoked_token_mailbox(session, resources, tenant)
    identity.provider.add_directory(OTHER_DIRECTORY, ["evil.test"])
    identity.provider.add_user("microsoft", "mallory@evil.test", "Mallory", "pw",
                               mail="anna@contoso.test")  # fmt: skip
    sign_in(app, client, session.get(User, box.user_id))
    answer = consent_in(client, "mallory@evil.test", "pw")
    assert "Sign in as anna@contoso.test" in answer.get_data(as_text=True)
    session.refresh(box)
    assert mailbox_credentials(box, resources.cipher)["access_token"] == "old"


def test_an_exchange_online_mailbox_asks_for_graphs_scopes_and_gets_them(
    app, client, session, resources, tenant, identity
) -> None:
    box = _revoked_token_mailbox(session, resources, tenant)
    box.provider = Provider.GRAPH
    session.commit()
    identity.provider.add_user("microsoft", "anna@contoso.test", "Anna", "pw")
    sign_in(app, client, session.get(User, box.user_id))
    start = client.post("/reactivate/consent", data={"csrf_token": csrf_token(client)})
    scope = parse_qs(urlsplit(start.headers["Location"]).query)["scope"][0].split()
    assert {"Mail.ReadWrite", "Contacts.ReadWrite", "Calendars.ReadWrite", "Tasks.ReadWrite",
            "MailboxSettings.ReadWrite", "offline_access"} <= set(scope)  # fmt: skip
    assert not any("EWS" in part for part in scope)
    answer = consent_in(client, "anna@contoso.test", "pw")
    assert "Your mailbox is connected again" in answer.get_data(as_text=True)
    session.refresh(box)
    assert "MailboxSettings.ReadWrite" in mailbox_credentials(box, resources.cipher)["scope"]
