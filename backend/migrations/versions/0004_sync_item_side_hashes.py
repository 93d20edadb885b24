"""what each side of a synced item holds

A fingerprint per side beside the one both sides agreed on, so a row C4C sends again, or a
mailbox change that C4C refused, is never taken for a new change. Existing pairs start from
what they agreed on.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mailbox_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("c4c_hash", sa.String(length=64), nullable=True))
    op.execute("UPDATE sync_item SET mailbox_hash = content_hash, c4c_hash = content_hash")


def downgrade() -> None:
    with op.batch_alter_table("sync_item", schema=None) as batch_op:
        batch_op.drop_column("c4c_hash")
        batch_op.drop_column("mailbox_hash")
