"""Tenants, users and mailboxes for tests, made through the product's own onboarding."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.auth.crypto import TokenCipher
from backend.demo.data import CONTOSO_ENTRA_TENANT_ID, CONTOSO_GOOGLE_DOMAINS
from backend.extensions import Resources
from backend.models import Mailbox, Tenant, User
from backend.models.mailbox import Provider
from backend.models.tenant import TenantSettings
from backend.models.types import MailSystem
from backend.models.user import Role
from backend.storage.db import utcnow
from backend.tenants import invitations, people
from backend.tenants.onboarding import add_user, create_tenant


def tenant_settings() -> TenantSettings:
    """What :func:`tenant` makes: default settings and the Contoso directories."""
    return TenantSettings(
        entra_tenant_ids=[CONTOSO_ENTRA_TENANT_ID],
        google_domains=list(CONTOSO_GOOGLE_DOMAINS),
        email_domains=list(CONTOSO_GOOGLE_DOMAINS),
    )


def tenant(session: Session, cipher: TokenCipher, slug: str = "contoso") -> Tenant:
    return create_tenant(
        session,
        slug=slug,
        name=slug.title(),
        c4c_base_url="http://127.0.0.1:8101/sap/c4c/odata/v1/c4codataapi/",
        mail_system=MailSystem.EXCHANGE_SERVER,
        cipher=cipher,
        c4c_username="technical",
        c4c_credentials={"password": "c4c-secret-password"},
        entra_tenant_ids=(CONTOSO_ENTRA_TENANT_ID,),
        google_domains=CONTOSO_GOOGLE_DOMAINS,
        email_domains=CONTOSO_GOOGLE_DOMAINS,
    )


def mailbox(
    session: Session,
    cipher: TokenCipher,
    owner: Tenant,
    email: str = "anna@contoso.test",
    role: Role = Role.USER,
    credentials: dict | None = None,
    provider: Provider | None = None,
) -> Mailbox:
    user = add_user(
        session,
        owner,
        email=email,
        name=email.split("@")[0].title(),
        cipher=cipher,
        role=role,
        mailbox_credentials=credentials or {"password": "mailbox-secret-password"},
        provider=provider,
    )
    found = session.query(Mailbox).filter_by(user_id=user.id).one()
    return found


def tenant_with_key_user(session: Session, cipher: TokenCipher, **settings: object) -> Tenant:
    """The tenant of :func:`tenant` with its key user Kim (``kim@contoso.test``) and ``settings``
    changed, committed."""
    owner = tenant(session, cipher)
    if settings:
        owner.config = owner.config.model_copy(update=settings)
    mailbox(session, cipher, owner, "kim@contoso.test", Role.KEY_USER)
    session.commit()
    return owner


def invited(
    session: Session, resources: Resources, tenant: Tenant, email: str, name: str
) -> tuple[User, str]:
    """A person a key user added and invited: their user and the invitation link's path."""
    (user,) = people.add_people(
        session, tenant, [(0, people.Person(email, name))], actor="operator",
        cipher=resources.cipher,
    )  # fmt: skip
    sent = invitations.invite(
        session, tenant, user, actor="operator", settings=resources.settings, now=utcnow()
    )
    session.commit()
    return user, sent.link.removeprefix(resources.settings.public_base_url)
