"""OAuth 2.0 for C4C: our client trades a signed SAML 2.0 assertion for a token at C4C's OAuth
server, reads and writes with it, renews it when C4C ends it, and reports every refusal of the
token endpoint the way C4C's ABAP server answers it (RFC 6749 errors), which the emulator
enforces: signature, issuer, audience, recipient, validity, user, scope and single use."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import requests
from cryptography import x509

from backend.crm.c4c import C4CClient
from backend.crm.oauth import (
    SAML2_BEARER,
    TOKENS,
    C4CTokenRefused,
    SamlBearerAuth,
    SamlBearerGrant,
    assertion,
    signing_identity,
    token_url_of,
)
from backend.models.types import IssueCode
from backend.sync.connect import classify_c4c
from emulators.c4c import C4CEmulator
from tests.fixtures.c4c import USER

ISSUER, CLIENT, SECRET = "ssi-sync-contoso", "SSI_SYNC", "client-secret-1"
KEY, CERTIFICATE = signing_identity("ssi-sync contoso")
"""One key pair for the module (making an RSA key takes a moment)."""


@pytest.fixture
def grant(c4c_emulator: C4CEmulator) -> SamlBearerGrant:
    """Our client and identity provider registered in C4C, as its administrator does it."""
    oauth = c4c_emulator.service.security.oauth
    oauth.trust(ISSUER, CERTIFICATE)
    oauth.register(CLIENT, SECRET, ISSUER, {"UIWC:CC_HOME"})
    TOKENS.clear()
    return SamlBearerGrant(
        token_url=token_url_of(c4c_emulator.base_url), client_id=CLIENT, client_secret=SECRET,
        issuer=ISSUER, audience=oauth.service_provider, user=USER, scope="UIWC:CC_HOME",
        key_pem=KEY, certificate_pem=CERTIFICATE,
    )  # fmt: skip


def client_of(emulator: C4CEmulator, grant: SamlBearerGrant) -> C4CClient:
    return C4CClient(emulator.base_url, auth=SamlBearerAuth(grant, 5.0), timeout=5.0)


def ask(grant: SamlBearerGrant, encoded: str | None = None, **form: str) -> requests.Response:
    body = {"grant_type": SAML2_BEARER, "client_id": grant.client_id, "scope": grant.scope,
            "assertion": encoded if encoded is not None else assertion(grant), **form}  # fmt: skip
    return requests.post(
        grant.token_url, data=body, auth=(grant.client_id, grant.client_secret), timeout=5
    )


def test_a_token_for_our_assertion_reads_and_writes_as_the_integration_user(
    c4c_emulator: C4CEmulator, grant: SamlBearerGrant
) -> None:
    client = client_of(c4c_emulator, grant)
    created = client.create("ContactCollection", {"FirstName": "Ada", "LastName": "Byron"}, "SSI-1")
    assert next(client.read("ContactCollection", top=1))["ObjectID"] == created["ObjectID"]
    token_requests = c4c_emulator.log.entries("POST", "/sap/bc/sec/oauth2/token")
    assert len(token_requests) == 1, "one token for the whole session"
    odata = [e for e in c4c_emulator.log.entries() if "/c4codataapi/" in e.path]
    assert all(e.headers["Authorization"].startswith("Bearer ") for e in odata)
    again = client_of(c4c_emulator, grant)
    next(again.read("ContactCollection", top=1))
    assert len(c4c_emulator.log.entries("POST", "/sap/bc/sec/oauth2/token")) == 1, (
        "a second client of the same grant reuses the token while it lives"
    )
    c4c_emulator.service.security.refused[USER] = {"ContactCollection"}
    with pytest.raises(Exception, match="403"):
        next(again.read("ContactCollection", top=1))


def test_an_ended_token_is_renewed_once_and_the_request_goes_through(
    c4c_emulator: C4CEmulator, grant: SamlBearerGrant
) -> None:
    client = client_of(c4c_emulator, grant)
    next(client.read("ContactCollection"), None)
    c4c_emulator.service.security.oauth.expire_tokens()
    assert list(client.read("ContactCollection")) == []
    statuses = [e.status for e in c4c_emulator.log.entries() if "/c4codataapi/" in e.path]
    assert statuses == [200, 401, 200]
    assert len(c4c_emulator.log.entries("POST", "/sap/bc/sec/oauth2/token")) == 2


def test_a_refusal_is_a_c4c_sign_in_failure(
    c4c_emulator: C4CEmulator, grant: SamlBearerGrant
) -> None:
    client = client_of(c4c_emulator, replace(grant, client_secret="old-secret"))
    with pytest.raises(C4CTokenRefused) as refused:
        next(client.read("ContactCollection"), None)
    assert (refused.value.status, refused.value.error) == (401, "invalid_client")
    assert classify_c4c(refused.value).code is IssueCode.AUTH
    assert not [e for e in c4c_emulator.log.entries() if "/c4codataapi/" in e.path]


def test_a_token_of_one_secret_never_answers_for_another(
    c4c_emulator: C4CEmulator, grant: SamlBearerGrant
) -> None:
    next(client_of(c4c_emulator, grant).read("ContactCollection"), None)
    wrong = client_of(c4c_emulator, replace(grant, client_secret="guessed"))
    with pytest.raises(C4CTokenRefused):
        next(wrong.read("ContactCollection"), None)


def tampered(encoded: str, old: str, new: str) -> str:
    document = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    changed = document.replace(old.encode(), new.encode())
    assert changed != document
    return base64.urlsafe_b64encode(changed).decode()


@pytest.mark.parametrize(
    ("change", "status", "error", "said"),
    [
        (
            lambda g: {"encoded": tampered(assertion(g), f">{USER}<", ">ANOTHER_USER<")},
            400,
            "invalid_grant",
            "Signature",
        ),
        (
            lambda g: {"grant": replace(g, audience="SOMEONE_ELSE")},
            400,
            "invalid_grant",
            "Audience",
        ),
        (
            lambda g: {"grant": replace(g, token_url=g.token_url + "?x=1"), "url": g.token_url},
            400,
            "invalid_grant",
            "Recipient",
        ),
        (lambda g: {"grant": replace(g, user="NOBODY")}, 400, "invalid_grant", "does not exist"),
        (lambda g: {"grant": replace(g, issuer="unknown-idp")}, 400, "invalid_grant", "Issuer"),
        (
            lambda g: {"grant": replace(g, key_pem=signing_identity("x")[0])},
            400,
            "invalid_grant",
            "Signature",
        ),
        (lambda g: {"grant": replace(g, scope="UIWC:OTHER")}, 400, "invalid_scope", "scope"),
        (lambda g: {"grant": replace(g, client_secret="wrong")}, 401, "invalid_client", "Client"),
        (
            lambda g: {"form": {"grant_type": "client_credentials"}},
            400,
            "unsupported_grant_type",
            "Grant type",
        ),
        (lambda g: {"encoded": "bm90IHhtbA"}, 400, "invalid_grant", "parsed"),
    ],
    ids=[
        "tampered",
        "audience",
        "recipient",
        "user",
        "issuer",
        "untrusted-key",
        "scope",
        "client-secret",
        "grant-type",
        "not-xml",
    ],
)
def test_the_token_endpoint_refuses_what_c4c_refuses(
    c4c_emulator: C4CEmulator, grant: SamlBearerGrant, change, status, error, said
) -> None:
    case = change(grant)
    used = case.get("grant", grant)
    encoded = case.get("encoded")
    form = dict(case.get("form", {}))
    if "url" in case:
        encoded = assertion(used)
        used = replace(used, token_url=case["url"])
    answer = ask(used, encoded, **form)
    assert answer.status_code == status
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert body["error"] == error and said.lower() in body["error_description"].lower()
    assert "access_token" not in body


def test_an_assertion_is_used_once_and_ends(
    c4c_emulator: C4CEmulator, grant: SamlBearerGrant
) -> None:
    once = assertion(grant)
    assert ask(grant, once).status_code == 200
    again = ask(grant, once)
    assert again.json()["error_description"] == "Assertion has already been used"
    old = assertion(grant, now=datetime.now(UTC) - timedelta(minutes=30))
    assert ask(grant, old).json()["error_description"] == "Assertion has expired"


def test_the_answer_is_json_of_rfc_6749_and_a_form_is_required(
    c4c_emulator: C4CEmulator, grant: SamlBearerGrant
) -> None:
    answer = ask(grant)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert (body["token_type"], body["scope"]) == ("Bearer", "UIWC:CC_HOME")
    as_json = requests.post(
        grant.token_url, json={"grant_type": SAML2_BEARER}, auth=(CLIENT, SECRET), timeout=5
    )
    assert (as_json.status_code, as_json.json()["error"]) == (400, "invalid_request")


def test_our_certificate_is_self_signed_for_three_years() -> None:
    ends = x509.load_pem_x509_certificate(CERTIFICATE.encode()).not_valid_after_utc
    assert timedelta(days=365 * 3 - 1) < ends - datetime.now(UTC) < timedelta(days=365 * 3 + 1)
    assert "PRIVATE KEY" not in CERTIFICATE and "PRIVATE KEY" in KEY
