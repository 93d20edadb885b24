"""sync_warning.facts, issue.message_words, sync_run.error_words, mailbox.status_words: what the
product says, kept as data and worded in each reader's language

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_warning") as batch_op:
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=True))
    with op.batch_alter_table("issue") as batch_op:
        batch_op.add_column(sa.Column("message_words", sa.JSON(), nullable=True))
    with op.batch_alter_table("sync_run") as batch_op:
        batch_op.add_column(sa.Column("error_words", sa.JSON(), nullable=True))
    with op.batch_alter_table("mailbox") as batch_op:
        batch_op.add_column(sa.Column("status_words", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mailbox") as batch_op:
        batch_op.drop_column("status_words")
    with op.batch_alter_table("sync_run") as batch_op:
        batch_op.drop_column("error_words")
    with op.batch_alter_table("issue") as batch_op:
        batch_op.drop_column("message_words")
    with op.batch_alter_table("sync_warning") as batch_op:
        batch_op.drop_column("facts")
