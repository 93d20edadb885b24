"""Opening an invitation: the link, sign-in with the invited account, then connecting the
mailbox; and every way a link can be wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue
from sqlalchemy import select

from backend.auth.credentials import mailbox_credentials
from backend.jobs import queues
from backend.jobs.single_flight import sync_job_id
from backend.models import AuditEvent, Invitation, Mailbox, User
from backend.models.mailbox import HealthStatus, Provider
from backend.storage.db import utcnow
from backend.tenants import invitations, people
from emulators.identity import IdentityEmulator
from tests.support import factories
from tests.support.web import consent_in, sign_in, sign_in_with

WELCOME = "/invitation/welcome"


@pytest.fixture
def invited(session, resources, identity: IdentityEmulator, tenant) -> tuple[User, str]:
    """Kim, added by a key user and invited: her user and the link's path."""
    kim, path = factories.invited(session, resources, tenant, "kim@contoso.test", "Kim Lee")
    identity.provider.add_user("microsoft", "kim@contoso.test", "Kim Lee", "kim-pw")
    return kim, path


def test_the_link_leads_to_sign_in_then_to_connecting_the_mailbox(
    client, session, identity, invited
) -> None:
    _kim, path = invited
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Welcome to SAP Sync, Kim Lee" in text and "Contoso" in text
    assert 'href="/login?next=/invitation/welcome"' in text

    answer = sign_in_with(client, identity, "microsoft", "kim@contoso.test", "kim-pw", next=WELCOME)
    assert answer.status_code == 302 and answer.headers["Location"] == WELCOME
    welcome = client.get(WELCOME)
    assert welcome.status_code == 302 and welcome.headers["Location"] == "/reactivate/"
    connect = client.get("/reactivate/").get_data(as_text=True)
    assert "Connect your mailbox" in connect and "kim@contoso.test" in connect
    home = client.get("/").get_data(as_text=True)
    assert 'id="connect-banner"' in home and "Not connected yet" in home

    used = session.scalars(select(Invitation)).one()
    assert used.used_at is not None
    assert session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "user.activate")
    ).one()
    again = client.get(path)
    assert again.status_code == 410 and "already used" in again.get_data(as_text=True)


def test_signed_in_as_someone_else_the_invitation_stays_unused(
    client, session, resources, identity, tenant, invited
) -> None:
    _kim, path = invited
    factories.mailbox(session, resources.cipher, tenant, email="anna@contoso.test")
    session.commit()
    identity.provider.add_user("microsoft", "anna@contoso.test", "Anna", "anna-pw")
    assert client.get(path).status_code == 200
    sign_in_with(client, identity, "microsoft", "anna@contoso.test", "anna-pw", next=WELCOME)
    refused = client.get(WELCOME)
    assert refused.status_code == 403
    assert "for someone else" in refused.get_data(as_text=True)
    assert session.scalars(select(Invitation.used_at)).one() is None


def test_an_expired_link_says_so_and_changes_nothing(client, session, invited) -> None:
    _kim, path = invited
    session.execute(Invitation.__table__.update().values(expires_at=utcnow() - timedelta(hours=1)))
    session.commit()
    answer = client.get(path)
    assert answer.status_code == 410
    assert "has expired" in answer.get_data(as_text=True)
    assert client.get(WELCOME).status_code == 302, "nothing was remembered"


def test_a_removed_users_link_is_withdrawn(client, session, resources, tenant, invited) -> None:
    kim, path = invited
    people.remove_person(session, tenant, kim, actor="operator", cipher=resources.cipher)
    session.commit()
    answer = client.get(path)
    assert answer.status_code == 410 and "withdrawn" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    ["/invitation/forged-secret-0123456789", "/invitation/" + "x" * 300, "/invitation/%00"],
)
def test_a_forged_link_is_not_found(client, invited, path) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert "not valid" in answer.get_data(as_text=True)


def test_welcome_without_an_invitation_just_goes_home(
    app, client, session, resources, tenant
) -> None:

    box = factories.mailbox(session, resources.cipher, tenant, email="anna@contoso.test")
    session.commit()
    sign_in(app, client, session.get(User, box.user_id))
    answer = client.get(WELCOME)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("system", "realm", "provider"),
    [("gmail", "google", Provider.GMAIL), ("exchange-online", "microsoft", Provider.GRAPH)],
)
def test_a_gmail_or_exchange_online_user_connects_with_the_providers_consent(
    client, session, resources, identity: IdentityEmulator, tenant, system, realm, provider
) -> None:
    person = people.Person("lee@contoso.test", "Lee Park", mail_system=people.MAIL_SYSTEMS[system])
    (lee,) = people.add_people(
        session, tenant, [(0, person)], actor="operator", cipher=resources.cipher
    )
    sent = invitations.invite(
        session, tenant, lee, actor="operator", settings=resources.settings, now=utcnow()
    )
    session.commit()
    identity.provider.add_user(realm, "lee@contoso.test", "Lee Park", "lee-pw")

    assert client.get(sent.link.removeprefix(resources.settings.public_base_url)).status_code == 200
    sign_in_with(client, identity, realm, "lee@contoso.test", "lee-pw", next=WELCOME)
    assert client.get(WELCOME).headers["Location"] == "/reactivate/"
    page = client.get("/reactivate/").get_data(as_text=True)
    assert "Connect your mailbox" in page and 'id="grant-access"' in page
    answer = consent_in(client, "lee@contoso.test", "lee-pw", hint="lee@contoso.test")
    assert "Your mailbox is connected. Synchronization starts now." in answer.get_data(as_text=True)

    box = session.scalars(select(Mailbox).where(Mailbox.user_id == lee.id)).one()
    session.refresh(box)
    stored = mailbox_credentials(box, resources.cipher)
    assert box.provider is provider and stored["provider"] == realm
    assert identity.provider.is_token_active(stored["access_token"])
    assert box.status is HealthStatus.NOT_SYNCED and box.next_sync_at is not None
    queued = Queue(queues.SYNC, connection=resources.redis).job_ids
    assert sync_job_id(box.id) in queued, "the first sync is queued at once"
