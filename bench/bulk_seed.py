"""Seeding a PostgreSQL catalog fast: sample listings checked as the app checks them (`ListingIn`, then
`catalog.service.plan_listing`) and written by the catalog import's own writer
(`catalog.bulk_write.insert_listings`: the listings, their children and their search rows with COPY), one
transaction per chunk."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organization
from marketplace.catalog.bulk_import import collector_paused
from marketplace.catalog.bulk_write import NewListing, insert_listings
from marketplace.catalog.hs_sections import section_of
from marketplace.catalog.models import Category
from marketplace.catalog.schemas import ListingIn
from marketplace.catalog.search_index import EuroRates
from marketplace.catalog.service import buyers_by_slug, plan_listing

CHUNK = 10_000
ANALYZED = ("listings", "listing_translations", "price_tiers", "incoterm_offers", "listing_audience", "listing_search")


def plain_url(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+psycopg://`) as libpq reads it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def write_catalog(
    url: str,
    batches: Iterable[tuple[int, Iterable[dict[str, Any]]]],
    progress: Callable[[int], None] = lambda _n: None,
) -> list[int]:
    """Write every listing (a dict `ListingIn` validates) of every (exporter organization id, listings)
    batch, with its search row; their ids in order. Refreshes the planner's statistics at the end."""
    ids: list[int] = []
    engine = create_engine(url)
    try:
        with collector_paused(), Session(engine, expire_on_commit=False) as session:
            categories = {c.code: c for c in session.scalars(select(Category))}
            buyers: dict[str, Organization] = {}
            to_eur = EuroRates()

            def write(org: Organization, chunk: list[NewListing]) -> None:
                ids.extend(insert_listings(session, org.id, chunk, to_eur=to_eur))
                session.commit()
                chunk.clear()
                progress(len(ids))

            for org_id, listings in batches:
                org = session.get_one(Organization, org_id)
                chunk: list[NewListing] = []
                for raw in listings:
                    data = ListingIn.model_validate(raw)
                    if unknown := [slug for slug in data.audience if slug not in buyers]:
                        buyers.update(buyers_by_slug(session, unknown))
                    category = categories[data.category or section_of(data.hs_code)]
                    chunk.append((data, plan_listing(org, data, None, category, buyers)))
                    if len(chunk) == CHUNK:
                        write(org, chunk)
                if chunk:
                    write(org, chunk)
        with engine.begin() as connection:
            for table in ANALYZED:
                connection.exec_driver_sql(f"ANALYZE {table}")
    finally:
        engine.dispose()
    return ids
