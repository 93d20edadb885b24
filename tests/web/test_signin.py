"""Signing in with OpenID Connect: authlib against the identity emulator, end to end."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from backend.models import User
from emulators.identity import IdentityEmulator
from tests.support import factories
from tests.support.web import csrf_token


def _sign_in(client, identity: IdentityEmulator, realm: str, email: str, password: str):
    """Click "Sign in with ...", fill the provider's form, follow the redirect back."""
    start = client.post(f"/auth/login/{realm}", data={"csrf_token": csrf_token(client, "/login")})
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert authorize.startswith(identity.provider.issuer(realm))
    page = requests.get(authorize, timeout=10)
    assert page.status_code == 200 and 'id="sign-in"' in page.text
    answer = requests.post(
        authorize, data={"email": email, "password": password}, allow_redirects=False, timeout=10
    )
    if answer.status_code != 302:
        return answer
    back = urlsplit(answer.headers["Location"])
    assert back.path == f"/auth/callback/{realm}"
    return client.get(f"{back.path}?{back.query}")


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
    answer = _sign_in(client, identity, realm, "anna@contoso.test", "anna-pw")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    session.refresh(anna)
    assert anna.oidc_issuer == identity.provider.issuer(realm)
    assert anna.oidc_subject and anna.last_login_at is not None
    assert identity.log.count("POST", f"{urlsplit(identity.provider.issuer(realm)).path}/token")


def test_wrong_password_stays_at_the_provider(client, identity, anna) -> None:
    answer = _sign_in(client, identity, "microsoft", "anna@contoso.test", "wrong")
    assert answer.status_code == 200 and "incorrect" in answer.text
    assert client.get("/").status_code == 302


def test_a_person_the_tenant_has_not_set_up_is_refused(client, session, identity, anna) -> None:
    identity.provider.add_user("microsoft", "mallory@contoso.test", "Mallory", "pw")
    answer = _sign_in(client, identity, "microsoft", "mallory@contoso.test", "pw")
    assert answer.status_code == 403
    assert "not set up" in answer.get_data(as_text=True)
    assert session.scalars(select(User).where(User.email == "mallory@contoso.test")).first() is None


def test_a_bound_user_is_found_by_subject_not_by_a_changed_email(
    client, session, identity, anna
) -> None:
    _sign_in(client, identity, "microsoft", "anna@contoso.test", "anna-pw")
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert client.get("/").status_code == 302
    impostor = identity.provider.add_user("google", "other@contoso.test", "Other", "pw")
    session.execute(
        User.__table__.update().values(email="other@contoso.test").where(User.id == anna.id)
    )
    session.commit()
    answer = _sign_in(client, identity, "google", "other@contoso.test", "pw")
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


def test_next_page_is_kept_but_only_on_this_site(client, identity, anna) -> None:
    token = csrf_token(client, "/login")
    client.post("/auth/login/microsoft", data={"csrf_token": token, "next": "//evil.test/x"})
    with client.session_transaction() as session:
        assert "after_sign_in" not in session
