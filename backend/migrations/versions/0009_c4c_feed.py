"""c4c_feed, c4c_record: each tenant's C4C read once for all its mailboxes; mailbox_item_state
reads it by sequence number (c4c_seq) instead of each mailbox reading C4C since a time; an index
of sync_item by C4C object for the fan-out

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "c4c_feed",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("entity_set", sa.String(length=64), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reconciled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_c4c_feed_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "entity_set", name=op.f("pk_c4c_feed")),
    )  # fmt: skip
    op.create_table(
        "c4c_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("entity_set", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=70), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(length=100), nullable=True),
        sa.Column("owner_id", sa.String(length=40), nullable=True),
        sa.Column("processor_id", sa.String(length=40), nullable=True),
        sa.Column("account_id", sa.String(length=20), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_c4c_record_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_c4c_record")),
        sa.UniqueConstraint(
            "tenant_id", "entity_set", "object_id",
            name=op.f("uq_c4c_record_tenant_id_entity_set_object_id"),
        ),
    )  # fmt: skip
    for name, column in (
        ("seq", "seq"), ("owner", "owner_id"), ("processor", "processor_id"),
        ("account", "account_id"),
    ):  # fmt: skip
        op.create_index(f"ix_c4c_record_{name}", "c4c_record", ["tenant_id", "entity_set", column])
    op.create_index("ix_sync_item_type_object", "sync_item", ["item_type", "c4c_object_id"])
    with op.batch_alter_table("sync_item") as batch_op:
        batch_op.add_column(
            sa.Column("from_sap", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("changed_here", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("mailbox_link", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("c4c_link", sa.String(length=64), nullable=True))
    with op.batch_alter_table("mailbox_item_state") as batch_op:
        batch_op.add_column(sa.Column("c4c_seq", sa.BigInteger(), nullable=True))
        batch_op.drop_column("c4c_since")


def downgrade() -> None:
    with op.batch_alter_table("mailbox_item_state") as batch_op:
        batch_op.add_column(sa.Column("c4c_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column("c4c_seq")
    with op.batch_alter_table("sync_item") as batch_op:
        batch_op.drop_column("c4c_link")
        batch_op.drop_column("mailbox_link")
        batch_op.drop_column("changed_here")
        batch_op.drop_column("from_sap")
    op.drop_index("ix_sync_item_type_object", table_name="sync_item")
    op.drop_table("c4c_record")
    op.drop_table("c4c_feed")
