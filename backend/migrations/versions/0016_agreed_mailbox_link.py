"""sync_item: the account the mailbox item named when both sides last agreed, which a refused
write or a marker change does not move (a company cleared since then takes a contact out of
its account, one never named leaves C4C's as it is)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_item") as batch_op:
        batch_op.add_column(sa.Column("agreed_mailbox_link", sa.String(length=64), nullable=True))
    # The best known: the company as last read (a refusal before the upgrade is not told apart).
    op.execute("UPDATE sync_item SET agreed_mailbox_link = mailbox_link")


def downgrade() -> None:
    with op.batch_alter_table("sync_item") as batch_op:
        batch_op.drop_column("agreed_mailbox_link")
