"""catalog import jobs: an uploaded catalog file checked and written in the background, with its progress
and report.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_import_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_catalog_import_jobs_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_catalog_import_jobs_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_import_jobs")),
    )
    op.create_index(
        op.f("ix_catalog_import_jobs_organization_id"), "catalog_import_jobs", ["organization_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_catalog_import_jobs_organization_id"), table_name="catalog_import_jobs")
    op.drop_table("catalog_import_jobs")
