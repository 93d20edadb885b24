"""Creating tenants, users and their mailbox connections (used by the seed and by key users)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from backend.auth.credentials import store_c4c_credentials, store_mailbox_credentials
from backend.auth.crypto import TokenCipher
from backend.models import Mailbox, Tenant, User
from backend.models.mailbox import Provider
from backend.models.tenant import TenantSettings
from backend.models.types import MailSystem
from backend.models.user import Role
from backend.storage.db import utcnow

PROVIDER_OF = {
    MailSystem.EXCHANGE_SERVER: Provider.EXCHANGE,
    MailSystem.EXCHANGE_ONLINE: Provider.GRAPH,
    MailSystem.GMAIL: Provider.GMAIL,
}


def create_tenant(
    session: Session,
    *,
    slug: str,
    name: str,
    c4c_base_url: str | None,
    mail_system: MailSystem,
    cipher: TokenCipher,
    c4c_username: str | None = None,
    c4c_credentials: dict[str, Any] | None = None,
    mail_endpoint: str | None = None,
    entra_tenant_ids: Sequence[str] = (),
    google_domains: Sequence[str] = (),
    email_domains: Sequence[str] = (),
) -> Tenant:
    """Create a tenant with default settings.

    Args:
        entra_tenant_ids: the Microsoft Entra directories (``tid``) its people sign in from.
        google_domains: the Google Workspace domains (``hd``) its people sign in from.
        email_domains: the domains of its people's addresses (users are added only with these).

    Without a directory nobody of the tenant can sign in; key users add more in the settings.

    Raises:
        pydantic.ValidationError: a directory is not a tenant id or a domain.
    """
    directories = TenantSettings(
        entra_tenant_ids=list(entra_tenant_ids),
        google_domains=list(google_domains),
        email_domains=list(email_domains),
    )
    tenant = Tenant(
        slug=slug,
        name=name,
        c4c_base_url=c4c_base_url,
        c4c_username=c4c_username,
        mail_system=mail_system,
        mail_endpoint=mail_endpoint,
        settings=directories.model_dump(
            mode="json", include={"entra_tenant_ids", "google_domains", "email_domains"}
        ),
    )
    store_c4c_credentials(tenant, c4c_credentials, cipher)
    session.add(tenant)
    session.flush()
    return tenant


def add_user(
    session: Session,
    tenant: Tenant,
    *,
    email: str,
    name: str,
    cipher: TokenCipher,
    role: Role = Role.USER,
    mailbox_credentials: dict[str, Any] | None = None,
    provider: Provider | None = None,
) -> User:
    """Add a user and the connection of their mailbox, with a progress row per enabled type.

    The mailbox is on the tenant's mail system unless ``provider`` says otherwise (a company
    moving from Exchange to Google Workspace has people on both for a while).
    """
    user = User(tenant_id=tenant.id, email=email.lower(), name=name, role=role)
    session.add(user)
    session.flush()
    mailbox = Mailbox(
        tenant_id=tenant.id,
        user_id=user.id,
        provider=provider or PROVIDER_OF[tenant.mail_system],
        address=email.lower(),
        next_sync_at=utcnow(),
    )
    store_mailbox_credentials(mailbox, mailbox_credentials, cipher)
    for item_type, type_settings in tenant.config.item_types.items():
        if type_settings.enabled:
            mailbox.item_state(item_type)
    session.add(mailbox)
    session.flush()
    return user
