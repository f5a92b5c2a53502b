"""search by title first, from the index alone: on PostgreSQL a GIN-indexed `title_vector` (the title
terms only) beside `terms`, so that the listings whose titles hold the words are found without reading
and scoring every match. SQLite's FTS5 table already answers title-only matches by column. Listings with
texts in a compounding language are indexed again, now also by the heads of their compound words
("Rillenkugellager" by "Kugellager" and "Lager").

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UPGRADE = (
    "ALTER TABLE listing_search ADD COLUMN title_vector tsvector GENERATED ALWAYS AS ("
    "array_to_tsvector(string_to_array(title_terms, ' '))) STORED",
    "CREATE INDEX ix_listing_search_title_vector ON listing_search USING gin (title_vector)",
    "ANALYZE listing_search",
)
DOWNGRADE = ("ALTER TABLE listing_search DROP COLUMN title_vector",)


def upgrade() -> None:
    from marketplace.catalog.search_index import reindex
    from marketplace.catalog.textsearch import COMPOUNDING

    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)
    texts = sa.table("listing_translations", sa.column("listing_id"), sa.column("locale"))
    language = sa.func.lower(sa.func.substr(texts.c.locale, 1, 2))
    compounding = sa.select(texts.c.listing_id).where(language.in_(sorted(COMPOUNDING))).distinct()
    reindex(conn, conn.execute(compounding).scalars())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
