"""Opening the two sides of a mailbox's sync: its mail provider and its tenant's C4C client.

Every client is opened with the settings' timeouts, and every failure the engine classifies is
finished by :func:`backend.sync.services.finished` (its side, plain words for a missing answer).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from google.auth.exceptions import RefreshError, TransportError

from backend.auth.credentials import c4c_credentials, mailbox_credentials, store_mailbox_credentials
from backend.auth.crypto import TokenCipher
from backend.crm.c4c import C4CClient
from backend.crm.oauth import SamlBearerAuth, SamlBearerGrant, token_url_of
from backend.crm.transport import CallGuard, RetryPolicy
from backend.mailbox.base import MailboxProvider
from backend.mailbox.ews.credentials import BasicAuth, BearerToken, NtlmAuth
from backend.mailbox.ews.provider import ExchangeProvider
from backend.mailbox.gmail.credentials import StoredCredentials
from backend.mailbox.gmail.provider import GmailProvider
from backend.mailbox.graph.provider import GraphProvider
from backend.mailbox.graph.session import GraphSession, stored_token
from backend.models import Mailbox, Tenant
from backend.models.mailbox import Provider
from backend.models.tenant import C4CAuth, C4COAuthSettings, ExchangeSignIn
from backend.models.types import IssueCode
from backend.outbound import Timeouts
from backend.settings import Settings
from backend.sync.classifiers.c4c import classify_c4c_error
from backend.sync.classifiers.ews import classify_ews_error
from backend.sync.classifiers.google import classify_google_error
from backend.sync.classifiers.graph import classify_graph_error
from backend.sync.errors import Classification, SyncError, ours
from backend.sync.services import C4C, MAIL, finished
from backend.text import N_

MAILBOX_CLASSIFIERS: dict[Provider, Callable[[BaseException], Classification]] = {
    Provider.EXCHANGE: classify_ews_error,
    Provider.GMAIL: classify_google_error,
    Provider.GRAPH: classify_graph_error,
}


def mailbox_provider(
    tenant: Tenant, mailbox: Mailbox, cipher: TokenCipher, settings: Settings
) -> MailboxProvider:
    """The provider of ``mailbox`` with its stored credentials.

    OAuth tokens the provider refreshes are stored back on ``mailbox`` (the caller commits).

    Raises:
        SyncError: ``AUTH`` without credentials (revoked); ``UNKNOWN`` for a mail system this
            version cannot reach.
    """
    credentials = mailbox_credentials(mailbox, cipher) or {}
    # With application permissions the tenant's grant opens the mailbox, not the user's.
    granted = mailbox.provider is Provider.GRAPH and tenant.config.graph_app_tenant_id
    if not credentials and not granted:
        raise SyncError(ours(IssueCode.AUTH, N_("No credentials are stored for this mailbox")))

    def keep(refreshed: dict[str, Any]) -> None:
        store_mailbox_credentials(mailbox, refreshed, cipher)

    return provider_with(tenant, mailbox, credentials, settings, on_refresh=keep)


def provider_with(
    tenant: Tenant,
    mailbox: Mailbox,
    credentials: dict[str, Any],
    settings: Settings,
    on_refresh: Callable[[dict[str, Any]], None] | None = None,
) -> MailboxProvider:
    """The provider of ``mailbox`` logging in with ``credentials`` (stored or just typed).

    Args:
        on_refresh: given the credentials with a refreshed access token (OAuth providers).

    Raises:
        SyncError: ``UNKNOWN`` for a mail system this version cannot reach.
    """
    if mailbox.provider is Provider.EXCHANGE:
        if not tenant.mail_endpoint:
            raise SyncError(
                ours(IssueCode.UNKNOWN, N_("The company has no Exchange address configured"))
            )
        windows = tenant.config.exchange_sign_in is ExchangeSignIn.NTLM
        user = credentials.get("username", mailbox.address)
        login = (
            BearerToken(credentials["access_token"])
            if "access_token" in credentials
            else (NtlmAuth if windows else BasicAuth)(user, credentials["password"])
        )
        return ExchangeProvider(
            tenant.mail_endpoint, mailbox.address, login, timeout=settings.timeouts.pair
        )
    if mailbox.provider is Provider.GMAIL:
        keep = on_refresh or (lambda _refreshed: None)
        return _gmail(mailbox.address, credentials, settings, keep)
    if mailbox.provider is Provider.GRAPH:
        keep = on_refresh or (lambda _refreshed: None)
        return _graph(tenant, mailbox.address, credentials, settings, keep)
    raise SyncError(
        ours(
            IssueCode.UNKNOWN,
            N_("%(provider)s mailboxes cannot be synced by this version"),
            {"provider": str(mailbox.provider)},
        )
    )


def _gmail(
    address: str,
    stored: dict[str, Any],
    settings: Settings,
    on_refresh: Callable[[dict[str, Any]], None],
) -> GmailProvider:
    """Google's APIs with the mailbox's OAuth tokens, refreshed with the Google sign-in client."""
    if not stored.get("access_token") and not stored.get("refresh_token"):
        raise SyncError(ours(IssueCode.AUTH, N_("No Google access is stored for this mailbox")))
    client = settings.sign_in_provider("google")
    credentials = StoredCredentials(
        stored,
        client_id=client.client_id if client else None,
        client_secret=client.client_secret if client else None,
        token_uri=lambda: google_token_endpoint(
            client.metadata_url if client else None, settings.timeouts
        ),
        on_refresh=on_refresh,
    )
    return GmailProvider(
        settings.google_api_base,
        credentials,
        address=address,
        timeout=settings.timeouts.read,
    )


def _graph(
    tenant: Tenant,
    address: str,
    stored: dict[str, Any],
    settings: Settings,
    on_refresh: Callable[[dict[str, Any]], None],
) -> GraphProvider:
    """Microsoft Graph with the tenant's application permissions when it granted them, else with
    the mailbox's delegated tokens, refreshed with the Microsoft sign-in client."""
    client = settings.sign_in_provider("microsoft")
    client_id = client.client_id if client else None
    client_secret = client.client_secret if client else None
    app_tenant = tenant.config.graph_app_tenant_id

    def endpoint() -> str:
        if client is None:
            raise OAuthError("invalid_client", "No Microsoft sign-in client is configured")
        if app_tenant:
            return f"{settings.graph_login_base}/{app_tenant}/oauth2/v2.0/token"
        return token_endpoint_of(client.metadata_url, settings.timeouts)

    bounded = settings.timeouts.pair
    if app_tenant:
        session = GraphSession(
            client_id, client_secret, token_endpoint=endpoint, default_timeout=bounded
        )
    elif stored.get("access_token") or stored.get("refresh_token"):

        def keep(token: dict[str, Any]) -> None:
            fields = ("access_token", "refresh_token", "expires_at")
            on_refresh({**stored, **{k: token[k] for k in fields if token.get(k)}})

        session = GraphSession(client_id, client_secret, token_endpoint=endpoint,
                               token=stored_token(stored), on_refresh=keep,
                               default_timeout=bounded)  # fmt: skip
    else:
        raise SyncError(ours(IssueCode.AUTH, N_("No Microsoft access is stored for this mailbox")))
    return GraphProvider(
        session,
        address,
        api_base=settings.graph_api_base,
        app=bool(app_tenant),
        page_size=settings.graph_page_size,
        batch_size=settings.graph_batch_size,
        concurrency=settings.graph_concurrency,
        timeout=bounded,
    )


