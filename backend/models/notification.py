"""Notification: every e-mail the product sends, stored so that none is sent twice."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.storage.db import Base, utcnow


class NotificationKind(StrEnum):
    FAILURE_THRESHOLD = "FAILURE_THRESHOLD"
    AUTH_FAILED = "AUTH_FAILED"
    REMINDER = "REMINDER"
    ALL_CLEAR = "ALL_CLEAR"
    PROVIDER_OUTAGE = "PROVIDER_OUTAGE"
    MASS_CHANGE_HELD = "MASS_CHANGE_HELD"
    SAP_REFUSED = "SAP_REFUSED"
    FOLDER_CHANGED = "FOLDER_CHANGED"
    WARNING = "WARNING"
    WEEKLY_DIGEST = "WEEKLY_DIGEST"
    MAILBOX_DISABLED = "MAILBOX_DISABLED"


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("kind", "incident_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    mailbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailbox.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[NotificationKind] = mapped_column(
        Enum(NotificationKind, native_enum=False, length=24)
    )
    incident_key: Mapped[str] = mapped_column(String(200))
    recipients: Mapped[list[str]] = mapped_column(default=list)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    """The same message as HTML, sent beside ``body`` when there is one."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempted_at: Mapped[datetime | None]
    """When a worker last took it to send (the claim, then each retry)."""
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
