"""Listings (products as B2B buyers read them), their translations, price tiers, Incoterm offers,
images, audience, and the category tree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organization
from marketplace.db import Base, utcnow
from marketplace.pricing.money import Money

INCOTERMS = ("EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF")
"""Incoterms 2020: the seven rules for any mode of transport, then the four for sea and inland waterway."""


class Localized(Protocol):
    @property
    def locale(self) -> str: ...


T = TypeVar("T", bound=Localized)


def choose_translation(translations: Sequence[T], locale: str, source_locale: str) -> T:
    """Of a listing's texts, the one in `locale`, else its base language, else another variant of that
    language (`fr_CA` for `fr`), else the listing's source language, else any."""
    by_locale = {t.locale: t for t in translations}
    language = locale.replace("-", "_").split("_")[0]
    for candidate in (locale, language):
        if candidate in by_locale:
            return by_locale[candidate]
    variant = next((t for t in translations if t.locale.split("_")[0] == language), None)
    if variant is not None:
        return variant
    for candidate in (source_locale, source_locale.split("_")[0]):
        if candidate in by_locale:
            return by_locale[candidate]
    return translations[0]


def category_name(names: Mapping[str, str], locale: str, code: str) -> str:
    """Of a category's names by locale, the one in `locale`, else its base language, else English, else any
    (else the category's code)."""
    for candidate in (locale, locale.split("_")[0], "en"):
        if candidate in names:
            return names[candidate]
    return next(iter(names.values()), code)


def offer_text(rule: str, place: str) -> str:
    """An Incoterm offer as written: `FOB Hamburg`."""
    return f"{rule} {place}".strip()


class ListingStatus(StrEnum):
    DRAFT = "draft"  # only its exporter sees it
    PUBLISHED = "published"
    ARCHIVED = "archived"  # kept for RFQs and trades that name it; no longer shown or quotable


class Visibility(StrEnum):
    PUBLIC = "public"
    RESTRICTED = "restricted"  # only the buyer organizations in its audience (and its exporter)


