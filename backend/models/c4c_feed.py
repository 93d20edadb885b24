"""What a tenant's C4C holds of the entity sets it syncs, read once for all its mailboxes.

``C4CFeed`` is one entity set's read position for one tenant: where C4C's delta continues (by
C4C's own clock) and the sequence number of the last change kept. ``C4CRecord`` is the newest
version read of each object: its values, who it belongs to in SAP (owner, processor, and as
``C4CParty`` the members of an account's team or an appointment's parties), its account, and
the sequence number of the read that last changed it. A mailbox's run asks for the
records with a sequence number above its own cursor that concern it (linked to its items, or
its user's in SAP), so C4C is read once per tenant and entity set, not once per mailbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.storage.db import Base


class C4CFeed(Base):
    __tablename__ = "c4c_feed"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True
    )
    entity_set: Mapped[str] = mapped_column(String(64), primary_key=True)
    since: Mapped[datetime | None]
    """The newest ``EntityLastChangedOn`` read (``None``: the set was never read in full)."""
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    """The sequence number of the last change kept."""
    read_at: Mapped[datetime | None]
    """When C4C was last read for this set (by our clock)."""
    reconciled_at: Mapped[datetime | None]
    """When every kept object was last looked up in C4C, to find those deleted there."""


class C4CRecord(Base):
    __tablename__ = "c4c_record"
    __table_args__ = (
        UniqueConstraint("tenant_id", "entity_set", "object_id"),
        Index("ix_c4c_record_seq", "tenant_id", "entity_set", "seq"),
        Index("ix_c4c_record_owner", "tenant_id", "entity_set", "owner_id"),
        Index("ix_c4c_record_processor", "tenant_id", "entity_set", "processor_id"),
        Index("ix_c4c_record_account", "tenant_id", "entity_set", "account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    entity_set: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(70))
    seq: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str | None] = mapped_column(String(100))
    owner_id: Mapped[str | None] = mapped_column(String(40))
    """The employee who owns it in SAP (``OwnerID``, ``OwnerPartyID``)."""
    processor_id: Mapped[str | None] = mapped_column(String(40))
    """The employee who processes it (a task's ``ProcessorPartyID``)."""
    account_id: Mapped[str | None] = mapped_column(String(20))
    """The account it belongs to (``AccountID``; an account's own)."""
    values: Mapped[dict[str, Any]]
    """The properties read, date-times as ``{"$dt": ISO 8601}``."""
    deleted_at: Mapped[datetime | None]
    """When a reconcile found it gone from C4C (its delta never says)."""


class C4CParty(Base):
    """An employee a record is theirs too: a member of an account's team, a party of an
    appointment (its owner and processor are columns of the record)."""

    __tablename__ = "c4c_party"
    __table_args__ = (Index("ix_c4c_party_employee", "employee_id"),)

    record_id: Mapped[int] = mapped_column(
        ForeignKey("c4c_record.id", ondelete="CASCADE"), primary_key=True
    )
    employee_id: Mapped[str] = mapped_column(String(40), primary_key=True)
