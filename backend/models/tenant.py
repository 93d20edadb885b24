"""Tenant: a company with its C4C system, its mail system and its settings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, utcnow
from backend.models.types import Direction, ItemType, MailSystem


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


class ItemTypeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    direction: Direction = Direction.BOTH
    conflict_policy: ConflictPolicy = ConflictPolicy.NEWER_WINS


def _default_item_types() -> dict[ItemType, ItemTypeSettings]:
    types = {item_type: ItemTypeSettings() for item_type in ItemType}
    types[ItemType.EMAIL] = ItemTypeSettings(direction=Direction.UP)
    return types


ENTRA_TENANT = r"^[0-9A-Za-z.-]{1,64}$"
"""A Microsoft Entra tenant as a token endpoint's path names it: its id or a domain."""


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
    """Exchange Online with application permissions: the company's Microsoft Entra tenant (id
    or domain), whose administrator granted our app access to the mailboxes; unset, each user
    consents for their own mailbox."""


class Tenant(Base):
    __tablename__ = "tenant"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    c4c_base_url: Mapped[str] = mapped_column(String(500))
    c4c_auth: Mapped[C4CAuth] = mapped_column(
        Enum(C4CAuth, native_enum=False, length=16), default=C4CAuth.BASIC
    )
    c4c_username: Mapped[str | None] = mapped_column(String(200))
    c4c_credentials_encrypted: Mapped[str | None] = mapped_column(String(4000))
    mail_system: Mapped[MailSystem] = mapped_column(Enum(MailSystem, native_enum=False, length=32))
    mail_endpoint: Mapped[str | None] = mapped_column(String(500))
    google_domain: Mapped[str | None] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def config(self) -> TenantSettings:
        """The settings, checked and with defaults filled in."""
        return TenantSettings.model_validate(self.settings or {})

    @config.setter
    def config(self, value: TenantSettings) -> None:
        self.settings = value.model_dump(mode="json")
