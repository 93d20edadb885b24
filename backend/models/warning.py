"""SyncWarning: something that will break a mailbox's (or the whole company's) sync if nobody
acts, raised before it does: a credential that ends on a known day, failures rising, issues
piling up unseen. At most one is open per (tenant, scope, kind); it resolves itself when its
cause goes, as issues do.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.storage.db import Base, utcnow


class WarningKind(StrEnum):
    GOOGLE_CONSENT_ENDS = "GOOGLE_CONSENT_ENDS"
    """The mailbox's Google consent (its refresh token) ends on a known day."""
    MICROSOFT_SECRET_ENDS = "MICROSOFT_SECRET_ENDS"
    """The secret or certificate of the company's Microsoft application access ends."""
    C4C_PASSWORD_ENDS = "C4C_PASSWORD_ENDS"
    """The password of the company's SAP integration user ends."""
    FAILURES_RISING = "FAILURES_RISING"
    """Runs of the mailbox fail more often than they used to (before the failure notice)."""
    ISSUES_UNSEEN = "ISSUES_UNSEEN"
    """Issues older than a week pile up for a user who does not look at them."""


TENANT_SCOPE = "tenant"
"""``scope`` of a warning about the whole company rather than one mailbox."""


def mailbox_scope(mailbox_id: int) -> str:
    return f"mailbox:{mailbox_id}"


class SyncWarning(Base):
    __tablename__ = "sync_warning"
    __table_args__ = (
        Index(
            "uq_sync_warning_open",
            "tenant_id",
            "scope",
            "kind",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_sync_warning_mailbox_open", "mailbox_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("mailbox.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(40))
    """``mailbox_id`` spelled for the unique index of open warnings (``tenant`` or
    ``mailbox:<id>``): a unique index treats NULLs as distinct, so the company's own warnings
    would not be held to one each."""
    kind: Mapped[WarningKind] = mapped_column(Enum(WarningKind, native_enum=False, length=32))
    ends_at: Mapped[datetime | None]
    """When the credential ends (credential warnings)."""
    detail: Mapped[str] = mapped_column(Text)
    """What was seen, in English words (``"3 of the last 5 runs failed"``), as the audit log
    keeps it."""
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    """What was seen, as data (``{"failed": 3, "runs": 5, "address": ...}``): pages and e-mails
    word it in their reader's language. ``None`` for a warning opened before facts were kept
    (its ``detail`` is shown as it is)."""
    step: Mapped[int | None]
    """The last step notified: days before the end for credentials, 0 for the others."""
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
