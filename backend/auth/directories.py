"""Which directory a sign-in comes from, and what of its claims may be trusted.

Microsoft's multi-tenant endpoint (``organizations``) signs in work accounts of every Entra
directory: its discovery document names the issuer
``https://login.microsoftonline.com/{tenantid}/v2.0`` and each ID token's ``iss`` carries the
token's own ``tid``, which is the directory. Google signs in every Google account; a Google
Workspace account carries its domain in ``hd``, a personal one nothing. A tenant names the
directories its people sign in from (:class:`~backend.models.tenant.TenantSettings`); a sign-in
from any other is refused, whatever e-mail address it claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.models.tenant import ENTRA_TENANT_ID, GOOGLE_DOMAIN

TENANT_PLACEHOLDER = "{tenantid}"
"""What a multi-tenant issuer holds in place of the directory's id."""


def issuer_claims_options(issuer: str) -> dict[str, Any] | None:
    """authlib's claims options that check an ID token's ``iss``.

    Args:
        issuer: the ``issuer`` of the provider's discovery document.

    Returns:
        For a multi-tenant issuer, options requiring ``iss`` to be that issuer with the
        token's own ``tid`` in place of the placeholder; ``None`` otherwise (authlib then
        requires ``iss`` to equal ``issuer``). A new dict each time: authlib consumes it.
    """
    if TENANT_PLACEHOLDER not in issuer:
        return None

    def of_its_directory(claims: Mapping[str, Any], value: object) -> bool:
        tid = claims.get("tid")
        if not isinstance(tid, str) or not ENTRA_TENANT_ID.match(tid):
            return False
        return value == issuer.replace(TENANT_PLACEHOLDER, tid)

    return {"iss": {"essential": True, "validate": of_its_directory}}


def directory_of(provider: str, claims: Mapping[str, Any]) -> str | None:
    """The directory verified claims come from: the Entra ``tid`` (``microsoft``) or the Google
    Workspace domain ``hd`` (``google``); ``None`` for a personal Google account."""
    key, pattern = ("tid", ENTRA_TENANT_ID) if provider == "microsoft" else ("hd", GOOGLE_DOMAIN)
    value = claims.get(key)
    if not isinstance(value, str) or not pattern.match(value.lower()):
        return None
    return value.lower()


def verified_email(provider: str, claims: Mapping[str, Any]) -> str | None:
    """The e-mail address verified claims vouch for, lower case.

    Only ``email`` counts, never ``preferred_username`` (a sign-in name, not an address
    anyone checked). Google's must carry ``email_verified: true``. Entra sends no such claim:
    its ``email`` is the directory's own record, so it is trusted only because the directory
    is one the company named (the caller checks that); an explicit ``false`` is refused.
    """
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return None
    verified = claims.get("email_verified")
    if provider == "google" and verified is not True:
        return None
    if verified is False:
        return None
    return email.strip().lower()
