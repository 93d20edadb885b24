"""Mailbox connection: one user's mailbox, its credentials, health and per-type progress.

Health (``status``) and progress (``stage`` per item type) are separate fields; every change to
either goes through :mod:`backend.sync.status`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.issue import Source
from backend.models.types import ItemType
from backend.storage.db import Base, utcnow


class Provider(StrEnum):
    """The protocol that reaches the mailbox."""

    EXCHANGE = "EXCHANGE"
    GRAPH = "GRAPH"
    GMAIL = "GMAIL"


class HealthStatus(StrEnum):
    NOT_SYNCED = "NOT_SYNCED"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    FAILED_AUTH = "FAILED_AUTH"
    FAILED_UNKNOWN = "FAILED_UNKNOWN"
    DISABLED = "DISABLED"


class Stage(StrEnum):
    PENDING = "PENDING"
    SCHEDULED = "SCHEDULED"
    ONGOING = "ONGOING"


class Mailbox(Base):
    __tablename__ = "mailbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    provider: Mapped[Provider] = mapped_column(Enum(Provider, native_enum=False, length=16))
    address: Mapped[str] = mapped_column(String(320), unique=True)
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    access_ends_at: Mapped[datetime | None]
    """When the stored access ends whatever the sync does (a time-limited consent), if known;
    kept beside the encrypted credentials so warnings need not open them."""
    status: Mapped[HealthStatus] = mapped_column(
        Enum(HealthStatus, native_enum=False, length=16), default=HealthStatus.NOT_SYNCED
    )
    status_reason: Mapped[str | None] = mapped_column(String(500))
    status_words: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    """The product's own ``status_reason`` as its catalogue id and values (``None``: a
    backend's words, or none)."""
    paused_at: Mapped[datetime | None]
    last_synced_at: Mapped[datetime | None]
    next_sync_at: Mapped[datetime | None] = mapped_column(index=True)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    failing_since: Mapped[datetime | None]
    """When the runs began to fail (the first failed run since the last good one)."""
    failing_source: Mapped[Source | None] = mapped_column(
        Enum(Source, native_enum=False, length=16)
    )
    """The side the last failed run blamed: C4C, the mail system, or the engine."""
    auth_failed_at: Mapped[datetime | None]
    last_forced_at: Mapped[datetime | None]
    mass_change_approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item_states: Mapped[list[MailboxItemState]] = relationship(
        back_populates="mailbox",
        cascade="all, delete-orphan",
        order_by="MailboxItemState.item_type",
    )

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def item_state(self, item_type: ItemType) -> MailboxItemState:
        """The progress row of ``item_type``, created on first use."""
        for state in self.item_states:
            if state.item_type is item_type:
                return state
        state = MailboxItemState(item_type=item_type)
        self.item_states.append(state)
        return state


class MailboxItemState(Base):
    """Progress of one item type of one mailbox: stage, cursors and last good sync."""

    __tablename__ = "mailbox_item_state"

    mailbox_id: Mapped[int] = mapped_column(
        ForeignKey("mailbox.id", ondelete="CASCADE"), primary_key=True
    )
    item_type: Mapped[ItemType] = mapped_column(
        Enum(ItemType, native_enum=False, length=16), primary_key=True
    )
    stage: Mapped[Stage] = mapped_column(
        Enum(Stage, native_enum=False, length=16), default=Stage.PENDING
    )
    stage_started_at: Mapped[datetime | None]
    cursor: Mapped[str | None] = mapped_column(Text)
    c4c_seq: Mapped[int | None] = mapped_column(BigInteger)
    """The tenant's C4C feed read up to this sequence number (``None``: never)."""
    last_synced_at: Mapped[datetime | None]
    creating: Mapped[int | None]
    """How many items the run in progress creates (either way); ``None`` outside one."""
    created: Mapped[int] = mapped_column(default=0)
    """How many of those it has created so far (the dashboard's "N of M")."""

    mailbox: Mapped[Mailbox] = relationship(back_populates="item_states")
