"""Exchange Online application permissions: the directory comes from the admin consent's answer,
and only the company's own directory is recorded."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import select

from backend.demo.data import CONTOSO_ENTRA_TENANT_ID
from backend.models import AuditEvent, User
from backend.models.user import Role
from backend.web.admin_consent import GRAPH_SCOPE, read_answer
from emulators.identity import IdentityEmulator
from tests.support import factories
from tests.support.web import csrf_token, sign_in
from tests.web.conftest import CLIENT_ID
from tests.web.test_signin import OTHER_DIRECTORY

CALLBACK = "/admin/consent/microsoft/callback"


def _start(client) -> str:
    answer = client.post("/admin/consent/microsoft", data={"csrf_token": csrf_token(client)})
    assert answer.status_code == 302
    return answer.headers["Location"]


def _state(location: str) -> str:
    return parse_qs(urlsplit(location).query)["state"][0]


def _consent_as(client, location: str, email: str, password: str):
    """The administrator's browser at Microsoft, then back at our callback."""
    browser = requests.Session()
    assert browser.get(location, timeout=10).status_code == 200
    answer = browser.post(location, data={"email": email, "password": password},
                          allow_redirects=False, timeout=10)  # fmt: skip
    back = urlsplit(answer.headers["Location"])
    assert back.path == CALLBACK
    return client.get(f"{back.path}?{back.query}", follow_redirects=True)


def _recorded(session, tenant) -> str | None:
    session.refresh(tenant)
    return tenant.config.graph_app_tenant_id


def test_the_companys_administrator_grants_access_and_the_directory_is_recorded(
    client, kim, session, tenant, identity: IdentityEmulator
) -> None:
    identity.provider.add_user("microsoft", "admin@contoso.test", "Admin", "pw", admin=True)
    location = _start(client)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(identity.provider.issuer("microsoft") + "/adminconsent?")
    assert query["client_id"] == [CLIENT_ID] and query["scope"] == [GRAPH_SCOPE]
    assert query["redirect_uri"] == [f"http://localhost{CALLBACK}"]

    page = _consent_as(client, location, "admin@contoso.test", "pw").get_data(as_text=True)

    assert "Your administrator granted access" in page
    assert f"<code>{CONTOSO_ENTRA_TENANT_ID}</code>" in page
    assert _recorded(session, tenant) == CONTOSO_ENTRA_TENANT_ID
    [event] = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "tenant.graph_app_consent")
    ).all()
    assert event.details == {"old": None, "new": CONTOSO_ENTRA_TENANT_ID}
    assert event.actor == "kim@contoso.test"


def test_another_companys_administrator_cannot_be_recorded(
    client, kim, session, tenant, identity: IdentityEmulator
) -> None:
    identity.provider.add_directory(OTHER_DIRECTORY, ["fabrikam.test"])
    identity.provider.add_user("microsoft", "admin@fabrikam.test", "Admin", "pw", admin=True)
    page = _consent_as(client, _start(client), "admin@fabrikam.test", "pw").get_data(as_text=True)
    assert f"granted by the directory {OTHER_DIRECTORY}, which is not one your company" in page
    assert _recorded(session, tenant) is None


def test_a_typed_callback_naming_another_directory_is_refused(client, kim, session, tenant) -> None:
    state = _state(_start(client))
    forged = {"admin_consent": "True", "tenant": OTHER_DIRECTORY, "state": state}
    page = client.get(f"{CALLBACK}?{urlencode(forged)}", follow_redirects=True)
    assert "not one your company signs in from" in page.get_data(as_text=True)
    assert _recorded(session, tenant) is None


@pytest.mark.parametrize(
    "query",
    [
        {"admin_consent": "True", "tenant": CONTOSO_ENTRA_TENANT_ID},
        {"admin_consent": "True", "tenant": CONTOSO_ENTRA_TENANT_ID, "state": "guessed"},
    ],
)
def test_a_callback_without_the_sessions_state_is_refused(
    client, kim, session, tenant, query
) -> None:
    _start(client)
    page = client.get(f"{CALLBACK}?{urlencode(query)}", follow_redirects=True)
    assert "not from a consent started here" in page.get_data(as_text=True)
    assert _recorded(session, tenant) is None


