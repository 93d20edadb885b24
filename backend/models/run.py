"""Run: one sync run of one mailbox, with its outcome and statistics."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.issue import Source
from backend.models.types import IssueCode
from backend.storage.db import Base, utcnow


class RunOutcome(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    HELD = "HELD"
    INTERRUPTED = "INTERRUPTED"


class Trigger(StrEnum):
    SCHEDULE = "SCHEDULE"
    FORCED = "FORCED"
    CLI = "CLI"
    SAVE_DIALOG = "SAVE_DIALOG"


class Run(Base):
    __tablename__ = "sync_run"
    __table_args__ = (Index("ix_sync_run_mailbox_started", "mailbox_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailbox.id", ondelete="CASCADE"))
    trigger: Mapped[Trigger] = mapped_column(Enum(Trigger, native_enum=False, length=16))
    job_id: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[RunOutcome] = mapped_column(
        Enum(RunOutcome, native_enum=False, length=16), default=RunOutcome.RUNNING
    )
    error_code: Mapped[IssueCode | None] = mapped_column(
        Enum(IssueCode, native_enum=False, length=20)
    )
    error_message: Mapped[str | None] = mapped_column(Text)
    """What went wrong, in words people read (no exception text)."""
    error_words: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    """The product's own ``error_message`` as its catalogue id and values, worded in each
    reader's language (``None``: a backend's words, shown as said)."""
    error_detail: Mapped[str | None] = mapped_column(Text)
    """The technical detail behind ``error_message``, for the log and the admin panel."""
    error_source: Mapped[Source | None] = mapped_column(Enum(Source, native_enum=False, length=16))
    """The side that failed the run: C4C, the mail system, or the engine itself."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    """When a scheduled run was due: ``started_at - due_at`` is its scheduling lag."""
    finished_at: Mapped[datetime | None]
    items_read: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    deleted: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    issues_opened: Mapped[int] = mapped_column(default=0)
    issues_resolved: Mapped[int] = mapped_column(default=0)
    requests: Mapped[int] = mapped_column(default=0)
    read_in_full: Mapped[str | None] = mapped_column(String(100))
    """The item types (comma-separated) read in full because the mail system no longer knew
    where the last run had stopped (``CURSOR_INVALID``): not an issue, nothing is lost."""

    @property
    def types_read_in_full(self) -> list[str]:
        return self.read_in_full.split(",") if self.read_in_full else []

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
