"""sign-in directories and session generations

Each user remembers the directory its sign-in identity came from (``oidc_directory``) and a
session generation, raised to end every session of the user. A tenant's Google Workspace
domains move from the unused ``tenant.google_domain`` column into its settings
(``google_domains``, beside ``entra_tenant_ids``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_tenant = sa.table(
    "tenant",
    sa.column("id", sa.Integer()),
    sa.column("google_domain", sa.String()),
    sa.column("settings", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oidc_directory", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_tenant.c.id, _tenant.c.google_domain, _tenant.c.settings).where(
            _tenant.c.google_domain.is_not(None)
        )
    ).all()
    for tenant_id, domain, settings in rows:
        moved = {**(settings or {}), "google_domains": [domain.strip().lower()]}
        connection.execute(
            sa.update(_tenant).where(_tenant.c.id == tenant_id).values(settings=moved)
        )
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_column("google_domain")


def downgrade() -> None:
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("google_domain", sa.String(length=200), nullable=True))
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
        batch_op.drop_column("oidc_directory")
