"""trade documents: bills of lading and dispute evidence, by SHA-256

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trade_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trade_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=66), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_org_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["trade_id"], ["trades.id"], name=op.f("fk_trade_documents_trade_id_trades")),
        sa.ForeignKeyConstraint(
            ["uploaded_by_org_id"],
            ["organizations.id"],
            name=op.f("fk_trade_documents_uploaded_by_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_documents")),
    )
    with op.batch_alter_table("trade_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trade_documents_trade_id"), ["trade_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("trade_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trade_documents_trade_id"))
    op.drop_table("trade_documents")
