"""AddinToken: a short-lived bearer token the Outlook add-in holds for one signed-in user."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.storage.db import Base, utcnow


class AddinToken(Base):
    """Only the SHA-256 of the token is kept: a leaked table grants nothing.

    A token opens the add-in API and nothing else (not the dashboard, not ``/api/v1``); it
    ends at ``expires_at``, when the user signs out of the add-in, or when it is revoked.
    """

    __tablename__ = "addin_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client: Mapped[str] = mapped_column(String(32))
    """Which add-in asked for it (``outlook``)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
