"""Signing in with OpenID Connect: authlib against the identity emulator, end to end."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import select

from backend.auth import addin_tokens
from backend.demo.data import CONTOSO_ENTRA_TENANT_ID
from backend.models import Tenant, User
from backend.models.user import Role
from backend.tenants import people
from emulators.identity.seed import CALLBACKS
from tests.support import factories
from tests.support.web import csrf_token, sign_in_with

DIRECTORIES = {"microsoft": CONTOSO_ENTRA_TENANT_ID, "google": "contoso.test"}
"""Where the test tenant's people sign in from (the identity emulator's Contoso directory)."""
OTHER_DIRECTORY = "7e1f0c2d-9a4b-4c3d-8e5f-6a7b8c9d0e1f"
"""Another company's Entra directory, whose administrators set its users' attributes."""
KIM = "kim@contoso.test"


@pytest.fixture
def anna(session, resources, identity):
    tenant = factories.tenant(session, resources.cipher)
    box = factories.mailbox(session, resources.cipher, tenant, email="anna@contoso.test")
    session.commit()
    for realm in ("microsoft", "google"):
        identity.provider.add_user(realm, "anna@contoso.test", "Anna Sales", "anna-pw")
    return session.get(User, box.user_id)


@pytest.mark.parametrize("realm", ["microsoft", "google"])
def test_sign_in_binds_the_provider_identity_and_opens_the_dashboard(
    client, session, identity, anna, realm
) -> None:
    answer = sign_in_with(client, identity, realm, "anna@contoso.test", "anna-pw")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    session.refresh(anna)
    user = identity.provider.directory.user(realm, "anna@contoso.test")
    assert anna.oidc_issuer == identity.provider.token_issuer(realm, user)
    assert anna.oidc_directory == DIRECTORIES[realm]
    assert anna.oidc_subject and anna.last_login_at is not None
    assert identity.log.count("POST", f"{urlsplit(identity.provider.issuer(realm)).path}/token")


def test_wrong_password_stays_at_the_provider(client, identity, anna) -> None:
    answer = sign_in_with(client, identity, "microsoft", "anna@contoso.test", "wrong")
    assert answer.status_code == 200 and "incorrect" in answer.text
    assert client.get("/").status_code == 302


def test_a_person_the_tenant_has_not_set_up_is_refused(client, session, identity, anna) -> None:
    identity.provider.add_user("microsoft", "mallory@contoso.test", "Mallory", "pw")
    answer = sign_in_with(client, identity, "microsoft", "mallory@contoso.test", "pw")
    assert answer.status_code == 403
    assert "not set up" in answer.get_data(as_text=True)
    assert session.scalars(select(User).where(User.email == "mallory@contoso.test")).first() is None


def test_a_bound_user_is_found_by_subject_not_by_a_changed_email(
    client, session, identity, anna
) -> None:
    sign_in_with(client, identity, "microsoft", "anna@contoso.test", "anna-pw")
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert client.get("/").status_code == 302
    impostor = identity.provider.add_user("google", "other@contoso.test", "Other", "pw")
    session.execute(
        User.__table__.update().values(email="other@contoso.test").where(User.id == anna.id)
    )
    session.commit()
    answer = sign_in_with(client, identity, "google", "other@contoso.test", "pw")
    assert answer.status_code == 403, "an e-mail already bound to another subject must not sign in"
    assert impostor.subject != anna.oidc_subject


def test_a_forged_callback_is_refused(client, anna) -> None:
    client.get("/login")
    answer = client.get("/auth/callback/microsoft?code=forged&state=forged")
    assert answer.status_code == 400
    assert client.get("/").status_code == 302


def test_a_provider_error_is_shown_not_signed_in(client, anna) -> None:
    answer = client.get("/auth/callback/google?error=access_denied&error_description=User+said+no")
    assert answer.status_code == 400
    assert "User said no" in answer.get_data(as_text=True)


def test_an_unknown_provider_is_404(client) -> None:
    assert (
        client.post(
            "/auth/login/yahoo", data={"csrf_token": csrf_token(client, "/login")}
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    "target",
    ["/%09/evil.test", "/%0A/evil.test", "/%0D%0A/evil.test", "/%20/evil.test",
     "/%0B/evil.test", "/%00/evil.test", "/%E2%80%A8/evil.test", "//evil.test",
     "/%5C/evil.test", "https://evil.test/", "javascript:alert(1)", "/x%09y"],
)  # fmt: skip
def test_a_next_page_that_could_leave_the_site_is_dropped(client, identity, anna, target) -> None:
    """Werkzeug strips tabs and line breaks when it writes ``Location``: ``/<tab>/evil.test``
    would become ``//evil.test``, another site."""
    page = client.get(f"/login?next={target}").get_data(as_text=True)
    assert 'name="next"' not in page
    answer = sign_in_with(client, identity, "microsoft", "anna@contoso.test", "anna-pw",
                      next=unquote(target))  # fmt: skip
    assert answer.status_code == 302 and answer.headers["Location"] == "/"


