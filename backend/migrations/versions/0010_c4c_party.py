"""c4c_party: the employees an account's team or an appointment's parties make a record theirs
too; the feeds of accounts and appointments read again in full to fill it (ETags kept);
mailbox_item_state counts the creates of the run in progress (creating, created)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITH_PARTIES = ("CorporateAccountCollection", "AppointmentCollection")


def upgrade() -> None:
    op.create_table(
        "c4c_party",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["c4c_record.id"], name=op.f("fk_c4c_party_record_id_c4c_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "employee_id", name=op.f("pk_c4c_party")),
    )  # fmt: skip
    op.create_index("ix_c4c_party_employee", "c4c_party", ["employee_id"])
    # The kept versions of these sets lack their parties: read them again in full. ETags are
    # kept, so an unchanged record only gets its parties (no new number: no mailbox takes it
    # for a change), unless it is now also someone else's (see feed._keep's refill).
    feed = sa.table("c4c_feed", sa.column("entity_set"), sa.column("since"))
    op.execute(feed.update().where(feed.c.entity_set.in_(WITH_PARTIES)).values(since=None))
    with op.batch_alter_table("mailbox_item_state") as batch_op:
        batch_op.add_column(sa.Column("creating", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("created", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("mailbox_item_state") as batch_op:
        batch_op.drop_column("created")
        batch_op.drop_column("creating")
    op.drop_index("ix_c4c_party_employee", table_name="c4c_party")
    op.drop_table("c4c_party")
