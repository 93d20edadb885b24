"""Which directory a sign-in comes from and which of its claims count (table-driven)."""

from __future__ import annotations

import time

import pytest
from authlib.oidc.core import IDToken
from joserfc.errors import InvalidClaimError

from backend.auth.directories import directory_of, issuer_claims_options, verified_email
from backend.models import AuditEvent, Tenant
from backend.models.tenant import TenantSettings
from tests.support import factories

TID = "3c0a8d1e-5b7f-4e2a-9d64-0c0a7050e7e5"
OTHER = "7e1f0c2d-9a4b-4c3d-8e5f-6a7b8c9d0e1f"
TEMPLATE = "https://login.microsoftonline.com/{tenantid}/v2.0"


def _id_token(**claims: object) -> IDToken:
    now = int(time.time())
    base = {"sub": "s", "aud": "app", "exp": now + 60, "iat": now, **claims}
    options = issuer_claims_options(TEMPLATE)
    return IDToken(base, {"alg": "RS256"}, options, {"client_id": "app"})


@pytest.mark.parametrize(
    ("claims", "accepted"),
    [
        ({"iss": f"https://login.microsoftonline.com/{TID}/v2.0", "tid": TID}, True),
        ({"iss": f"https://login.microsoftonline.com/{OTHER}/v2.0", "tid": TID}, False),
        ({"iss": f"https://login.microsoftonline.com/{TID}/v2.0", "tid": OTHER}, False),
        ({"iss": f"https://login.microsoftonline.com/{TID}/v2.0"}, False),
        ({"iss": TEMPLATE, "tid": "{tenantid}"}, False),
        ({"iss": "https://login.microsoftonline.com/common/v2.0", "tid": "common"}, False),
        ({"iss": "https://evil.test/x/v2.0", "tid": "x"}, False),
    ],
)
def test_a_multi_tenant_issuer_must_name_the_tokens_own_directory(
    claims: dict, accepted: bool
) -> None:
    token = _id_token(**claims)
    if accepted:
        token.validate()
    else:
        with pytest.raises(InvalidClaimError):
            token.validate()


def test_a_single_issuer_is_left_to_authlibs_own_check() -> None:
    assert issuer_claims_options("https://accounts.google.com") is None
    first, second = issuer_claims_options(TEMPLATE), issuer_claims_options(TEMPLATE)
    assert first is not second, "authlib consumes the options: a new dict each time"


@pytest.mark.parametrize(
    ("provider", "claims", "directory"),
    [
        ("microsoft", {"tid": TID.upper()}, TID),
        ("microsoft", {"tid": "contoso.onmicrosoft.com"}, None),
        ("microsoft", {"hd": "contoso.test"}, None),
        ("google", {"hd": "Contoso.Test"}, "contoso.test"),
        ("google", {}, None),
        ("google", {"hd": "a/../b"}, None),
    ],
)
def test_the_directory_is_the_tid_or_the_workspace_domain(
    provider: str, claims: dict, directory: str | None
) -> None:
    assert directory_of(provider, claims) == directory


@pytest.mark.parametrize(
    ("provider", "claims", "email"),
    [
        ("microsoft", {"email": "Kim@Contoso.test"}, "kim@contoso.test"),
        ("microsoft", {"email": "kim@contoso.test", "email_verified": False}, None),
        ("microsoft", {"preferred_username": "kim@contoso.test"}, None),
        ("google", {"email": "kim@contoso.test", "email_verified": True}, "kim@contoso.test"),
        ("google", {"email": "kim@contoso.test"}, None),
        ("google", {"email": "kim@contoso.test", "email_verified": "true"}, None),
        ("google", {"email": "not-an-address", "email_verified": True}, None),
    ],
)
def test_only_a_verified_email_claim_counts(provider: str, claims: dict, email: str | None) -> None:
    assert verified_email(provider, claims) == email


def test_a_tenant_allows_only_the_directories_it_names() -> None:
    config = TenantSettings(entra_tenant_ids=[TID.upper()], google_domains=["Contoso.test"])
    assert config.entra_tenant_ids == [TID] and config.google_domains == ["contoso.test"]
    assert config.allows_directory("microsoft", TID)
    assert not config.allows_directory("microsoft", OTHER)
    assert not config.allows_directory("google", TID)
    assert config.allows_directory("google", "contoso.test")
    assert not config.allows_directory("google", None)
    assert config.allows_any_directory("contoso.test") and not config.allows_any_directory(None)
    with pytest.raises(ValueError, match="not a Microsoft Entra tenant id"):
        TenantSettings(entra_tenant_ids=["contoso.onmicrosoft.com"])


def test_the_operator_names_a_tenants_directories(runner, session, resources) -> None:
    found = factories.tenant(session, resources.cipher)
    session.commit()
    command = ["tenant", "directories", "contoso", "--entra-tenant-id", OTHER,
               "--google-domain", "Contoso.com", "--google-domain", "x.org"]  # fmt: skip
    answer = runner.invoke(args=command)
    assert answer.exit_code == 0, answer.output
    assert f"Microsoft Entra tenant ids: {OTHER}; Google Workspace domains: contoso.com, x.org" in (
        answer.output
    )
    session.refresh(found)
    assert found.config.entra_tenant_ids == [OTHER]
    assert session.query(AuditEvent).one().action == "tenant.directories"
    shown = runner.invoke(args=["tenant", "directories", "contoso"])
    assert "contoso.com, x.org" in shown.output
    wrong = runner.invoke(args=["tenant", "directories", "contoso", "--entra-tenant-id", "x/y"])
    assert wrong.exit_code != 0 and "not a Microsoft Entra tenant id: x/y" in wrong.output
    assert runner.invoke(args=["tenant", "directories", "nobody"]).exit_code != 0
    assert session.get(Tenant, found.id).config.google_domains == ["contoso.com", "x.org"]
