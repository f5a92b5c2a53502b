"""outbox: the wallet a row funds, the block of its receipt (hash, indexed number), a short reason for users

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chain_outbox") as batch:
        batch.add_column(sa.Column("funds", sa.String(length=42), nullable=True))
        batch.add_column(sa.Column("block_hash", sa.String(length=66), nullable=True))
        batch.add_column(sa.Column("reason", sa.String(length=200), nullable=True))
        batch.create_index(batch.f("ix_chain_outbox_funds"), ["funds"], unique=False)
        batch.create_index(batch.f("ix_chain_outbox_block_number"), ["block_number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chain_outbox") as batch:
        batch.drop_index(batch.f("ix_chain_outbox_block_number"))
        batch.drop_index(batch.f("ix_chain_outbox_funds"))
        batch.drop_column("reason")
        batch.drop_column("block_hash")
        batch.drop_column("funds")
