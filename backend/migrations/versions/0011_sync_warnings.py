"""sync_warning: warnings raised before a sync breaks (credentials ending, failures rising,
issues piling up unseen); user_account.last_dashboard_at and weekly_digest; mailbox.access_ends_at;
notification.html (the weekly digest is sent as HTML and text) and attempted_at (a retry claims
a notice before it sends it)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND = sa.Enum(
    "GOOGLE_CONSENT_ENDS", "MICROSOFT_SECRET_ENDS", "C4C_PASSWORD_ENDS", "FAILURES_RISING",
    "ISSUES_UNSEEN", name="warningkind", native_enum=False, length=32,
)  # fmt: skip


WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sync_warning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("kind", KIND, nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_sync_warning_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mailbox_id"], ["mailbox.id"], name=op.f("fk_sync_warning_mailbox_id_mailbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_warning")),
    )  # fmt: skip
    op.create_index("ix_sync_warning_tenant_id", "sync_warning", ["tenant_id"])
    op.create_index("ix_sync_warning_mailbox_open", "sync_warning", ["mailbox_id", "resolved_at"])
    op.create_index(
        "uq_sync_warning_open", "sync_warning", ["tenant_id", "scope", "kind"], unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )  # fmt: skip
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("last_dashboard_at", WHEN, nullable=True))
        batch_op.add_column(
            sa.Column("weekly_digest", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("notification") as batch_op:
        batch_op.add_column(sa.Column("html", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("attempted_at", WHEN, nullable=True))
    with op.batch_alter_table("mailbox") as batch_op:
        batch_op.add_column(sa.Column("access_ends_at", WHEN, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mailbox") as batch_op:
        batch_op.drop_column("access_ends_at")
    with op.batch_alter_table("notification") as batch_op:
        batch_op.drop_column("attempted_at")
        batch_op.drop_column("html")
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_column("weekly_digest")
        batch_op.drop_column("last_dashboard_at")
    op.drop_index("uq_sync_warning_open", table_name="sync_warning")
    op.drop_index("ix_sync_warning_mailbox_open", table_name="sync_warning")
    op.drop_index("ix_sync_warning_tenant_id", table_name="sync_warning")
    op.drop_table("sync_warning")
