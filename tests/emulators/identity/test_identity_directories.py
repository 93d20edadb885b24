"""Several Entra directories and Google accounts of several kinds, and Entra's admin consent."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests

from emulators.identity import IdentityEmulator
from emulators.identity.realms import DEFAULT_TENANT_ID
from emulators.identity.seed import (
    CALLBACKS,
    CONTOSO_TENANT_ID,
    DEMO_BASE_URLS,
    DEMO_CLIENT_ID,
    redirect_uris,
)
from tests.support.clock import Clock
from tests.support.identity import ANNA, code_of, redirect_params, start, verify_id_token

FABRIKAM_TID = "7e1f0c2d-9a4b-4c3d-8e5f-6a7b8c9d0e1f"
CONSENT_BACK = "http://127.0.0.1:8000/admin/consent/microsoft/callback"
GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
KIM = ("kim.keyuser@contoso.test", "kim-demo")


def _claims(identity: IdentityEmulator, clock: Clock, realm: str, user: tuple[str, str]) -> dict:
    flow = start(identity, realm)
    token = flow.exchange(code_of(flow.sign_in(user)))
    return verify_id_token(flow.meta, token["id_token"], nonce=flow.nonce, now=clock.now)[1]


def test_each_directory_issues_tokens_under_its_own_issuer(
    identity: IdentityEmulator, clock: Clock
) -> None:
    identity.provider.add_directory(FABRIKAM_TID, ["fabrikam.test"])
    identity.provider.add_user("microsoft", "fiona@fabrikam.test", "Fiona", "fiona-pw")
    identity.provider.add_user("microsoft", "nobody@unverified.test", "Nobody", "pw")
    base = identity.provider.issuer("microsoft").removesuffix("/v2.0")

    contoso = _claims(identity, clock, "microsoft", ANNA)
    fabrikam = _claims(identity, clock, "microsoft", ("fiona@fabrikam.test", "fiona-pw"))
    unverified = _claims(identity, clock, "microsoft", ("nobody@unverified.test", "pw"))

    assert (contoso["tid"], contoso["iss"]) == (
        CONTOSO_TENANT_ID,
        f"{base}/{CONTOSO_TENANT_ID}/v2.0",
    )
    assert (fabrikam["tid"], fabrikam["iss"]) == (FABRIKAM_TID, f"{base}/{FABRIKAM_TID}/v2.0")
    assert unverified["tid"] == DEFAULT_TENANT_ID


def test_another_directory_may_give_its_user_any_mail_attribute(
    identity: IdentityEmulator, clock: Clock
) -> None:
    identity.provider.add_directory(FABRIKAM_TID, ["fabrikam.test"])
    identity.provider.add_user(
        "microsoft", "mallory@fabrikam.test", "Mallory", "pw", mail="kim.keyuser@contoso.test"
    )
    identity.provider.add_user("microsoft", "nomail@fabrikam.test", "No Mail", "pw", mail="")

    claimed = _claims(identity, clock, "microsoft", ("mallory@fabrikam.test", "pw"))
    without = _claims(identity, clock, "microsoft", ("nomail@fabrikam.test", "pw"))

    assert (claimed["email"], claimed["preferred_username"]) == (
        "kim.keyuser@contoso.test", "mallory@fabrikam.test"
    )  # fmt: skip
    assert claimed["tid"] == FABRIKAM_TID
    assert "email" not in without and without["preferred_username"] == "nomail@fabrikam.test"


def test_google_personal_accounts_have_no_hosted_domain_and_may_be_unverified(
    identity: IdentityEmulator, clock: Clock
) -> None:
    identity.provider.add_user("google", "pat@contoso.test", "Pat", "pw", consumer=True)
    identity.provider.add_user("google", "una@contoso.test", "Una", "pw", email_verified=False)

    personal = _claims(identity, clock, "google", ("pat@contoso.test", "pw"))
    unverified = _claims(identity, clock, "google", ("una@contoso.test", "pw"))
    workspace = _claims(identity, clock, "google", ANNA)

    assert "hd" not in personal and personal["email_verified"] is True
    assert unverified["email_verified"] is False and unverified["hd"] == "contoso.test"
    assert workspace["hd"] == "contoso.test" and workspace["email_verified"] is True


def test_the_demo_application_is_registered_for_every_callback_of_the_product(
    identity: IdentityEmulator,
) -> None:
    for realm, paths in CALLBACKS.items():
        client = identity.provider.directory.client(realm, DEMO_CLIENT_ID)
        assert client is not None
        assert set(client.redirect_uris) == set(redirect_uris(realm, DEMO_BASE_URLS))
        assert all(f"{DEMO_BASE_URLS[0]}{path}" in client.redirect_uris for path in paths)
    assert "/reactivate/callback/google" in CALLBACKS["google"]
    assert "/reactivate/callback/microsoft" in CALLBACKS["microsoft"]


# -- admin consent -----------------------------------------------------------------------------


def _consent_url(identity: IdentityEmulator, **params: str) -> str:
    query = {"client_id": DEMO_CLIENT_ID, "redirect_uri": CONSENT_BACK, "state": "s-1",
             "scope": GRAPH_DEFAULT, **params}  # fmt: skip
    return f"{identity.provider.issuer('microsoft')}/adminconsent?{urlencode(query)}"


def _consent(identity: IdentityEmulator, user: tuple[str, str], **params: str) -> dict:
    url = _consent_url(identity, **params)
    browser = requests.Session()
    form = browser.get(url, timeout=5)
    assert form.status_code == 200 and 'id="sign-in"' in form.text
    answer = browser.post(url, data={"email": user[0], "password": user[1]},
                          allow_redirects=False, timeout=5)  # fmt: skip
    assert answer.headers["Location"].startswith(CONSENT_BACK + "?")
    return redirect_params(answer)


def test_an_administrator_grants_consent_for_their_directory(identity: IdentityEmulator) -> None:
    params = _consent(identity, KIM)
    assert params == {"admin_consent": "True", "tenant": CONTOSO_TENANT_ID, "state": "s-1",
                      "scope": GRAPH_DEFAULT}  # fmt: skip
    assert (CONTOSO_TENANT_ID, DEMO_CLIENT_ID) in identity.provider.admin_consents


def test_someone_who_is_not_an_administrator_is_sent_back_with_an_error(
    identity: IdentityEmulator,
) -> None:
    params = _consent(identity, ANNA)
    assert params["error"] == "access_denied" and params["state"] == "s-1"
    assert params["error_description"].startswith("AADSTS90094")
    assert "tenant" not in params and not identity.provider.admin_consents


def test_a_wrong_password_stays_on_the_form(identity: IdentityEmulator) -> None:
    url = _consent_url(identity)
    answer = requests.post(url, data={"email": KIM[0], "password": "wrong"}, timeout=5)
    assert answer.status_code == 200 and "incorrect" in answer.text


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"client_id": "someone-else"}, "invalid_client"),
        ({"redirect_uri": "https://evil.test/callback"}, "redirect_uri_mismatch"),
        ({"redirect_uri": "http://127.0.0.1:8000/auth/callback/google"}, "redirect_uri_mismatch"),
    ],
)
def test_an_unknown_client_or_redirect_gets_a_page_and_nothing_is_sent(
    identity: IdentityEmulator, params: dict[str, str], code: str
) -> None:
    answer = requests.get(_consent_url(identity, **params), allow_redirects=False, timeout=5)
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert f'id="error-code">{code}<' in answer.text


def test_a_request_without_scope_is_sent_back_as_invalid(identity: IdentityEmulator) -> None:
    answer = requests.get(_consent_url(identity, scope=""), allow_redirects=False, timeout=5)
    params = redirect_params(answer)
    assert params["error"] == "invalid_request" and "scope" in params["error_description"]


def test_google_has_no_admin_consent_endpoint(identity: IdentityEmulator) -> None:
    url = f"{identity.provider.issuer('google')}/adminconsent"
    assert requests.get(url, timeout=5).status_code == 404
