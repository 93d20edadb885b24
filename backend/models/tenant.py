"""Tenant: a company with its C4C system, its mail system and its settings."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from flask_babel import gettext
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.types import Direction, ItemType, MailSystem
from backend.storage.db import Base, utcnow
from backend.text import N_


class ConflictPolicy(StrEnum):
    C4C_WINS = "C4C_WINS"
    MAILBOX_WINS = "MAILBOX_WINS"
    NEWER_WINS = "NEWER_WINS"


class ForbiddenPolicy(StrEnum):
    """What to do with a mailbox change that C4C forbids (PRODUCT.md section 4)."""

    RETRY = "RETRY"
    ROLL_BACK = "ROLL_BACK"
    IGNORE = "IGNORE"


class Reminder(StrEnum):
    NONE = "NONE"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"


class C4CAuth(StrEnum):
    BASIC = "BASIC"
    OAUTH = "OAUTH"


class ExchangeSignIn(StrEnum):
    """How mailboxes sign in to an Exchange Server's EWS with their user's password."""

    BASIC = "BASIC"
    NTLM = "NTLM"


class C4COAuthSettings(BaseModel):
    """OAuth 2.0 with a SAML 2.0 bearer assertion for the C4C connection (what is not secret;
    the client secret and the signing key are stored encrypted with the credentials)."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=1, max_length=200)
    issuer: str = Field(min_length=1, max_length=200)
    """Our name as the identity provider C4C trusts."""
    audience: str = Field(min_length=1, max_length=200)
    """C4C's SAML service provider name."""
    scope: str = Field(default="UIWC:CC_HOME", min_length=1, max_length=200)
    certificate: str | None = None
    """The certificate (PEM) of the signing key, to upload to C4C."""


class FromSap(StrEnum):
    """Which C4C records of a type reach a user's mailbox."""

    THEIRS = "THEIRS"
    """The user's own in SAP (their employee the owner or processor; for contacts, also the
    owner of the account), whoever created them, and the changes of what is already in sync."""
    LINKED = "LINKED"
    """Only the changes of what is already in sync."""


class ItemTypeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    direction: Direction = Direction.BOTH
    conflict_policy: ConflictPolicy = ConflictPolicy.NEWER_WINS
    from_sap: FromSap = FromSap.THEIRS


def _default_item_types() -> dict[ItemType, ItemTypeSettings]:
    types = {item_type: ItemTypeSettings() for item_type in ItemType}
    types[ItemType.EMAIL] = ItemTypeSettings(direction=Direction.UP)
    return types


ENTRA_TENANT = r"^[0-9A-Za-z.-]{1,64}$"
"""A Microsoft Entra tenant as a token endpoint's path names it: its id or a domain."""
ENTRA_TENANT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
"""A Microsoft Entra tenant's id (a GUID, lower case), as ID tokens name it in ``tid``."""
SIGN_IN_KINDS = ("microsoft", "google")
GOOGLE_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
"""A Google Workspace domain, as ID tokens name it in ``hd``."""


NOT_ENTRA = N_("not a Microsoft Entra tenant id: %(values)s")
NOT_DOMAIN = N_("not a domain: %(values)s")
"""What a list's check says of the values that do not fit (in the reader's language, as a
form shows it; English for the operator commands)."""


def listed(value: Any, pattern: re.Pattern[str], refusal: str) -> Any:
    """Text or a list of values as a list of distinct lower-case values matching ``pattern``;
    ``refusal`` (``%(values)s`` for the wrong ones) when some do not."""
    if isinstance(value, str):
        value = re.split(r"[\s,;]+", value)
    if not isinstance(value, list):
        return value
    found = [str(part).strip().lower() for part in value if str(part).strip()]
    wrong = [part for part in found if not pattern.match(part)]
    if wrong:
        raise ValueError(gettext(refusal, values=", ".join(wrong)))
    return list(dict.fromkeys(found))


EntraTenantIds = Annotated[
    list[str],
    BeforeValidator(lambda value: listed(value, ENTRA_TENANT_ID, NOT_ENTRA)),
]
"""Tenant ids, as a list or as text separated by commas or spaces."""
GoogleDomains = Annotated[
    list[str], BeforeValidator(lambda value: listed(value, GOOGLE_DOMAIN, NOT_DOMAIN))
]
"""Domains, as a list or as text separated by commas or spaces."""


def _days(value: Any) -> Any:
    """Days as a list or as text separated by commas or spaces: distinct, longest first."""
    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,;]+", value) if part]
    if not isinstance(value, list):
        return value
    try:
        days = sorted({int(part) for part in value}, reverse=True)
    except (TypeError, ValueError):
        raise ValueError(gettext("days must be whole numbers")) from None
    if not days or days[-1] < 1 or days[0] > 90 or len(days) > 5:
        raise ValueError(gettext("give one to five numbers of days, each from 1 to 90"))
    return days


WarnDays = Annotated[list[int], BeforeValidator(_days)]


