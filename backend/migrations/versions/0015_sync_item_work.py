"""sync_item: partial indexes of the items with work of their own and of the marked ones, so an
idle run finds them without reading every item of the mailbox

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The conditions as the model states them when this revision was written (a migration does not
# follow later edits of the model).
HAS_WORK = "mailbox_item_id IS NULL OR missing_side IS NOT NULL OR state <> 'SYNCED'"
MARKED = "marker_detail IS NOT NULL"


def upgrade() -> None:
    for name, columns, condition in (
        ("ix_sync_item_work", ["mailbox_id", "item_type"], HAS_WORK),
        ("ix_sync_item_marked", ["mailbox_id"], MARKED),
    ):
        where = sa.text(condition)
        op.create_index(name, "sync_item", columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index("ix_sync_item_marked", table_name="sync_item")
    op.drop_index("ix_sync_item_work", table_name="sync_item")