def test_a_next_page_on_this_site_is_where_sign_in_ends(client, identity, anna) -> None:
    page = client.get("/login?next=/issues%3Ftype%3DCONTACT").get_data(as_text=True)
    assert 'name="next" value="/issues?type=CONTACT"' in page
    answer = sign_in_with(client, identity, "microsoft", "anna@contoso.test", "anna-pw",
                      next="/issues?type=CONTACT")  # fmt: skip
    assert answer.headers["Location"] == "/issues?type=CONTACT"


def test_next_page_is_kept_but_only_on_this_site(client, identity, anna) -> None:
    token = csrf_token(client, "/login")
    client.post("/auth/login/microsoft", data={"csrf_token": token, "next": "//evil.test/x"})
    with client.session_transaction() as session:
        assert "after_sign_in" not in session


# -- sign-in bound to the company's own directories ------------------------------------------


@pytest.fixture
def kim(session, resources):
    """A key user who has never signed in."""
    tenant = factories.tenant(session, resources.cipher)
    box = factories.mailbox(session, resources.cipher, tenant, email=KIM, role=Role.KEY_USER)
    session.commit()
    return session.get(User, box.user_id)


def _refused_for_directory(answer) -> None:
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert 'id="refused-directory"' in page and "another organisation" in page


def test_another_directorys_account_claiming_a_key_users_address_is_refused(
    client, session, identity, kim
) -> None:
    identity.provider.add_directory(OTHER_DIRECTORY, ["evil.test"])
    identity.provider.add_user("microsoft", "mallory@evil.test", "Mallory", "pw", mail=KIM)

    answer = sign_in_with(client, identity, "microsoft", "mallory@evil.test", "pw")

    _refused_for_directory(answer)
    assert client.get("/admin/").status_code == 302
    session.refresh(kim)
    assert kim.oidc_subject is None and kim.last_login_at is None
    identity.provider.add_user("microsoft", KIM, "Kim", "kim-pw")
    assert sign_in_with(client, identity, "microsoft", KIM, "kim-pw").status_code == 302
    assert client.get("/admin/").status_code == 200, "the real key user is not locked out"


@pytest.mark.parametrize("directory", [CONTOSO_ENTRA_TENANT_ID, OTHER_DIRECTORY])
def test_preferred_username_never_binds(client, session, identity, kim, directory) -> None:
    identity.provider.add_user("microsoft", KIM, "Kim", "pw", tenant_id=directory, mail="")
    answer = sign_in_with(client, identity, "microsoft", KIM, "pw")
    assert answer.status_code == 403
    session.refresh(kim)
    assert kim.oidc_subject is None