def test_a_state_works_once(client, kim, session, tenant) -> None:
    state = _state(_start(client))
    query = urlencode({"admin_consent": "True", "tenant": CONTOSO_ENTRA_TENANT_ID, "state": state})
    assert "granted access" in client.get(f"{CALLBACK}?{query}", follow_redirects=True).text
    config = tenant.config
    config.graph_app_tenant_id = None
    tenant.config = config
    session.commit()
    replayed = client.get(f"{CALLBACK}?{query}", follow_redirects=True)
    assert "not from a consent started here" in replayed.get_data(as_text=True)
    assert _recorded(session, tenant) is None


def test_someone_who_is_not_an_administrator_grants_nothing(
    client, kim, session, tenant, identity: IdentityEmulator
) -> None:
    identity.provider.add_user("microsoft", "anna@contoso.test", "Anna", "pw")
    page = _consent_as(client, _start(client), "anna@contoso.test", "pw").get_data(as_text=True)
    assert "The administrator did not grant access." in page
    assert "AADSTS" not in page, "plain words, not Microsoft's error text"
    assert _recorded(session, tenant) is None


def test_only_key_users_start_or_finish_a_consent(app, client, session, resources, tenant) -> None:
    box = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test", Role.USER)
    session.commit()
    sign_in(app, client, session.get(User, box.user_id))
    token = csrf_token(client)
    assert client.post("/admin/consent/microsoft", data={"csrf_token": token}).status_code == 403
    query = urlencode({"admin_consent": "True", "tenant": CONTOSO_ENTRA_TENANT_ID, "state": "x"})
    assert client.get(f"{CALLBACK}?{query}").status_code == 403
    assert (
        client.post("/admin/consent/microsoft/forget", data={"csrf_token": token}).status_code
        == 403
    )
    assert _recorded(session, tenant) is None


def test_starting_needs_the_forms_csrf_token(client, kim) -> None:
    assert client.post("/admin/consent/microsoft").status_code == 400


def test_forgetting_the_permissions_is_recorded(client, kim, session, tenant) -> None:
    config = tenant.config
    config.graph_app_tenant_id = CONTOSO_ENTRA_TENANT_ID
    tenant.config = config
    session.commit()
    page = client.post("/admin/consent/microsoft/forget", data={"csrf_token": csrf_token(client)},
                       follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "no longer used" in page
    assert _recorded(session, tenant) is None
    events = session.scalars(select(AuditEvent.details)).all()
    assert events == [{"old": CONTOSO_ENTRA_TENANT_ID, "new": None}]


@pytest.mark.parametrize(
    ("args", "expected", "recorded"),
    [
        ({"state": "s", "admin_consent": "True", "tenant": CONTOSO_ENTRA_TENANT_ID.upper()}, "s",
         CONTOSO_ENTRA_TENANT_ID),
        ({"state": "s", "admin_consent": "False", "tenant": CONTOSO_ENTRA_TENANT_ID}, "s", None),
        ({"state": "s", "admin_consent": "True", "tenant": "contoso.onmicrosoft.com"}, "s", None),
        ({"state": "s", "error": "consent_required", "tenant": CONTOSO_ENTRA_TENANT_ID}, "s", None),
        ({"state": "s", "admin_consent": "True", "tenant": CONTOSO_ENTRA_TENANT_ID}, None, None),
        ({"admin_consent": "True", "tenant": CONTOSO_ENTRA_TENANT_ID}, "s", None),
    ],
)  # fmt: skip
def test_reading_the_answer(args: dict, expected: str | None, recorded: str | None) -> None:
    answer = read_answer(args, expected, factories.tenant_settings())
    assert answer.directory == recorded
    assert (answer.problem is None) is (recorded is not None)
