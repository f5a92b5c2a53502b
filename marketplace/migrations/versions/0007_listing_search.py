"""listing search: one row per listing with what buyer search filters and sorts by, and a full-text index
over the search terms of every translation: a GIN-indexed tsvector column on PostgreSQL, the FTS5 table
`listing_fts` (kept in step by triggers) on SQLite. Existing listings are indexed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PG_TERMS = (
    "ALTER TABLE listing_search ADD COLUMN terms tsvector GENERATED ALWAYS AS ("
    "setweight(array_to_tsvector(string_to_array(title_terms, ' ')), 'A')"
    " || array_to_tsvector(string_to_array(body_terms, ' '))) STORED"
)
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE listing_fts USING fts5(title_terms, body_terms, content='listing_search',"
    " content_rowid='listing_id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER listing_search_ai AFTER INSERT ON listing_search BEGIN"
    " INSERT INTO listing_fts(rowid, title_terms, body_terms) VALUES (new.listing_id, new.title_terms, new.body_terms);"
    " END",
    "CREATE TRIGGER listing_search_ad AFTER DELETE ON listing_search BEGIN"
    " INSERT INTO listing_fts(listing_fts, rowid, title_terms, body_terms)"
    " VALUES ('delete', old.listing_id, old.title_terms, old.body_terms); END",
    "CREATE TRIGGER listing_search_au AFTER UPDATE ON listing_search BEGIN"
    " INSERT INTO listing_fts(listing_fts, rowid, title_terms, body_terms)"
    " VALUES ('delete', old.listing_id, old.title_terms, old.body_terms);"
    " INSERT INTO listing_fts(rowid, title_terms, body_terms) VALUES (new.listing_id, new.title_terms, new.body_terms);"
    " END",
)


def upgrade() -> None:
    op.create_table(
        "listing_search",
        sa.Column("listing_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=2), nullable=False),
        sa.Column("hs_code", sa.String(length=10), nullable=False),
        sa.Column("incoterms", sa.Integer(), nullable=False),
        sa.Column("moq", sa.Integer(), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("price_eur_micro", sa.BigInteger(), nullable=False),
        sa.Column("published_us", sa.BigInteger(), nullable=False),
        sa.Column("title_terms", sa.Text(), nullable=False),
        sa.Column("body_terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_listing_search_listing_id_listings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("listing_id", name=op.f("pk_listing_search")),
    )
    for column in ("organization_id", "category_id", "origin", "hs_code"):
        op.create_index(op.f(f"ix_listing_search_{column}"), "listing_search", [column], unique=False)
    op.create_index("ix_listing_search_newest", "listing_search", ["published_us", "listing_id"], unique=False)
    op.create_index("ix_listing_search_price", "listing_search", ["price_eur_micro", "listing_id"], unique=False)
    op.create_index("ix_listing_search_lead_time", "listing_search", ["lead_time_days", "listing_id"], unique=False)
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute(PG_TERMS)
        op.execute("CREATE INDEX ix_listing_search_terms ON listing_search USING gin (terms)")
    elif conn.dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    from marketplace.catalog.search_index import reindex_all

    reindex_all(conn)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE listing_fts")
    op.drop_table("listing_search")