class TenantSettings(BaseModel):
    """Key-user settings of a tenant (PRODUCT.md section 8); unset thresholds use the defaults."""

    model_config = ConfigDict(extra="forbid")

    item_types: dict[ItemType, ItemTypeSettings] = Field(default_factory=_default_item_types)
    notify_failure_threshold: int | None = Field(default=None, ge=1)
    reminder: Reminder = Reminder.NONE
    extra_recipients: list[str] = Field(default_factory=list)
    mass_change_share: float = Field(default=0.2, gt=0, le=1)
    mass_change_minimum: int = Field(default=25, ge=1)
    forbidden_policy: dict[str, ForbiddenPolicy] = Field(
        default_factory=lambda: {"UPDATE": ForbiddenPolicy.RETRY, "DELETE": ForbiddenPolicy.RETRY}
    )
    delete_copies: bool = True
    hide_other_users_titles: bool = False
    graph_app_tenant_id: str | None = Field(default=None, pattern=ENTRA_TENANT)
    """Exchange Online with application permissions: the company's Microsoft Entra tenant,
    whose administrator granted our app access to the mailboxes (recorded from the admin
    consent's answer, never typed); unset, each user consents for their own mailbox."""
    entra_tenant_ids: EntraTenantIds = Field(default_factory=list)
    """The Microsoft Entra directories (``tid``) the company's people sign in from."""
    google_domains: GoogleDomains = Field(default_factory=list)
    """The Google Workspace domains (``hd``) the company's people sign in from."""
    email_domains: GoogleDomains = Field(default_factory=list)
    """The domains of the company's e-mail addresses: users are added only with these."""
    c4c_oauth: C4COAuthSettings | None = None
    """The C4C connection's OAuth client, when the tenant connects with OAuth."""
    exchange_sign_in: ExchangeSignIn = ExchangeSignIn.BASIC
    """Exchange Server: Basic over https, or Windows sign-in (NTLM)."""
    warn_days_before: WarnDays = Field(default_factory=lambda: [14, 3, 1])
    """How many days before a credential ends its warning is sent (and sent again)."""
    trend_failures: int = Field(default=3, ge=1, le=50)
    trend_runs: int = Field(default=5, ge=1, le=50)
    """Warn when ``trend_failures`` of a mailbox's last ``trend_runs`` runs failed."""
    digest_weekday: int = Field(default=0, ge=0, le=6)
    """The day the weekly health digest goes to key users (0 is Monday)."""
    digest_hour: int = Field(default=7, ge=0, le=23)
    """The hour (UTC) it goes out on that day."""
    c4c_password_expires_on: date | None = None
    """The day the SAP integration user's password ends, as the key user entered it."""
    microsoft_secret_expires_on: date | None = None
    """The day the secret (or certificate) of the Microsoft application access ends."""

    @model_validator(mode="after")
    def _trend_fits(self) -> TenantSettings:
        if self.trend_failures > self.trend_runs:
            raise ValueError(gettext("the failures of the trend cannot outnumber its runs"))
        return self

    def owns_address(self, email: str) -> bool:
        """Whether ``email`` is an address of one of the company's domains."""
        return email.rsplit("@", 1)[-1].lower() in self.email_domains

    def allows_directory(self, provider: str, directory: str | None) -> bool:
        """Whether people may sign in from ``directory`` (an Entra ``tid`` for ``microsoft``,
        a Workspace domain ``hd`` for ``google``)."""
        if not directory:
            return False
        if provider == "microsoft":
            return directory.lower() in self.entra_tenant_ids
        if provider == "google":
            return directory.lower() in self.google_domains
        return False

    def allows_any_directory(self, directory: str | None) -> bool:
        """Whether ``directory`` is one of the tenant's, of either provider (tenant ids and
        domains never look alike)."""
        return any(self.allows_directory(provider, directory) for provider in SIGN_IN_KINDS)


class Tenant(Base):
    __tablename__ = "tenant"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    c4c_base_url: Mapped[str | None] = mapped_column(String(500))
    """The C4C OData service; unset until a key user sets up the SAP connection."""
    c4c_auth: Mapped[C4CAuth] = mapped_column(
        Enum(C4CAuth, native_enum=False, length=16), default=C4CAuth.BASIC
    )
    c4c_username: Mapped[str | None] = mapped_column(String(200))
    c4c_credentials_encrypted: Mapped[str | None] = mapped_column(String(4000))
    mail_system: Mapped[MailSystem] = mapped_column(Enum(MailSystem, native_enum=False, length=32))
    mail_endpoint: Mapped[str | None] = mapped_column(String(500))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    c4c_refused_since: Mapped[datetime | None]
    """Since when C4C refuses the integration user: syncing pauses for the whole tenant until a
    connection test or a run gets through again."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def config(self) -> TenantSettings:
        """The settings, checked and with defaults filled in."""
        return TenantSettings.model_validate(self.settings or {})

    @config.setter
    def config(self, value: TenantSettings) -> None:
        self.settings = value.model_dump(mode="json")
