"""Issue: one item (or one mailbox) that could not sync, kept until it is resolved.

At most one open issue exists per (mailbox, item, code); the database enforces it with a partial
unique index, and a repeat increments ``occurrences`` instead of opening another.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.types import Direction, IssueCode, ItemType
from backend.storage.db import Base, utcnow


class Source(StrEnum):
    C4C = "C4C"
    EXCHANGE = "EXCHANGE"
    GRAPH = "GRAPH"
    GMAIL = "GMAIL"
    ENGINE = "ENGINE"


class Operation(StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    READ = "READ"


class Resolution(StrEnum):
    AUTO = "AUTO"
    USER_FIX = "USER_FIX"
    KEY_USER = "KEY_USER"
    IGNORED = "IGNORED"


MAILBOX_LEVEL = ""
"""``item_key`` of issues about the whole mailbox rather than one item."""


def item_key(mailbox_item_id: str | None, c4c_object_id: str | None) -> str:
    """The identity of an item for issue de-duplication: mailbox id first, else the C4C id."""
    if mailbox_item_id:
        return f"mbx:{mailbox_item_id}"
    if c4c_object_id:
        return f"c4c:{c4c_object_id}"
    return MAILBOX_LEVEL


class Issue(Base):
    __tablename__ = "issue"
    __table_args__ = (
        Index(
            "uq_issue_open_per_item_code",
            "mailbox_id",
            "item_key",
            "code",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_issue_tenant_open", "tenant_id", "resolved_at", "item_type"),
        Index("ix_issue_mailbox_open", "mailbox_id", "resolved_at"),
        # The open listings (API, dashboard, admin panel) in their order, newest first.
        Index(
            "ix_issue_tenant_open_last_seen",
            "tenant_id",
            "last_seen_at",
            "id",
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index(
            "ix_issue_user_open_last_seen",
            "user_id",
            "last_seen_at",
            "id",
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailbox.id", ondelete="CASCADE"))
    item_type: Mapped[ItemType | None] = mapped_column(Enum(ItemType, native_enum=False, length=16))
    item_key: Mapped[str] = mapped_column(String(600), default=MAILBOX_LEVEL)
    mailbox_item_id: Mapped[str | None] = mapped_column(String(512))
    c4c_object_id: Mapped[str | None] = mapped_column(String(70))
    title: Mapped[str | None] = mapped_column(String(500))
    code: Mapped[IssueCode] = mapped_column(Enum(IssueCode, native_enum=False, length=20))
    source: Mapped[Source] = mapped_column(Enum(Source, native_enum=False, length=16))
    direction: Mapped[Direction | None] = mapped_column(
        Enum(Direction, native_enum=False, length=8)
    )
    operation: Mapped[Operation | None] = mapped_column(
        Enum(Operation, native_enum=False, length=8)
    )
    backend_code: Mapped[str | None] = mapped_column(String(200))
    backend_message: Mapped[str | None] = mapped_column(Text)
    message_words: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    """The product's own ``backend_message`` as its catalogue id and values
    (``{"id": ..., "values": {...}}``), worded in each reader's language where shown; ``None``
    when a backend said it (shown as it is)."""
    http_status: Mapped[int | None]
    fields: Mapped[list[str]] = mapped_column(default=list)
    action_title: Mapped[str | None] = mapped_column(String(200))
    action_text: Mapped[str | None] = mapped_column(Text)
    informational: Mapped[bool] = mapped_column(default=False)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    occurrences: Mapped[int] = mapped_column(default=1)
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[Resolution | None] = mapped_column(
        Enum(Resolution, native_enum=False, length=16)
    )

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
