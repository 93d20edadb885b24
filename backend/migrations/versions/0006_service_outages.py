"""service outages

Where a run's failure came from and its technical detail (``sync_run.error_source``,
``error_detail``), since when a mailbox fails and which side it blames (``mailbox.failing_since``,
``failing_source``), and how each service a tenant shares answered lately (``service_health``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCE = sa.Enum(
    "C4C", "EXCHANGE", "GRAPH", "GMAIL", "ENGINE", name="source", native_enum=False, length=16
)


def upgrade() -> None:
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error_detail", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("error_source", SOURCE, nullable=True))
    with op.batch_alter_table("mailbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("failing_source", SOURCE, nullable=True))
    op.create_table(
        "service_health",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=False),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("problem", sa.String(length=500), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_service_health_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "service", name=op.f("pk_service_health")),
    )


def downgrade() -> None:
    op.drop_table("service_health")
    with op.batch_alter_table("mailbox", schema=None) as batch_op:
        batch_op.drop_column("failing_source")
        batch_op.drop_column("failing_since")
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.drop_column("error_source")
        batch_op.drop_column("error_detail")
