"""Revoking a mailbox's OAuth tokens at the provider that issued them (RFC 7009).

The provider is the sign-in provider named in the stored credentials (``microsoft`` or
``google``); its discovery document gives the revocation endpoint, and the app's client id and
secret authenticate the request (HTTP Basic). A password has nothing to revoke server side.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session

from backend.auth.signin import oauth_client
from backend.extensions import resources
from backend.settings import SignInProvider

log = logging.getLogger(__name__)

TOKEN_HINTS = ("refresh_token", "access_token")
"""Revoked in this order: a refresh token ends the whole grant at most providers."""


class RevocationFailed(Exception):
    """The provider could not be asked, or refused; the message says which and what to do."""


def revoke_credentials(credentials: dict[str, Any]) -> bool:
    """Revoke the tokens of stored mailbox credentials at their provider.

    Args:
        credentials: the decrypted credentials of a mailbox (``provider``, ``access_token``,
            ``refresh_token`` for OAuth; ``username``/``password`` otherwise).

    Returns:
        True when the provider revoked the tokens; False when there is nothing to revoke (a
        password) or the provider offers no revocation endpoint.

    Raises:
        RevocationFailed: the provider is not configured, cannot be reached, or answers with
            an error.
    """
    tokens = [(hint, credentials[hint]) for hint in TOKEN_HINTS if credentials.get(hint)]
    if not tokens:
        return False
    provider = _sign_in_provider(credentials.get("provider"))
    endpoint = _revocation_endpoint(provider)
    if endpoint is None:
        log.info("%s offers no revocation endpoint; its tokens expire on their own", provider.name)
        return False
    waiting = resources().settings.dialog_timeouts.pair
    client = OAuth2Session(
        provider.client_id,
        provider.client_secret,
        revocation_endpoint_auth_method="client_secret_basic",
    )
    with client:
        for hint, token in tokens:
            try:
                answer = client.revoke_token(endpoint, token, token_type_hint=hint, timeout=waiting)
            except requests.RequestException as error:
                raise RevocationFailed(
                    f"{provider.label} could not be reached to revoke the token "
                    f"({type(error).__name__}); it expires on its own."
                ) from error
            if answer.status_code != 200:
                raise RevocationFailed(
                    f"{provider.label} refused to revoke the token (HTTP {answer.status_code})."
                )
    return True


def _sign_in_provider(name: object) -> SignInProvider:
    provider = resources().settings.sign_in_provider(name)
    if provider is None:
        raise RevocationFailed(
            f"The credentials name the provider {name!r}, which is not configured here; "
            "revoke the app's access in the provider's own console."
        )
    return provider


def _revocation_endpoint(provider: SignInProvider) -> str | None:
    """From the provider's discovery document, which the sign-in client reads once and keeps."""
    try:
        document = oauth_client(provider.name).load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        raise RevocationFailed(
            f"The discovery document of {provider.label} could not be read "
            f"({type(error).__name__}); the token expires on its own."
        ) from error
    endpoint = document.get("revocation_endpoint") if isinstance(document, dict) else None
    return endpoint if isinstance(endpoint, str) and endpoint else None