@functools.lru_cache(maxsize=8)
def token_endpoint_of(metadata_url: str, timeouts: Timeouts) -> str:
    """The token endpoint named by a sign-in provider's discovery document.

    Raises:
        requests.RequestException, ValueError, KeyError: the document cannot be read.
    """
    answer = requests.get(metadata_url, timeout=timeouts.pair)
    answer.raise_for_status()
    return str(answer.json()["token_endpoint"])


def google_token_endpoint(metadata_url: str | None, timeouts: Timeouts) -> str:
    """The token endpoint named by the Google sign-in provider's discovery document.

    Raises:
        RefreshError: no Google sign-in client is configured (the token can never be refreshed:
            a sign-in failure).
        TransportError: its document cannot be read (google-auth's error, so the classifier
            sees a refresh that could not happen now: temporary).
    """
    if metadata_url is None:
        raise RefreshError("No Google sign-in client is configured to refresh tokens with")
    try:
        return token_endpoint_of(metadata_url, timeouts)
    except (requests.RequestException, ValueError, KeyError) as error:
        raise TransportError(f"Google's token endpoint could not be found: {error}") from error


def classify_mailbox_error(
    mailbox: Mailbox, error: BaseException, timeouts: Timeouts | None = None
) -> Classification:
    """``error`` of ``mailbox``'s provider in the taxonomy, its words fit for people."""
    found = MAILBOX_CLASSIFIERS[mailbox.provider](error)
    return finished(found, error, MAIL[mailbox.provider], timeouts or Timeouts())


