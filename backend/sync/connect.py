"""Opening the two sides of a mailbox's sync: its mail provider and its tenant's C4C client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backend.auth.crypto import TokenCipher
from backend.credentials import c4c_credentials, mailbox_credentials
from backend.crm.c4c import C4CClient
from backend.crm.transport import RetryPolicy
from backend.mailbox.base import MailboxProvider
from backend.mailbox.ews_credentials import BasicAuth, BearerToken
from backend.mailbox.exchange import ExchangeProvider
from backend.models import Mailbox, Tenant
from backend.models.mailbox import Provider
from backend.models.types import IssueCode
from backend.sync.classifiers.c4c import classify_c4c_error
from backend.sync.classifiers.ews import classify_ews_error
from backend.sync.classifiers.google import classify_google_error
from backend.sync.errors import Classification, SyncError

MAILBOX_CLASSIFIERS: dict[Provider, Callable[[BaseException], Classification]] = {
    Provider.EXCHANGE: classify_ews_error,
    Provider.GMAIL: classify_google_error,
}


def mailbox_provider(tenant: Tenant, mailbox: Mailbox, cipher: TokenCipher) -> MailboxProvider:
    """The provider of ``mailbox`` with its stored credentials.

    Raises:
        SyncError: ``AUTH`` without credentials (revoked); ``UNKNOWN`` for a mail system this
            version cannot reach.
    """
    credentials = mailbox_credentials(mailbox, cipher)
    if not credentials:
        raise SyncError.of(IssueCode.AUTH, "No credentials are stored for this mailbox")
    return provider_with(tenant, mailbox, credentials)


def provider_with(tenant: Tenant, mailbox: Mailbox, credentials: dict[str, Any]) -> MailboxProvider:
    """The provider of ``mailbox`` logging in with ``credentials`` (stored or just typed).

    Raises:
        SyncError: ``UNKNOWN`` for a mail system this version cannot reach.
    """
    if mailbox.provider is Provider.EXCHANGE:
        if not tenant.mail_endpoint:
            raise SyncError.of(IssueCode.UNKNOWN, "The tenant has no Exchange endpoint configured")
        login = (
            BearerToken(credentials["access_token"])
            if "access_token" in credentials
            else BasicAuth(credentials.get("username", mailbox.address), credentials["password"])
        )
        return ExchangeProvider(tenant.mail_endpoint, mailbox.address, login)
    raise SyncError.of(
        IssueCode.UNKNOWN, f"{mailbox.provider} mailboxes cannot be synced by this version"
    )


def classify_mailbox_error(mailbox: Mailbox, error: BaseException) -> Classification:
    return MAILBOX_CLASSIFIERS[mailbox.provider](error)


def c4c_client(
    tenant: Tenant,
    cipher: TokenCipher,
    *,
    retry: RetryPolicy | None = None,
    timeout: float | None = None,
) -> C4CClient:
    """The C4C client of ``tenant`` (Basic with the technical user, or a bearer token).

    ``retry`` and ``timeout`` override the client's defaults, e.g. shorter waits while a person
    waits for an answer.
    """
    secret = c4c_credentials(tenant, cipher) or {}
    options: dict[str, Any] = {"retry": retry}
    if timeout is not None:
        options["timeout"] = timeout
    if "access_token" in secret:
        return C4CClient(tenant.c4c_base_url, token=secret["access_token"], **options)
    return C4CClient(
        tenant.c4c_base_url, user=tenant.c4c_username, password=secret.get("password"), **options
    )


def classify_c4c(error: BaseException) -> Classification:
    return classify_c4c_error(error)
