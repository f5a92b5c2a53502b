"""catalog clock: one row counting committed catalog writes, so that every web process knows when the
search matches it keeps in memory are out of date; and on PostgreSQL each search row's writing
transaction (`changed`, indexed), so that a process brings what it keeps up to date by reading only the
rows written since.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UPGRADE = (
    "ALTER TABLE listing_search ADD COLUMN changed xid8 NOT NULL DEFAULT pg_current_xact_id()",
    "CREATE INDEX ix_listing_search_changed ON listing_search (changed)",
)


def upgrade() -> None:
    clock = op.create_table(
        "catalog_clock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_clock")),
    )
    op.bulk_insert(clock, [{"id": 1, "changes": 0}])
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE listing_search DROP COLUMN changed")
    op.drop_table("catalog_clock")
