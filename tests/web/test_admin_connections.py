"""The Connections page: a key user enters SAP's address and integration user, tests them and
reads in plain words what works; nothing secret is ever shown or logged."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.auth.credentials import c4c_credentials
from backend.models import AuditEvent, Tenant, User
from backend.models.tenant import C4CAuth
from backend.models.user import Role
from backend.models.warning import WarningKind
from backend.outbound import Timeouts
from backend.settings import Settings
from backend.sync import warnings
from backend.sync.connect import c4c_client
from backend.tenants.connection import address_problem
from emulators.c4c import C4CEmulator
from emulators.c4c.seed import seed_employees
from emulators.ews import EwsEmulator
from tests.support import factories
from tests.support.web import csrf_token, sign_in
from tests.support.world import C4C_PASSWORD, C4C_USER

PATH = "/admin/connections/"


@pytest.fixture
def connected(session, tenant: Tenant, c4c: C4CEmulator) -> Tenant:
    """The tenant pointed at the C4C emulator with the integration user's real password."""
    tenant.c4c_base_url, tenant.c4c_username = c4c.base_url, C4C_USER
    tenant.c4c_credentials_encrypted = None
    session.commit()
    return tenant


@pytest.fixture
def submit(client, c4c: C4CEmulator, ews: EwsEmulator):
    """Post the form as the page does (the company's Exchange is the emulated one)."""
    exchange = ews.endpoint

    def post(action: str = "test", **fields: str):
        form = {"csrf_token": csrf_token(client, PATH), "action": action,
                "c4c_base_url": c4c.base_url, "c4c_username": C4C_USER,
                "c4c_password": C4C_PASSWORD, "mail_endpoint": exchange, **fields}  # fmt: skip
        return client.post(PATH, data=form)

    return post


def steps(answer) -> str:
    return answer.get_data(as_text=True).split('id="test-result"', 1)[-1].split("</section>")[0]


def test_a_working_connection_reads_every_entity_set_and_changes_nothing(
    client, session, kim, connected, c4c, submit
) -> None:
    answer = submit()
    assert answer.status_code == 200
    result = steps(answer)
    assert "The connection works" in answer.get_data(as_text=True)
    for name in ("ContactCollection", "CorporateAccountCollection", "TasksCollection",
                 "AppointmentCollection", "EMailCollection", "EmployeeCollection"):  # fmt: skip
        assert f"<strong>{name}:</strong> Can be read." in result
    assert [e.method for e in c4c.log.entries()] == ["GET"] * 7, "read only"
    assert session.scalars(select(AuditEvent)).all() == [], "a test saves nothing"
    session.refresh(connected)
    assert connected.c4c_credentials_encrypted is None


def test_a_wrong_password_is_said_in_plain_words(client, kim, connected, c4c, submit) -> None:
    result = steps(submit(c4c_password="wrong"))
    assert "SAP refused the user name or password of the integration user." in result
    assert "Can be read" not in result


def test_a_missing_authorisation_is_named(client, kim, connected, c4c, submit) -> None:
    c4c.service.security.refused[C4C_USER] = {"TasksCollection"}
    try:
        result = steps(submit())
    finally:
        c4c.service.security.refused.clear()
    assert "The integration user has no authorisation for TasksCollection" in result
    assert "<strong>ContactCollection:</strong> Can be read." in result