def c4c_client(
    tenant: Tenant,
    cipher: TokenCipher,
    timeouts: Timeouts,
    *,
    retry: RetryPolicy | None = None,
    guard: CallGuard | None = None,
    batch_size: int = 100,
) -> C4CClient:
    """The C4C client of ``tenant`` (Basic with the technical user, or a bearer token).

    Args:
        timeouts: the limits of each request (shorter while a person waits for an answer).
        retry: overrides the client's retry policy (fewer tries while a person waits).
        guard: watches every request (see ``backend.sync.service_guard``).
        batch_size: writes per ``$batch`` request.
    """
    if not tenant.c4c_base_url:
        raise SyncError(
            ours(
                IssueCode.TEMPORARY,
                N_(
                    "Your company's SAP connection is not set up yet: a key user enters it in "
                    "Admin, Connections."
                ),
            )
        )
    secret = c4c_credentials(tenant, cipher) or {}
    return C4CClient(
        tenant.c4c_base_url,
        **c4c_auth_of(tenant, tenant.c4c_base_url, tenant.c4c_username or "", secret, timeouts),
        retry=retry, timeout=timeouts.pair, guard=guard, batch_size=batch_size,
    )  # fmt: skip


def c4c_auth_of(
    tenant: Tenant, url: str, user: str, secret: dict[str, Any], timeouts: Timeouts
) -> dict[str, Any]:
    """How a C4C client of ``tenant`` signs in with these values: the integration user's
    password, or OAuth tokens for a SAML assertion naming the integration user."""
    oauth = tenant.config.c4c_oauth
    if tenant.c4c_auth is C4CAuth.OAUTH and oauth is not None:
        return {"auth": SamlBearerAuth(oauth_grant(oauth, url, user, secret), timeouts.pair)}
    return {"user": user, "password": secret.get("password")}


def oauth_grant(
    oauth: C4COAuthSettings, url: str, user: str, secret: dict[str, Any]
) -> SamlBearerGrant:
    return SamlBearerGrant(
        token_url=token_url_of(url), client_id=oauth.client_id,
        client_secret=secret.get("client_secret", ""), issuer=oauth.issuer,
        audience=oauth.audience, user=user, scope=oauth.scope,
        key_pem=secret.get("signing_key", ""), certificate_pem=oauth.certificate or "",
    )  # fmt: skip


def classify_c4c(error: BaseException, timeouts: Timeouts | None = None) -> Classification:
    """``error`` of the C4C client in the taxonomy, its words fit for people."""
    return finished(classify_c4c_error(error), error, C4C, timeouts or Timeouts())
