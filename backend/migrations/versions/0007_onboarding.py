"""onboarding: invitations, removed users, C4C employees, a tenant's e-mail domains

A tenant can exist before its SAP connection is set up (``tenant.c4c_base_url`` may be empty)
and remembers since when C4C refuses its integration user (``c4c_refused_since``: syncing pauses
for the whole tenant until a key user fixes the connection). Users are invited by a single-use
link (``invitation``), matched to their C4C employee (``c4c_employee_id``) and removed without
losing their issues and audit at once (``removed_at``). Each tenant's settings name the e-mail
domains its people have (``email_domains``), filled here from the users it already has.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_tenant = sa.table(
    "tenant",
    sa.column("id", sa.Integer()),
    sa.column("settings", sa.JSON()),
    sa.column("c4c_base_url", sa.String()),
)
_user = sa.table(
    "user_account", sa.column("tenant_id", sa.Integer()), sa.column("email", sa.String())
)


def upgrade() -> None:
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.alter_column("c4c_base_url", existing_type=sa.String(length=500), nullable=True)
        batch_op.add_column(
            sa.Column("c4c_refused_since", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("c4c_employee_id", sa.String(length=40), nullable=True))
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_invitation_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_invitation_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitation_user_id"), ["user_id"], unique=False)
    _fill_email_domains(op.get_bind())


def _fill_email_domains(connection: sa.Connection) -> None:
    domains: dict[int, list[str]] = {}
    for tenant_id, email in connection.execute(sa.select(_user.c.tenant_id, _user.c.email)):
        found = domains.setdefault(tenant_id, [])
        domain = email.rsplit("@", 1)[-1].lower()
        if domain not in found:
            found.append(domain)
    for tenant_id, settings in connection.execute(sa.select(_tenant.c.id, _tenant.c.settings)):
        settings = dict(settings or {})
        if settings.get("email_domains"):
            continue
        known = [*domains.get(tenant_id, []), *settings.get("google_domains", [])]
        settings["email_domains"] = sorted(dict.fromkeys(known))
        connection.execute(
            sa.update(_tenant).where(_tenant.c.id == tenant_id).values(settings=settings)
        )


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_user_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_tenant_id"))
    op.drop_table("invitation")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("c4c_employee_id")
        batch_op.drop_column("removed_at")
    op.get_bind().execute(
        sa.update(_tenant).where(_tenant.c.c4c_base_url.is_(None)).values(c4c_base_url="")
    )
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_column("c4c_refused_since")
        batch_op.alter_column("c4c_base_url", existing_type=sa.String(length=500), nullable=False)
