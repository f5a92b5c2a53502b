"""Seeding a PostgreSQL catalog fast: sample listings written with COPY, row for row what
`catalog.service.apply_listing` writes (listing, translations, price tiers, Incoterm offers, audience),
then their search rows through `catalog.search_index.reindex`, as every bulk writer must."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import create_engine

from marketplace.catalog.hs_sections import section_of
from marketplace.catalog.schemas import ListingIn
from marketplace.catalog.search_index import reindex
from marketplace.pricing.money import Money

LISTING_COLUMNS = (
    "id",
    "organization_id",
    "category_id",
    "sku",
    "hs_code",
    "origin",
    "unit",
    "moq",
    "lead_time_days",
    "stock",
    "currency",
    "price_minor",
    "source_locale",
    "status",
    "visibility",
    "created_at",
    "updated_at",
    "published_at",
)
CHILDREN = {
    "listing_translations": ("listing_id", "locale", "title", "description"),
    "price_tiers": ("listing_id", "min_quantity", "unit_price_minor"),
    "incoterm_offers": ("listing_id", "rule", "place", "position"),
    "listing_audience": ("listing_id", "organization_id"),
}
CHUNK = 10_000


@dataclass(frozen=True)
class Seller:
    """What apply_listing reads of the exporter: its id and its defaults."""

    id: int
    country: str
    currency: str
    locale: str


def plain_url(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+psycopg://`) as libpq reads it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class CatalogWriter:
    """Appends listings to a PostgreSQL catalog with COPY, numbering them after the current highest id."""

    def __init__(self, conn: psycopg.Connection, categories: dict[str, int], audience_ids: dict[str, int]) -> None:
        self.conn = conn
        self.categories = categories
        self.audience_ids = audience_ids
        self.next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM listings").fetchone()[0]  # type: ignore[index]
        self.now = datetime.now(UTC)
        self.rows: dict[str, list[tuple[Any, ...]]] = {"listings": [], **{name: [] for name in CHILDREN}}
        self.written = 0

    def add(self, seller: Seller, raw: dict[str, Any]) -> int:
        """Queue one listing (a dict `ListingIn` validates, checked as apply_listing checks it); its id."""
        data = ListingIn.model_validate(raw)
        currency = data.currency or seller.currency
        prices = [Money.parse(t.unit_price, currency) for t in data.price_tiers]
        if data.price_tiers[0].min_quantity > data.moq or any(p.minor == 0 for p in prices):
            raise ValueError(f"{data.sku}: tiers that apply_listing refuses")
        source = data.source_locale or seller.locale
        if source not in data.translations:
            source = next(iter(data.translations))
        category = self.categories[data.category or section_of(data.hs_code)]
        published = data.status == "published"
        listing_id = self.next_id
        self.next_id += 1
        self.rows["listings"].append(
            (
                listing_id,
                seller.id,
                category,
                data.sku,
                data.hs_code,
                data.origin or seller.country,
                data.unit,
                data.moq,
                data.lead_time_days,
                data.stock,
                currency,
                min(p.minor for p in prices),
                source,
                data.status,
                data.visibility,
                self.now,
                self.now,
                self.now if published else None,
            )
        )
        self.rows["listing_translations"].extend(
            (listing_id, locale, text.title, text.description) for locale, text in data.translations.items()
        )
        self.rows["price_tiers"].extend(
            (listing_id, t.min_quantity, p.minor) for t, p in zip(data.price_tiers, prices, strict=True)
        )
        self.rows["incoterm_offers"].extend((listing_id, o.rule, o.place, i) for i, o in enumerate(data.incoterms))
        if data.visibility == "restricted":
            orgs = sorted({self.audience_ids[slug] for slug in data.audience})
            self.rows["listing_audience"].extend((listing_id, org) for org in orgs)
        if len(self.rows["listings"]) >= CHUNK:
            self.flush()
        return listing_id

    def flush(self) -> None:
        """COPY what is queued."""
        with self.conn.cursor() as cur:
            for table, rows in self.rows.items():
                if not rows:
                    continue
                columns = LISTING_COLUMNS if table == "listings" else CHILDREN[table]
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                self.written += len(rows) if table == "listings" else 0
                rows.clear()

    def finish(self) -> None:
        """Flush, move the id sequences past the new rows, refresh the planner's statistics."""
        self.flush()
        self.conn.execute("SELECT setval(pg_get_serial_sequence('listings', 'id'), (SELECT max(id) FROM listings))")
        self.conn.commit()
        for table in ("listings", *CHILDREN):
            self.conn.execute(f"ANALYZE {table}")
        self.conn.commit()


def write_catalog(
    url: str,
    batches: Iterable[tuple[Seller, Iterable[dict[str, Any]]]],
    categories: dict[str, int],
    audience_ids: dict[str, int],
    progress: Callable[[int], None] = lambda _n: None,
) -> list[int]:
    """Write every listing of every (seller, listings) batch, then their search rows; their ids in order."""
    ids: list[int] = []
    with psycopg.connect(plain_url(url)) as conn:
        writer = CatalogWriter(conn, categories, audience_ids)
        for seller, listings in batches:
            for raw in listings:
                ids.append(writer.add(seller, raw))
                if len(ids) % CHUNK == 0:
                    progress(len(ids))
        writer.finish()
    engine = create_engine(url)
    try:
        for start in range(0, len(ids), CHUNK * 5):
            with engine.begin() as connection:
                reindex(connection, ids[start : start + CHUNK * 5])
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE listing_search")
    finally:
        engine.dispose()
    return ids
