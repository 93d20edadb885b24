"""Re-activation: the consent again for a token mailbox, a password again for Exchange Server."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from backend.auth.credentials import mailbox_credentials
from backend.models import User
from backend.models.mailbox import HealthStatus, Provider
from backend.models.warning import WarningKind
from backend.storage.db import utcnow
from backend.sync import warnings
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


def test_a_time_limited_google_consent_is_kept_with_its_end_and_a_new_one_without_ends_it(
    app, client, session, resources, tenant, identity
) -> None:
    token = {"kind": "oauth", "provider": "google", "access_token": "old", "refresh_token": "r"}
    box = factories.mailbox(session, resources.cipher, tenant, ADDRESS, credentials=token,
                            provider=Provider.GMAIL)  # fmt: skip
    session.commit()
    identity.provider.add_user("google", ADDRESS, "Anna", "pw")
    identity.provider.limit_consent("google", ADDRESS, 5 * 86400)
    sign_in(app, client, session.get(User, box.user_id))
    answer = consent_in(client, ADDRESS, "pw")
    assert "Your mailbox is connected again" in answer.get_data(as_text=True)
    session.refresh(box)
    ends = time.time() + 5 * 86400
    assert abs(mailbox_credentials(box, resources.cipher)["refresh_expires_at"] - ends) < 60
    assert box.access_ends_at is not None and abs(box.access_ends_at.timestamp() - ends) < 60
    [warning] = warnings.check_tenant(session, resources.settings, tenant, utcnow())
    assert warning.kind is WarningKind.GOOGLE_CONSENT_ENDS
    page = client.get("/").get_data(as_text=True)
    assert "Google access for the sync ends on" in page and 'href="http://' in page
    identity.provider.limited_consents.clear()
    consent_in(client, ADDRESS, "pw")
    session.refresh(box)
    assert box.access_ends_at is None
    assert "refresh_expires_at" not in mailbox_credentials(box, resources.cipher)
    assert warnings.check_tenant(session, resources.settings, tenant, utcnow()) == []
    assert "Google access for the sync" not in client.get("/").get_data(as_text=True)