def test_not_a_c4c_address_and_an_unreachable_one_are_told_apart(
    client, kim, connected, c4c, submit
) -> None:
    elsewhere = c4c.base_url.split("/sap/")[0] + "/elsewhere/"
    assert "does not offer a C4C OData service at this address" in steps(
        submit(c4c_base_url=elsewhere)
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/sap/c4c/odata/v1/c4codataapi/"
    assert "could not be reached (the connection was refused)" in steps(submit(c4c_base_url=closed))


def test_save_stores_the_password_encrypted_and_audits_without_it(
    client, session, resources, kim, connected, c4c, submit
) -> None:
    seed_employees(c4c.service.store, (("Kim", "Key", "kim@contoso.test"),))
    assert "No SAP employee with this address" in client.get("/admin/").get_data(as_text=True)
    answer = submit(action="save")
    assert answer.status_code == 200 and 'id="connections-saved"' in answer.get_data(as_text=True)
    session.refresh(connected)
    assert c4c_credentials(connected, resources.cipher) == {"password": C4C_PASSWORD}
    assert C4C_PASSWORD not in (connected.c4c_credentials_encrypted or "")
    event = session.scalars(select(AuditEvent)).one()
    assert event.action == "tenant.connections"
    assert C4C_PASSWORD not in str(event.details)
    assert event.details["c4c_password"] == {"old": "[stored]", "new": "[changed]"}
    page = client.get(PATH).get_data(as_text=True)
    assert C4C_PASSWORD not in page and "Stored: leave empty to keep it" in page
    kept = submit(action="save", c4c_password="")
    assert "The connection works" in kept.get_data(as_text=True), "an empty password keeps it"
    session.refresh(kim)
    assert kim.c4c_employee_id == c4c.service.store.all("EmployeeCollection")[0]["EmployeeID"]
    table = client.get("/admin/").get_data(as_text=True)
    assert f'id="employee-{kim.id}">SAP employee {kim.c4c_employee_id}<' in table


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"c4c_base_url": "ftp://c4c"}, "c4c_base_url", "starting with https://"),
        ({"c4c_base_url": "https://user:pw@c4c.test/"}, "c4c_base_url", "Leave the user name"),
        ({"c4c_username": ""}, "c4c_username", "integration user&#39;s name"),
        ({"c4c_password": ""}, "c4c_password", "Enter the integration user&#39;s password"),
        ({"c4c_password": "x" * 501}, "c4c_password", "longer than 500"),
        ({"mail_endpoint": "not a url"}, "mail_endpoint", "Exchange Web Services"),
        ({"c4c_password_expires_on": "31.12.2027"}, "c4c_password_expires_on", "YYYY-MM-DD"),
        ({"c4c_password_expires_on": "1999-12-31"}, "c4c_password_expires_on", "year 2000"),
        ({"c4c_password_expires_on": "9999-01-01"}, "c4c_password_expires_on", "twenty years"),
    ],
)
def test_bad_input_is_explained_next_to_its_field_and_nothing_is_sent(
    client, session, kim, connected, c4c, fields, field, problem, submit
) -> None:
    answer = submit(action="save", **fields)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert f'id="error-{field}"' in page and problem in page
    assert c4c.log.entries() == [] and session.scalars(select(AuditEvent)).all() == []


def test_in_production_only_public_https_addresses_are_fetched() -> None:
    production = Settings(environment="production")
    assert "must start with https://" in address_problem("http://c4c.example.com/", production)
    for inside in ("https://127.0.0.1/", "https://localhost/", "https://10.0.0.8/",
                   "https://169.254.169.254/latest/", "https://[::1]/"):  # fmt: skip
        assert "is not a public address" in address_problem(inside, production), inside
    assert address_problem("http://127.0.0.1:8101/", Settings()) == "", "the demo's emulators"


def test_plain_users_and_other_tenants_key_users_cannot_see_or_change_it(
    app, client, session, resources, connected, c4c
) -> None:
    assert client.get(PATH).status_code == 302
    box = factories.mailbox(session, resources.cipher, connected, "ann@contoso.test")
    session.commit()
    sign_in(app, client, session.get(User, box.user_id))
    assert client.get(PATH).status_code == 403
    form = {"csrf_token": csrf_token(client), "action": "save", "c4c_base_url": "https://x.test/"}
    assert client.post(PATH, data=form).status_code == 403
    other = factories.tenant(session, resources.cipher, slug="fabrikam")
    boss = factories.mailbox(session, resources.cipher, other, "boss@fabrikam.test", Role.KEY_USER)
    session.commit()
    sign_in(app, client, session.get(User, boss.user_id))
    page = client.get(PATH).get_data(as_text=True)
    assert c4c.base_url not in page, "each key user sees their own company's connection only"