class Category(Base):
    """A node of the category tree. The roots are the 21 sections of the Harmonized System; operators add
    subcategories. `path` lists the ids from the root down (`/16/42/`), so descendants are a prefix match."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(255), index=True)
    hs_chapters: Mapped[str | None] = mapped_column(String(8))  # "84-85" for a section, else empty
    position: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped[Category | None] = relationship(remote_side="Category.id")
    names: Mapped[list[CategoryName]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    def name(self, locale: str) -> str:
        """The name in `locale`, else its base language, else English, else any."""
        return category_name({n.locale: n.name for n in self.names}, locale, self.code)


class CategoryName(Base):
    __tablename__ = "category_names"
    __table_args__ = (UniqueConstraint("category_id", "locale"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))


class Listing(Base):
    """One product of an exporter. `price_minor` is the lowest unit price of its tiers (the "from" price,
    kept for sorting and price filters); the price for a quantity is `price_for(quantity)`."""

    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("organization_id", "sku"),
        Index("ix_listings_status_published", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    hs_code: Mapped[str] = mapped_column(String(10), index=True)  # 6 to 10 digits, no dots
    origin: Mapped[str] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    unit: Mapped[str] = mapped_column(String(3))  # UN/ECE Recommendation 20 code
    moq: Mapped[int] = mapped_column(Integer)
    lead_time_days: Mapped[int] = mapped_column(Integer, default=30)
    stock: Mapped[int | None] = mapped_column(Integer)  # None: made to order
    currency: Mapped[str] = mapped_column(String(3))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    source_locale: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=ListingStatus.PUBLISHED)
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.PUBLIC)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organization: Mapped[Organization] = relationship()
    category: Mapped[Category] = relationship()
    translations: Mapped[list[ListingTranslation]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="ListingTranslation.locale"
    )
    tiers: Mapped[list[PriceTier]] = relationship(cascade="all, delete-orphan", order_by="PriceTier.min_quantity")
    offers: Mapped[list[IncotermOffer]] = relationship(cascade="all, delete-orphan", order_by="IncotermOffer.position")
    images: Mapped[list[ListingImage]] = relationship(cascade="all, delete-orphan", order_by="ListingImage.position")
    audience: Mapped[list[ListingAudience]] = relationship(cascade="all, delete-orphan")

    @property
    def price(self) -> Money:
        """The lowest unit price of the tiers."""
        return Money(self.price_minor, self.currency)

    def price_for(self, quantity: int) -> Money:
        """The unit price for `quantity`: the tier with the highest minimum quantity not above it
        (the first tier's price below its minimum)."""
        chosen = self.tiers[0]
        for tier in self.tiers:
            if tier.min_quantity <= quantity:
                chosen = tier
        return Money(chosen.unit_price_minor, self.currency)

    @property
    def offer(self) -> IncotermOffer:
        """The first Incoterm offer: the default of a quote."""
        return self.offers[0]

    def translation(self, locale: str) -> ListingTranslation:
        """The text in `locale` (see `choose_translation`)."""
        return choose_translation(self.translations, locale, self.source_locale)


class ListingTranslation(Base):
    __tablename__ = "listing_translations"
    __table_args__ = (UniqueConstraint("listing_id", "locale"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)

    listing: Mapped[Listing] = relationship(back_populates="translations")


class PriceTier(Base):
    """From `min_quantity` units on, each unit costs `unit_price_minor` (in the listing's currency)."""

    __tablename__ = "price_tiers"
    __table_args__ = (UniqueConstraint("listing_id", "min_quantity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    min_quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)


class IncotermOffer(Base):
    """An Incoterms 2020 rule with its named place (`FOB Hamburg`)."""

    __tablename__ = "incoterm_offers"
    __table_args__ = (UniqueConstraint("listing_id", "rule", "place"), Index("ix_incoterm_offers_rule", "rule"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    rule: Mapped[str] = mapped_column(String(3))
    place: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __str__(self) -> str:
        return offer_text(self.rule, self.place)


class ListingImage(Base):
    """An uploaded picture, stored under the images directory by its SHA-256 (with a thumbnail)."""

    __tablename__ = "listing_images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ListingAudience(Base):
    """A buyer organization that may see a restricted listing."""

    __tablename__ = "listing_audience"
    __table_args__ = (UniqueConstraint("listing_id", "organization_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)


class ListingSearch(Base):
    """One row per listing with what buyer search filters and sorts by, kept in step with the listing by
    `catalog.search_index`. `title_terms`/`body_terms` are the search terms of every translation
    (`catalog.textsearch`); the full-text index over them is built by the migration for each database
    (a GIN-indexed `tsvector` column on PostgreSQL, the FTS5 table `listing_fts` on SQLite), outside
    these models. `incoterms` has bit i set when rule INCOTERMS[i] is offered; `price_eur_micro` is the
    "from" price in millionths of a euro at the ECB reference rate of the day it was written."""

    __tablename__ = "listing_search"
    __table_args__ = (
        Index("ix_listing_search_newest", "published_us", "listing_id"),
        Index("ix_listing_search_price", "price_eur_micro", "listing_id"),
        Index("ix_listing_search_lead_time", "lead_time_days", "listing_id"),
    )

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    state: Mapped[int] = mapped_column(Integer)  # SEARCH_HIDDEN, SEARCH_RESTRICTED or SEARCH_PUBLIC
    organization_id: Mapped[int] = mapped_column(Integer, index=True)
    category_id: Mapped[int] = mapped_column(Integer, index=True)
    origin: Mapped[str] = mapped_column(String(2), index=True)
    hs_code: Mapped[str] = mapped_column(String(10), index=True)
    incoterms: Mapped[int] = mapped_column(Integer)
    moq: Mapped[int] = mapped_column(Integer)
    lead_time_days: Mapped[int] = mapped_column(Integer)
    price_eur_micro: Mapped[int] = mapped_column(BigInteger)
    published_us: Mapped[int] = mapped_column(BigInteger)  # microseconds since 1970 (0: never published)
    title_terms: Mapped[str] = mapped_column(Text)
    body_terms: Mapped[str] = mapped_column(Text)


class CatalogClock(Base):
    """One row counting the committed catalog writes: web processes read it to know whether what their
    searches keep in memory is still the catalog (`catalog.search_cache`)."""

    __tablename__ = "catalog_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    changes: Mapped[int] = mapped_column(BigInteger, default=0)


SEARCH_HIDDEN, SEARCH_RESTRICTED, SEARCH_PUBLIC = 0, 1, 2
"""`ListingSearch.state`: drafts and archived listings are never found; restricted ones by their audience."""


class ImportJob(Base):
    """A catalog file uploaded on the exporter's pages, imported in the background: `done` of `rows`
    checked so far, then the report (the file itself is dropped when the job ends)."""

    __tablename__ = "catalog_import_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued, running, done, failed
    rows: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, object] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def running(self) -> bool:
        return self.status in ("queued", "running")
