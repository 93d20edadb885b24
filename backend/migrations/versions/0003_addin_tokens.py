"""add-in tokens

Bearer tokens of the Outlook add-in: one row per sign-in, kept as a SHA-256 digest.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "addin_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_addin_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addin_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_addin_token_token_hash")),
    )
    with op.batch_alter_table("addin_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_addin_token_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("addin_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_addin_token_user_id"))
    op.drop_table("addin_token")
