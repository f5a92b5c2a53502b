"""Writing many new listings at once: row for row what `service.apply_listing` writes (the listing, its price
tiers, Incoterm offers, translations and audience) and their search rows, built from what the caller holds
in memory and written in a few statements in the session's transaction: COPY on PostgreSQL, multi-row
INSERTs elsewhere. The catalog import and the benchmark's seeding both write through here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert, text
from sqlalchemy.orm import Session

from marketplace.catalog.models import (
    IncotermOffer,
    Listing,
    ListingAudience,
    ListingStatus,
    ListingTranslation,
    PriceTier,
)
from marketplace.catalog.schemas import ListingIn
from marketplace.catalog.search_index import EuroRates, search_row, store_rows
from marketplace.catalog.service import ListingPlan
from marketplace.db import copy_rows, on_postgres

NewListing = tuple[ListingIn, ListingPlan]
"""A new listing as `service.plan_listing` checked it."""


def insert_listings(
    session: Session,
    organization_id: int,
    batch: Sequence[NewListing],
    *,
    to_eur: EuroRates | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Write `batch` as new listings of the organization, with their children and search rows, in the
    session's transaction (which the caller commits). Returns their ids, in order. The SKUs must be new
    to the organization (the unique key refuses them otherwise)."""
    if not batch:
        return []
    now = now or datetime.now(UTC)
    to_eur = to_eur or EuroRates()
    listings = [
        {
            **plan.fields,
            "organization_id": organization_id,
            "created_at": now,
            "updated_at": now,
            "published_at": now if data.status == ListingStatus.PUBLISHED else None,
        }
        for data, plan in batch
    ]
    postgres = on_postgres(session)
    if postgres:
        ids = list(
            session.scalars(
                text("SELECT nextval(pg_get_serial_sequence('listings', 'id')) FROM generate_series(1, :n)"),
                {"n": len(listings)},
            )
        )
        for listing_id, row in zip(ids, listings, strict=True):
            row["id"] = listing_id
        copy_rows(session, Listing.__table__, listings)
    else:
        ids = list(session.scalars(insert(Listing).returning(Listing.id, sort_by_parameter_order=True), listings))
        for listing_id, row in zip(ids, listings, strict=True):
            row["id"] = listing_id
    tiers: list[dict[str, Any]] = []
    offers: list[dict[str, Any]] = []
    texts: list[dict[str, Any]] = []
    audience: list[dict[str, Any]] = []
    searched: list[dict[str, Any]] = []
    for row, (data, plan) in zip(listings, batch, strict=True):
        listing_id = row["id"]
        tiers += [
            {"listing_id": listing_id, "min_quantity": t.min_quantity, "unit_price_minor": p.minor}
            for t, p in zip(data.price_tiers, plan.prices, strict=True)
        ]
        offers += [
            {"listing_id": listing_id, "rule": o.rule, "place": o.place, "position": i}
            for i, o in enumerate(data.incoterms)
        ]
        own = [(loc, t.title, t.description) for loc, t in data.translations.items()]
        texts += [{"listing_id": listing_id, "locale": loc, "title": t, "description": d} for loc, t, d in own]
        audience += [{"listing_id": listing_id, "organization_id": org_id} for org_id in plan.audience]
        searched.append(search_row(row, own, [o.rule for o in data.incoterms], to_eur))
    tables: list[tuple[Table, list[dict[str, Any]]]] = [
        (PriceTier.__table__, tiers),
        (IncotermOffer.__table__, offers),
        (ListingTranslation.__table__, texts),
        (ListingAudience.__table__, audience),
    ]
    for table, rows in tables:
        if rows and postgres:
            copy_rows(session, table, rows)
        elif rows:
            session.execute(insert(table), rows)
    store_rows(session, searched)
    return ids
