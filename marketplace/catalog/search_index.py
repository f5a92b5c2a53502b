"""The search table (`ListingSearch`): one row per listing, rewritten whenever the listing, its texts or its
offers change. Writes through the ORM are caught at flush and applied before the commit (and before a
search in the same session), so every writer keeps it in step; bulk inserts that bypass the ORM call
`reindex(session, listing_ids)` themselves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from itertools import chain
from typing import Any

from sqlalchemy import delete, event, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from marketplace.catalog.models import (
    INCOTERMS,
    SEARCH_HIDDEN,
    SEARCH_PUBLIC,
    SEARCH_RESTRICTED,
    Category,
    CategoryName,
    IncotermOffer,
    Listing,
    ListingSearch,
    ListingStatus,
    ListingTranslation,
    PriceTier,
    Visibility,
)
from marketplace.catalog.search_cache import forget
from marketplace.catalog.textsearch import document
from marketplace.db import copy_rows, on_postgres
from marketplace.errors import Invalid
from marketplace.pricing.fx import EcbRates, RateProvider, RateSnapshot
from marketplace.pricing.money import Money

UNPRICED = 2**62
"""`price_eur_micro` of a listing whose currency has no reference rate: last by price, outside price bounds."""
PRICE_CEILING = UNPRICED - 1
"""The highest reference price kept (about 4.6 trillion euros), below the unpriced mark."""
FULLTEXT_TABLE = "listing_fts"
"""SQLite's FTS5 index over the search terms (with its shadow tables `listing_fts_*`): built by the
migration, not a model."""
_BATCH = 500
_PENDING = "search_pending"


def incoterm_bit(rule: str) -> int:
    return 1 << INCOTERMS.index(rule)


def eur_micro(money: Money, rate: RateSnapshot) -> int:
    """`money` in millionths of a euro at `rate` (`money.currency` -> EUR), at most `PRICE_CEILING`: amounts
    beyond it (trillions of euros) sort and filter as the ceiling, and the column's BIGINT never overflows."""
    micro = int((money.amount * rate.rate * 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return min(micro, PRICE_CEILING)


def _state(status: str, visibility: str) -> int:
    if status != ListingStatus.PUBLISHED:
        return SEARCH_HIDDEN
    return SEARCH_PUBLIC if visibility == Visibility.PUBLIC else SEARCH_RESTRICTED


def _micros(moment: datetime | None) -> int:
    if moment is None:
        return 0
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)


class EuroRates:
    """Each currency's reference rate to EUR, asked of `rates` once (None: the currency has none)."""

    def __init__(self, rates: RateProvider | None = None) -> None:
        self.rates = rates or _default_rates()
        self.known: dict[str, RateSnapshot | None] = {}

    def __call__(self, currency: str) -> RateSnapshot | None:
        if currency not in self.known:
            try:
                self.known[currency] = self.rates.rate(currency, "EUR")
            except Invalid:
                self.known[currency] = None
        return self.known[currency]


def search_row(
    listing: Mapping[str, Any], texts: Iterable[tuple[str, str, str]], rules: Iterable[str], to_eur: EuroRates
) -> dict[str, Any]:
    """The search row of one listing: `listing` its columns as the listings table holds them (with `id`),
    `texts` its translations as (locale, title, description), `rules` the Incoterm rules it offers."""
    own = sorted(texts)
    offered = 0
    for rule in rules:
        if rule in INCOTERMS:
            offered |= incoterm_bit(rule)
    rate = to_eur(listing["currency"])
    price = Money(listing["price_minor"], listing["currency"])
    return {
        "listing_id": listing["id"],
        "state": _state(listing["status"], listing["visibility"]),
        "organization_id": listing["organization_id"],
        "category_id": listing["category_id"],
        "origin": listing["origin"],
        "hs_code": listing["hs_code"],
        "incoterms": offered,
        "moq": listing["moq"],
        "lead_time_days": listing["lead_time_days"],
        "price_eur_micro": eur_micro(price, rate) if rate else UNPRICED,
        "published_us": _micros(listing["published_at"]),
        "title_terms": document([(title, locale) for locale, title, _ in own] + [(listing["sku"], "")]),
        "body_terms": document([(text, locale) for locale, _, text in own]),
    }


def search_rows(connection: Connection | Session, listing_ids: list[int], to_eur: EuroRates) -> list[dict[str, Any]]:
    """The search rows of the listings `listing_ids` (those that exist), read with plain queries."""
    lst = Listing.__table__
    tr = ListingTranslation.__table__
    of = IncotermOffer.__table__
    listings = connection.execute(select(lst).where(lst.c.id.in_(listing_ids))).mappings().all()
    texts: dict[int, list[tuple[str, str, str]]] = {}
    for row in connection.execute(
        select(tr.c.listing_id, tr.c.locale, tr.c.title, tr.c.description).where(tr.c.listing_id.in_(listing_ids))
    ):
        texts.setdefault(row.listing_id, []).append((row.locale, row.title, row.description))
    rules: dict[int, list[str]] = {}
    for row in connection.execute(select(of.c.listing_id, of.c.rule).where(of.c.listing_id.in_(listing_ids))):
        rules.setdefault(row.listing_id, []).append(row.rule)
    return [search_row(x, texts.get(x["id"], []), rules.get(x["id"], []), to_eur) for x in listings]


def store_rows(session: Session | Connection, rows: list[dict[str, Any]]) -> None:
    """Add search rows (of listings that have none) in the caller's transaction: with COPY on PostgreSQL
    (its tsvector columns are generated there from the term columns), else with INSERTs (SQLite's
    triggers put them in the FTS5 index)."""
    if not rows:
        return
    forget(session.connection() if isinstance(session, Session) else session)
    if on_postgres(session):
        copy_rows(session, ListingSearch.__table__, rows)
    else:
        session.execute(insert(ListingSearch.__table__), rows)


@cache
def _default_rates() -> RateProvider:
    return EcbRates()


def reindex(session: Session | Connection, listing_ids: Iterable[int], rates: RateProvider | None = None) -> int:
    """Rewrite the search rows of `listing_ids` from the listings as stored (a listing that no longer
    exists loses its row). For bulk writers that bypass the ORM; returns the number of rows written."""
    to_eur = EuroRates(rates)
    ids = sorted(set(listing_ids))
    if ids:
        forget(session.connection() if isinstance(session, Session) else session)
    table = ListingSearch.__table__
    written = 0
    for start in range(0, len(ids), _BATCH):
        part = ids[start : start + _BATCH]
        rows = search_rows(session, part, to_eur)
        session.execute(delete(table).where(table.c.listing_id.in_(part)))
        store_rows(session, rows)
        written += len(rows)
    return written


def reindex_all(session: Session | Connection, rates: RateProvider | None = None, batch: int = 5000) -> int:
    """Rebuild every search row (`tradewind catalog reindex`)."""
    rates = rates or _default_rates()
    last, written = 0, 0
    lst = Listing.__table__
    while True:
        ids = list(session.execute(select(lst.c.id).where(lst.c.id > last).order_by(lst.c.id).limit(batch)).scalars())
        if not ids:
            return written
        written += reindex(session, ids, rates)
        last = ids[-1]


def sync_pending(session: Session) -> None:
    """Apply the search rows of the listings changed in this session so far (flushing it first)."""
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if pending:
        reindex(session, pending)


_TRACKED = (ListingTranslation, IncotermOffer, PriceTier)


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: object) -> None:
    pending: set[int] = session.info.setdefault(_PENDING, set())
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Category | CategoryName):  # the tree searches and pages keep
            forget(session.connection())
        elif isinstance(obj, Listing):
            pending.add(obj.id)
        elif isinstance(obj, _TRACKED) and obj.listing_id is not None:
            pending.add(obj.listing_id)
    if not pending:
        session.info.pop(_PENDING, None)


@event.listens_for(Session, "before_commit")
def _apply_changes(session: Session) -> None:
    if session.info.get(_PENDING) or session.new or session.dirty or session.deleted:
        sync_pending(session)


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_PENDING, None)
