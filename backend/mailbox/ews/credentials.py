"""How the Exchange provider logs in: Basic, Windows (NTLM), an OAuth 2 bearer token, or
impersonation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exchangelib import BASIC, NTLM, OAUTH2, Credentials, OAuth2AuthorizationCodeCredentials


@dataclass(frozen=True)
class BasicAuth:
    """The mailbox owner's user name and password (HTTP Basic)."""

    user: str
    password: str


@dataclass(frozen=True)
class NtlmAuth:
    """The mailbox owner's Windows user name (``DOMAIN\\name`` or the address) and password,
    for a server that signs in with NTLM."""

    user: str
    password: str


@dataclass(frozen=True)
class BearerToken:
    """An OAuth 2 access token for the mailbox (or for a service account with impersonation)."""

    access_token: str


@dataclass(frozen=True)
class Impersonation:
    """A service account with the ApplicationImpersonation role acting as the mailbox owner."""

    service: BasicAuth | NtlmAuth | BearerToken


def exchangelib_credentials(credentials: BasicAuth | NtlmAuth | BearerToken) -> tuple[Any, str]:
    if isinstance(credentials, BasicAuth):
        return Credentials(credentials.user, credentials.password), BASIC
    if isinstance(credentials, NtlmAuth):
        return Credentials(credentials.user, credentials.password), NTLM
    token = {"access_token": credentials.access_token, "token_type": "Bearer"}
    return OAuth2AuthorizationCodeCredentials(access_token=token), OAUTH2
