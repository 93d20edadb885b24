"""Reading, writing and re-keying the credentials stored (encrypted) in the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.crypto import TokenCipher
from backend.models import Mailbox, Tenant

ENCRYPTED_COLUMNS = (
    (Mailbox, "credentials_encrypted"),
    (Tenant, "c4c_credentials_encrypted"),
)
"""Every column that holds an encrypted value; key rotation walks exactly these."""


ACCESS_ENDS = "refresh_expires_at"
"""The stored credentials' key for when a time-limited consent ends (seconds since the epoch)."""


def store_mailbox_credentials(
    mailbox: Mailbox, credentials: dict[str, Any] | None, cipher: TokenCipher
) -> None:
    """Store ``credentials`` encrypted, and when they end (if they say) beside them."""
    mailbox.credentials_encrypted = None if credentials is None else cipher.encrypt(credentials)
    ends = (credentials or {}).get(ACCESS_ENDS)
    mailbox.access_ends_at = (
        datetime.fromtimestamp(ends, UTC)
        if isinstance(ends, int | float) and not isinstance(ends, bool)
        else None
    )


def mailbox_credentials(mailbox: Mailbox, cipher: TokenCipher) -> dict[str, Any] | None:
    if mailbox.credentials_encrypted is None:
        return None
    return cipher.decrypt(mailbox.credentials_encrypted)


def store_c4c_credentials(
    tenant: Tenant, credentials: dict[str, Any] | None, cipher: TokenCipher
) -> None:
    tenant.c4c_credentials_encrypted = None if credentials is None else cipher.encrypt(credentials)


def c4c_credentials(tenant: Tenant, cipher: TokenCipher) -> dict[str, Any] | None:
    if tenant.c4c_credentials_encrypted is None:
        return None
    return cipher.decrypt(tenant.c4c_credentials_encrypted)


def rotate_all(session: Session, cipher: TokenCipher, batch_size: int = 500) -> int:
    """Re-encrypt every stored credential with the first key; returns how many were rewritten.

    Runs in batches and commits each, so a large table never holds one long transaction.

    Raises:
        CredentialsUnreadable: a value no configured key opens (nothing after it is rewritten).
    """
    rewritten = 0
    for model, column_name in ENCRYPTED_COLUMNS:
        column = getattr(model, column_name)
        last_id = 0
        while True:
            rows = session.scalars(
                select(model)
                .where(column.is_not(None), model.id > last_id)
                .order_by(model.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            for row in rows:
                setattr(row, column_name, cipher.rotate(getattr(row, column_name)))
                last_id = row.id
            session.commit()
            rewritten += len(rows)
    return rewritten
