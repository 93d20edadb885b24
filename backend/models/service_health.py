"""ServiceHealth: how a service a tenant shares (its C4C, its Exchange server) answered lately.

Fed by the runs: a run that reached the service stamps ``last_ok_at`` (unless one did in the last
half minute) and ends an outage; a run that gave up on it for want of an answer starts one
(``failing_since``) with the words people read (``problem``) and the technical detail key users
and the log get (``detail``). The Status page and the admin panel read it; the circuit that makes
the tenant's other runs skip the service meanwhile lives in Redis (:mod:`backend.sync.circuit`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.storage.db import Base


class ServiceHealth(Base):
    __tablename__ = "service_health"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True
    )
    service: Mapped[str] = mapped_column(String(16), primary_key=True)
    """``C4C`` or ``EWS`` (see ``backend.sync.services``)."""
    last_ok_at: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]
    problem: Mapped[str | None] = mapped_column(String(500))
    detail: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime | None]

    @property
    def failing(self) -> bool:
        return self.failing_since is not None
