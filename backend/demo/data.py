"""The demo tenant "Contoso": one key user and four sales people, each with a mailbox.

Contoso runs Exchange Server; Gina has moved to Google Workspace already, so her mailbox is a
Gmail one, reached through Google's APIs with an OAuth access token (the demo's Google emulator
knows it), and Olivia to Exchange Online, reached through Microsoft Graph with a Microsoft
access token (the demo's Graph emulator knows it). Names, addresses and passwords are fixed
(the README lists them) so that the demo's emulated mailboxes and C4C system can be seeded
with the same accounts. Seeding twice changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.crypto import TokenCipher
from backend.models import Tenant
from backend.models.mailbox import Provider
from backend.models.tenant import ConflictPolicy
from backend.models.types import ItemType, MailSystem
from backend.models.user import Role
from backend.settings import Settings
from backend.sync import employees
from backend.tenants.onboarding import add_user, create_tenant

C4C_URL = "http://127.0.0.1:8101/sap/c4c/odata/v1/c4codataapi/"
EWS_URL = "http://127.0.0.1:8102/EWS/Exchange.asmx"
GOOGLE_URL = "http://127.0.0.1:8103"
GRAPH_URL = "http://127.0.0.1:8105"
C4C_USER = ("c4c-integration", "contoso-c4c")
CONTOSO_ENTRA_TENANT_ID = "3c0a8d1e-5b7f-4e2a-9d64-0c0a7050e7e5"
CONTOSO_GOOGLE_DOMAINS = ("contoso.test",)
"""The directories Contoso's people sign in from: its Microsoft Entra tenant and its Google
Workspace domain (the demo's identity emulator has the same)."""


FABRIKAM_C4C_URL = "http://127.0.0.1:8106/sap/c4c/odata/v1/c4codataapi/"
FABRIKAM_C4C_USER = ("fabrikam-integration", "fabrikam-c4c")
FABRIKAM_ENTRA_TENANT_ID = "9b2e6c1a-4f3d-4e8b-a7c2-1d5e6f7a8b9c"
FABRIKAM_PEOPLE = (
    ("fiona.key@fabrikam.test", "Fiona Key", "fiona-demo"),
    ("frank.sales@fabrikam.test", "Frank Sales", "frank-demo"),
)
"""Fabrikam, a company a visitor puts into service: nothing of it is in the database, but its
directory, Exchange mailboxes and own C4C system are in the emulators (the same people, e-mail
addresses and passwords as the emulators' seed)."""


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    password: str
    role: Role = Role.USER
    provider: Provider = Provider.EXCHANGE
    consent_days: float | None = None
    """Gmail: the person granted the product access for this many days only (Google's
    time-based access), so the demo warns ahead that it ends."""
    password_now: str | None = None
    """Exchange: the password the mail server has now, when the person changed it after the
    product stored theirs (their mailbox stops: please re-activate)."""
    disabled: bool = False
    """Exchange: the mail server disabled the person's account (their mailbox stops)."""
    language: str | None = None
    """The language the person chose for the product's pages and e-mails."""
    time_zone: str | None = None

    @property
    def server_password(self) -> str:
        """The password the emulated Exchange has for the mailbox."""
        return self.password_now or self.password

    @property
    def syncs(self) -> bool:
        """Whether the mailbox syncs as seeded (not stopped by a changed password or a
        disabled account)."""
        return self.password_now is None and not self.disabled

    @property
    def google_token(self) -> str:
        """The access token the demo's Google emulator opens this person's Gmail with."""
        return "ya29.demo-" + self.email.split("@")[0].replace(".", "-")

    @property
    def graph_token(self) -> str:
        """The access token the demo's Graph emulator opens this person's mailbox with."""
        return "eyJ0.demo-" + self.email.split("@")[0].replace(".", "-")

    @property
    def google_refresh_token(self) -> str:
        """The refresh token of the person's earlier, time-limited consent (``consent_days``),
        which the demo's identity emulator knows."""
        return "rt.demo-" + self.email.split("@")[0].replace(".", "-")

    def mailbox_credentials(self, *, consents: bool = False) -> dict[str, str]:
        """What the product stores for the mailbox; with ``consents``, a time-limited Google
        consent is stored as a consent leaves it (its refresh token; the access token it came
        with long expired), so the first run refreshes and learns when it ends."""
        if self.provider is Provider.GMAIL and consents and self.consent_days:
            return {"kind": "oauth", "provider": "google",
                    "refresh_token": self.google_refresh_token}  # fmt: skip
        if self.provider is Provider.GMAIL:
            return {"kind": "oauth", "provider": "google", "access_token": self.google_token}
        if self.provider is Provider.GRAPH:
            return {"kind": "oauth", "provider": "microsoft", "access_token": self.graph_token}
        return {"username": self.email, "password": self.password}


DEMO_USERS = (
    DemoUser("kim.keyuser@contoso.test", "Kim Keyuser", "kim-demo", Role.KEY_USER),
    DemoUser("anna.sales@contoso.test", "Anna Sales", "anna-demo"),
    DemoUser(
        "ben.sales@contoso.test", "Ben Sales", "ben-demo", language="de", time_zone="Europe/Berlin"
    ),
    DemoUser(
        "gina.sales@contoso.test",
        "Gina Sales",
        "gina-demo",
        provider=Provider.GMAIL,
        consent_days=3,
    ),
    DemoUser("olivia.sales@contoso.test", "Olivia Sales", "olivia-demo", provider=Provider.GRAPH),
    # Paul changed his Windows password after connecting; Dora's account was disabled (she left).
    DemoUser("paul.sales@contoso.test", "Paul Sales", "paul-demo", password_now="paul-new"),
    DemoUser("dora.sales@contoso.test", "Dora Sales", "dora-demo", disabled=True),
)


def meet_sap(session: Session, tenant: Tenant, cipher: TokenCipher, settings: Settings) -> int:
    """Match Contoso's people to their C4C employees (committed), as the key user's first
    connection test does; returns how many were matched. The emulated C4C must be up."""
    matched = employees.match_tenant(session, tenant, cipher, settings)
    session.commit()
    return matched


def seed_demo(
    session: Session,
    cipher: TokenCipher,
    *,
    c4c_url: str = C4C_URL,
    ews_url: str = EWS_URL,
    consents: bool = False,
) -> Tenant:
    """Create the Contoso tenant and its users unless it exists; returns it.

    Args:
        session: where to create them (committed).
        cipher: encrypts the stored credentials.
        c4c_url: the C4C service root (the demo's emulator unless given).
        ews_url: the Exchange server (the demo's emulator unless given).
        consents: store time-limited Google consents as refresh tokens the demo's identity
            emulator knows (``consent_days``); without it (no identity emulator), Gmail
            mailboxes keep an access token the Google emulator accepts.
    """
    existing = session.scalars(select(Tenant).where(Tenant.slug == "contoso")).one_or_none()
    if existing is not None:
        return existing
    tenant = create_tenant(
        session,
        slug="contoso",
        name="Contoso",
        c4c_base_url=c4c_url,
        mail_system=MailSystem.EXCHANGE_SERVER,
        mail_endpoint=ews_url,
        cipher=cipher,
        c4c_username=C4C_USER[0],
        c4c_credentials={"password": C4C_USER[1]},
        entra_tenant_ids=(CONTOSO_ENTRA_TENANT_ID,),
        google_domains=CONTOSO_GOOGLE_DOMAINS,
        email_domains=CONTOSO_GOOGLE_DOMAINS,
    )
    config = tenant.config
    config.item_types[ItemType.ACCOUNT].conflict_policy = ConflictPolicy.MAILBOX_WINS
    tenant.config = config
    for person in DEMO_USERS:
        user = add_user(
            session,
            tenant,
            email=person.email,
            name=person.name,
            role=person.role,
            cipher=cipher,
            mailbox_credentials=person.mailbox_credentials(consents=consents),
            provider=person.provider,
        )
        user.language, user.time_zone = person.language, person.time_zone
    session.commit()
    return tenant
