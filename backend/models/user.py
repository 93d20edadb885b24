"""User: a person of a tenant who signs in; a sales person or a key user."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from backend.storage.db import Base, utcnow


class Role(StrEnum):
    USER = "USER"
    KEY_USER = "KEY_USER"


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16), default=Role.USER)
    oidc_issuer: Mapped[str | None] = mapped_column(String(500))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    oidc_directory: Mapped[str | None] = mapped_column(String(255))
    """The directory the bound identity signed in from (Entra ``tid`` or Google ``hd``)."""
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    """Raised to end every signed-in session of the user (sign-out, revoked access)."""
    last_login_at: Mapped[datetime | None]
    last_addin_use_at: Mapped[datetime | None]
    weekly_digest: Mapped[bool] = mapped_column(default=True, server_default=true())
    """A key user gets the weekly health digest unless they opt out."""
    last_dashboard_at: Mapped[datetime | None]
    """When the user last opened the Synchronization Dashboard (written at most hourly)."""
    language: Mapped[str | None] = mapped_column(String(8))
    """The language the user chose for pages and e-mails (``en``, ``de``); unset: the browser's
    (e-mails: English)."""
    time_zone: Mapped[str | None] = mapped_column(String(64))
    """The IANA time zone the user chose for times on pages and in e-mails; unset: UTC."""
    c4c_employee_id: Mapped[str | None] = mapped_column(String(40))
    """The user's employee in C4C (``EmployeeCollection``, matched by e-mail address)."""
    removed_at: Mapped[datetime | None]
    """When a key user removed the user: no sign-in, no sync; issues and audit stay until the
    retention ends."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_key_user(self) -> bool:
        return self.role is Role.KEY_USER

    def end_sessions(self) -> None:
        """End every signed-in session of the user, on every device (they sign in again)."""
        self.session_generation = (self.session_generation or 0) + 1