def oauth_form(c4c: C4CEmulator, **fields: str) -> dict[str, str]:
    return {"c4c_auth": "OAUTH", "c4c_password": "", "oauth_client_id": "SSI_SYNC",
            "oauth_client_secret": "client-secret-1", "oauth_issuer": "ssi-sync-contoso",
            "oauth_audience": c4c.service.security.oauth.service_provider,
            "oauth_scope": "UIWC:CC_HOME", **fields}  # fmt: skip


def test_oauth_makes_a_certificate_for_sap_and_works_once_sap_trusts_it(
    client, session, resources, kim, connected, c4c, submit
) -> None:
    connected.c4c_refused_since = datetime.now(UTC)
    session.commit()
    first = submit(action="test", **oauth_form(c4c))
    assert first.status_code == 422, "nothing to sign with before the first save"
    assert "Choose Save and test first" in first.get_data(as_text=True)
    saved = submit(action="save", **oauth_form(c4c))
    page = saved.get_data(as_text=True)
    assert "SAP does not know the OAuth client SSI_SYNC" in steps(saved), "not registered yet"
    assert 'id="signing-certificate"' in page and "BEGIN CERTIFICATE" in page
    assert "PRIVATE KEY" not in page and "client-secret-1" not in page
    session.refresh(connected)
    assert connected.c4c_auth is C4CAuth.OAUTH and connected.c4c_refused_since is not None
    stored = c4c_credentials(connected, resources.cipher)
    assert stored["client_secret"] == "client-secret-1" and "PRIVATE KEY" in stored["signing_key"]
    event = session.scalars(select(AuditEvent)).one()
    assert event.details["signing_certificate"] == {"old": None, "new": "[created]"}
    assert event.details["oauth_client_secret"] == {"old": "[stored]", "new": "[changed]"}
    assert "client-secret-1" not in str(event.details) and "PRIVATE" not in str(event.details)

    download = client.get(PATH + "certificate.pem")
    assert download.mimetype == "application/x-pem-file"
    assert "attachment" in download.headers["Content-Disposition"]
    oauth = c4c.service.security.oauth  # SAP's administrator uploads it and registers the client
    oauth.trust("ssi-sync-contoso", download.get_data(as_text=True))
    oauth.register("SSI_SYNC", "client-secret-1", "ssi-sync-contoso", {"UIWC:CC_HOME"})
    tested = submit(action="test", **oauth_form(c4c, oauth_client_secret=""))
    assert "The connection works" in tested.get_data(as_text=True)
    session.refresh(connected)
    assert connected.c4c_refused_since is None, "the stored connection works: syncing resumes"
    odata = [e for e in c4c.log.entries() if "/c4codataapi/" in e.path and e.status == 200]
    assert odata and all(e.headers["Authorization"].startswith("Bearer ") for e in odata)

    resaved = submit(action="save", **oauth_form(c4c, oauth_client_secret=""))
    assert "The connection works" in resaved.get_data(as_text=True), "the key is kept"
    client_of_sync = c4c_client(connected, resources.cipher, Timeouts())
    assert next(client_of_sync.read("ContactCollection"), None) is None