def test_a_personal_google_account_with_a_company_address_is_refused(
    client, session, identity, kim
) -> None:
    identity.provider.add_user("google", KIM, "Kim", "pw", consumer=True)
    _refused_for_directory(sign_in_with(client, identity, "google", KIM, "pw"))
    session.refresh(kim)
    assert kim.oidc_subject is None


def test_an_unverified_google_address_is_refused(client, session, identity, kim) -> None:
    identity.provider.add_user("google", KIM, "Kim", "pw", email_verified=False)
    answer = sign_in_with(client, identity, "google", KIM, "pw")
    assert answer.status_code == 403
    assert 'id="refused-unverified"' in answer.get_data(as_text=True)
    session.refresh(kim)
    assert kim.oidc_subject is None


def test_an_address_nobody_has_from_another_directory_reads_the_same_as_a_taken_one(
    client, identity, kim
) -> None:
    """A stranger cannot tell whether an address is one of our users."""
    identity.provider.add_directory(OTHER_DIRECTORY, ["evil.test"])
    identity.provider.add_user("microsoft", "m@evil.test", "M", "pw", mail="nobody@contoso.test")
    _refused_for_directory(sign_in_with(client, identity, "microsoft", "m@evil.test", "pw"))


def test_a_bound_user_is_refused_once_their_directory_is_no_longer_the_companys(
    client, session, identity, anna
) -> None:
    answer = sign_in_with(client, identity, "google", "anna@contoso.test", "anna-pw")
    assert answer.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    tenant = session.get(Tenant, anna.tenant_id)
    config = tenant.config
    config.google_domains = []
    tenant.config = config
    session.commit()
    _refused_for_directory(sign_in_with(client, identity, "google", "anna@contoso.test", "anna-pw"))
    assert client.get("/").status_code == 302


def test_a_binding_from_another_directory_gives_way_to_the_real_person(
    client, session, identity, kim
) -> None:
    """A takeover made before directories were checked is undone by the real sign-in."""
    kim.oidc_issuer, kim.oidc_subject = "https://login.example/evil/v2.0", "taken-over"
    session.commit()
    identity.provider.add_user("microsoft", KIM, "Kim", "kim-pw")
    assert sign_in_with(client, identity, "microsoft", KIM, "kim-pw").status_code == 302
    session.refresh(kim)
    assert kim.oidc_subject != "taken-over"
    assert kim.oidc_directory == CONTOSO_ENTRA_TENANT_ID


def test_every_callback_of_the_product_is_registered_by_the_identity_emulators_seed(app) -> None:
    """The demo registers :data:`CALLBACKS`; a callback missing there would fail in the demo."""
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.endswith(".callback")}
    wanted = {
        route.replace("<name>", realm) for route in routes for realm in ("microsoft", "google")
    }
    registered = {path for paths in CALLBACKS.values() for path in paths}
    assert wanted == registered


def test_a_removed_user_is_signed_out_everywhere_and_cannot_sign_in_again(
    client, session, resources, identity, anna
) -> None:
    answer = sign_in_with(client, identity, "microsoft", "anna@contoso.test", "anna-pw")
    assert answer.status_code == 302 and client.get("/").status_code == 200
    token = addin_tokens.issue(session, anna, "outlook", 60).secret
    session.commit()
    pane = {"Authorization": f"Bearer {token}", "X-Addin-Version": "1.0.0"}
    assert client.get("/addin/api/v1/me", headers=pane).status_code == 200

    tenant = session.get(Tenant, anna.tenant_id)
    people.remove_person(session, tenant, anna, actor="operator", cipher=resources.cipher)
    session.commit()

    assert client.get("/").status_code == 302, "the web session ended"
    assert client.get("/addin/api/v1/me", headers=pane).status_code == 401
    for realm in ("microsoft", "google"):
        again = sign_in_with(client, identity, realm, "anna@contoso.test", "anna-pw")
        assert again.status_code == 403, f"a removed user signed in with {realm}"
    assert client.get("/").status_code == 302
