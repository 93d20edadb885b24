"""SyncItem: the pairing of one mailbox item with one C4C object, with their change markers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    Select,
    String,
    TextClause,
    UniqueConstraint,
    false,
    select,
    text,
    union,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.types import ItemType
from backend.storage.db import Base, utcnow


class SyncItemState(StrEnum):
    PENDING = "PENDING"
    SYNCED = "SYNCED"
    FAILED = "FAILED"
    MISSING = "MISSING"


HAS_WORK = (
    f"mailbox_item_id IS NULL OR missing_side IS NOT NULL OR state <> '{SyncItemState.SYNCED}'"
)
"""An item with work of its own whatever either side did (a copy or create not finished, a side
missing, a failure to retry): the condition of a partial index, so a run finds these few among a
mailbox's many by the index, and a query uses it only when it states the condition word for
word (``has_work``). ``state`` holds the enum's names (``native_enum=False``)."""
MARKED = "marker_detail IS NOT NULL"
"""An item whose mailbox copy carries markers (a partial index likewise)."""


def has_work() -> TextClause:
    """``HAS_WORK`` as a query's condition, in the words that let the database use its index."""
    return text(f"({HAS_WORK})")


class SyncItem(Base):
    __tablename__ = "sync_item"
    __table_args__ = (
        UniqueConstraint("mailbox_id", "item_type", "mailbox_item_id"),
        UniqueConstraint("mailbox_id", "item_type", "c4c_object_id"),
        UniqueConstraint("external_id"),
        Index("ix_sync_item_mailbox_state", "mailbox_id", "state"),
        Index("ix_sync_item_type_object", "item_type", "c4c_object_id"),
        Index("ix_sync_item_work", "mailbox_id", "item_type",
              sqlite_where=text(HAS_WORK), postgresql_where=text(HAS_WORK)),
        Index("ix_sync_item_marked", "mailbox_id",
              sqlite_where=text(MARKED), postgresql_where=text(MARKED)),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailbox.id", ondelete="CASCADE"))
    item_type: Mapped[ItemType] = mapped_column(Enum(ItemType, native_enum=False, length=16))
    state: Mapped[SyncItemState] = mapped_column(
        Enum(SyncItemState, native_enum=False, length=16), default=SyncItemState.PENDING
    )
    mailbox_item_id: Mapped[str | None] = mapped_column(String(512))
    mailbox_change_key: Mapped[str | None] = mapped_column(String(512))
    c4c_object_id: Mapped[str | None] = mapped_column(String(70))
    c4c_etag: Mapped[str | None] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(80))
    title: Mapped[str | None] = mapped_column(String(500))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    """The fingerprint both sides held when they last agreed (``None``: they never have)."""
    mailbox_hash: Mapped[str | None] = mapped_column(String(64))
    """The fingerprint of the mailbox's version as last read or written."""
    c4c_hash: Mapped[str | None] = mapped_column(String(64))
    """The fingerprint of C4C's version as last read or written."""
    marker_detail: Mapped[str | None] = mapped_column(String(200))
    """The marker words set on the mailbox item now (``None``: no markers); see ``markers``."""
    missing_side: Mapped[str | None] = mapped_column(String(8))
    """``MAILBOX`` or ``C4C`` once a run found that side gone, ``SCOPE`` once the C4C record of a
    copy from SAP is no longer the user's; the copy waits one more run."""
    from_sap: Mapped[bool] = mapped_column(default=False, server_default=false())
    """The mailbox item is a copy the sync made of a C4C record of the user's."""
    changed_here: Mapped[bool] = mapped_column(default=False, server_default=false())
    """A copy from SAP the user has changed in the mailbox since (it is never removed)."""
    mailbox_link: Mapped[str | None] = mapped_column(String(64))
    """The fingerprint of the account the mailbox item names (a contact's company), as last
    read or written; ``None`` until known."""
    c4c_link: Mapped[str | None] = mapped_column(String(64))
    """The fingerprint of the account C4C links the object to (``AccountID``), likewise."""
    agreed_mailbox_link: Mapped[str | None] = mapped_column(String(64))
    """``mailbox_link`` when both sides last agreed (written, or found alike); a refused write
    or a marker change read since leaves it. ``None`` until known."""
    missed_runs: Mapped[int] = mapped_column(default=0)
    temporary_failures: Mapped[int] = mapped_column(default=0)
    last_synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def items_among(parts: list[Select[tuple[int]]]) -> Select[tuple[SyncItem]]:
    """The items whose id one of ``parts`` selects: each part a query of ids an index answers,
    where one condition joining them with ``OR`` would make the database read every item."""
    return select(SyncItem).where(SyncItem.id.in_(union(*parts) if len(parts) > 1 else parts[0]))


def synced_values(content_hash: str, now: datetime) -> dict[str, Any]:
    """The columns of an item both of whose sides hold the values fingerprinted by
    ``content_hash`` since ``now``: the next run compares each side with that fingerprint, so
    it sees no change to write."""
    return {
        "state": SyncItemState.SYNCED,
        "content_hash": content_hash,
        "mailbox_hash": content_hash,
        "c4c_hash": content_hash,
        "missing_side": None,
        "missed_runs": 0,
        "temporary_failures": 0,
        "last_synced_at": now,
    }