def test_oauth_refusals_are_said_in_plain_words(client, kim, connected, c4c, submit) -> None:
    submit(action="save", **oauth_form(c4c))
    pem = client.get(PATH + "certificate.pem").get_data(as_text=True)
    c4c.service.security.oauth.trust("ssi-sync-contoso", pem)
    c4c.service.security.oauth.register("SSI_SYNC", "new-secret", "ssi-sync-contoso", {"X"})
    c4c.service.security.oauth.register("OTHER", "other-secret", "another-idp", {"UIWC:CC_HOME"})
    untrusted = steps(
        submit(
            **oauth_form(c4c, oauth_client_id="OTHER", oauth_client_secret="other-secret"),
        )
    )
    assert "SAP did not accept our signed assertion" in untrusted
    assert "Issuer ssi-sync-contoso is not trusted for this client" in untrusted
    wrong_secret = steps(submit(**oauth_form(c4c, oauth_client_secret="")))
    assert "SAP does not know the OAuth client SSI_SYNC, or its secret is wrong" in wrong_secret
    scope = steps(submit(**oauth_form(c4c, oauth_client_secret="new-secret")))
    assert "may not ask for the scope UIWC:CC_HOME" in scope
    audience = steps(
        submit(
            **oauth_form(
                c4c, oauth_client_secret="new-secret", oauth_scope="X", oauth_audience="NOT_IT"
            ),
        )
    )
    assert "Audience must be" in audience and "service provider name must be NOT_IT" in audience


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"oauth_client_id": ""}, "oauth_client_id"),
        ({"oauth_issuer": "two\nlines"}, "oauth_issuer"),
        ({"oauth_audience": "x" * 201}, "oauth_audience"),
        ({"oauth_client_secret": ""}, "oauth_client_secret"),
        ({"oauth_client_secret": "s" * 501}, "oauth_client_secret"),
        ({"c4c_auth": "KERBEROS"}, "c4c_auth"),
    ],
)
def test_bad_oauth_input_is_refused_before_anything_is_sent(
    client, session, kim, connected, c4c, fields, field, submit
) -> None:
    answer = submit(action="save", **oauth_form(c4c, **fields))
    assert answer.status_code == 422
    assert f'id="error-{field}"' in answer.get_data(as_text=True)
    assert c4c.log.entries() == [] and session.scalars(select(AuditEvent)).all() == []
    session.refresh(connected)
    assert connected.c4c_auth is C4CAuth.BASIC


def test_the_certificate_is_each_company_s_own(
    app, client, session, resources, kim, connected, c4c, submit
) -> None:
    assert client.get(PATH + "certificate.pem").status_code == 404, "none before OAuth is saved"
    submit(action="save", **oauth_form(c4c))
    mine = client.get(PATH + "certificate.pem").get_data(as_text=True)
    other = factories.tenant(session, resources.cipher, slug="fabrikam")
    boss = factories.mailbox(session, resources.cipher, other, "boss@fabrikam.test", Role.KEY_USER)
    ann = factories.mailbox(session, resources.cipher, connected, "ann@contoso.test")
    session.commit()
    sign_in(app, client, session.get(User, boss.user_id))
    assert client.get(PATH + "certificate.pem").status_code == 404
    assert mine not in client.get(PATH).get_data(as_text=True)
    sign_in(app, client, session.get(User, ann.user_id))
    assert client.get(PATH + "certificate.pem").status_code == 403


def test_the_day_the_sap_password_ends_is_kept_audited_and_warned_about_ahead(
    client, session, kim, connected, c4c, submit, mail
) -> None:
    soon = (datetime.now(UTC) + timedelta(days=10)).date()
    answer = submit(action="save", c4c_password_expires_on=soon.isoformat())
    assert answer.status_code == 200
    assert f'value="{soon.isoformat()}"' in answer.get_data(as_text=True)
    session.refresh(connected)
    assert connected.config.c4c_password_expires_on == soon
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "tenant.connections"))
    assert event.details["c4c_password_expires_on"] == {"old": None, "new": soon.isoformat()}
    [warning] = warnings.open_in_tenant(session, connected.id)
    assert warning.kind is WarningKind.C4C_PASSWORD_ENDS
    assert mail.messages == [], "mailed by the periodic check, not while the page waits"
    assert "SAP integration user&#39;s password ends on" in client.get("/admin/").get_data(
        as_text=True
    )
    submit(action="save", c4c_password_expires_on="")
    session.refresh(connected)
    assert connected.config.c4c_password_expires_on is None
    assert warnings.open_in_tenant(session, connected.id) == []
