"""issue listing indexes

Open issues of a tenant (key users) and of a user, newest ``last_seen_at`` first: partial
indexes in the listing's order, so a page (first or deep, by keyset) reads only its own rows
instead of sorting every open issue of the tenant. Partial on ``resolved_at IS NULL`` because
PostgreSQL does not keep an index's order after an ``IS NULL`` column, and because the open
listing is the one that is read all day.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("resolved_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.create_index(
            "ix_issue_tenant_open_last_seen",
            ["tenant_id", "last_seen_at", "id"],
            unique=False,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )
        batch_op.create_index(
            "ix_issue_user_open_last_seen",
            ["user_id", "last_seen_at", "id"],
            unique=False,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )


def downgrade() -> None:
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_issue_user_open_last_seen", sqlite_where=OPEN, postgresql_where=OPEN
        )
        batch_op.drop_index(
            "ix_issue_tenant_open_last_seen", sqlite_where=OPEN, postgresql_where=OPEN
        )
