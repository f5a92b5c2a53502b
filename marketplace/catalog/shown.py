"""One listing read for showing it: its row, exporter, category and children in a single statement.

The public listing page is read far more often than a listing is written: loading it through the ORM took a
query per relationship (eight round trips) and built an ORM object per row. `read_listing` asks once, with
the children as JSON arrays, and answers plain frozen values with the attributes of `Listing` that
`ListingView` and the page read. Nothing is cached: every request reads the rows as they are, with the
visibility rule of `visible_to`, so a draft or a restricted listing stays hidden from everyone it is not
shown to."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import JSON, Connection, Integer, Select, bindparam, func, select

from marketplace.accounts.models import Organization
from marketplace.catalog.models import (
    Category,
    CategoryName,
    IncotermOffer,
    Listing,
    ListingAudience,
    ListingImage,
    ListingTranslation,
    PriceTier,
    category_name,
    choose_translation,
    offer_text,
)
from marketplace.catalog.service import visible_to
from marketplace.errors import NotFound
from marketplace.pricing.money import Money


@dataclass(frozen=True, slots=True)
class ShownExporter:
    id: int
    slug: str
    name: str
    country: str


@dataclass(frozen=True, slots=True)
class ShownCategory:
    id: int
    code: str
    names: dict[str, str]

    def name(self, locale: str) -> str:
        return category_name(self.names, locale, self.code)

    def __hash__(self) -> int:  # names is a dict: a listing read is a key of the cards kept (catalog.cards)
        return hash((self.id, self.code, tuple(self.names.items())))


@dataclass(frozen=True, slots=True)
class ShownText:
    locale: str
    title: str
    description: str


@dataclass(frozen=True, slots=True)
class ShownTier:
    min_quantity: int
    unit_price_minor: int


@dataclass(frozen=True, slots=True)
class ShownOffer:
    rule: str
    place: str

    def __str__(self) -> str:
        return offer_text(self.rule, self.place)


@dataclass(frozen=True, slots=True)
class ShownImage:
    id: int
    sha256: str
    content_type: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ShownListing:
    """A listing as read for one request: its columns, and its children in the order `Listing` keeps them."""

    id: int
    organization_id: int
    sku: str
    hs_code: str
    origin: str
    unit: str
    moq: int
    lead_time_days: int
    stock: int | None
    currency: str
    price_minor: int
    source_locale: str
    status: str
    visibility: str
    organization: ShownExporter
    category: ShownCategory
    translations: tuple[ShownText, ...]
    tiers: tuple[ShownTier, ...]
    offers: tuple[ShownOffer, ...]
    images: tuple[ShownImage, ...]

    @property
    def price(self) -> Money:
        """The lowest unit price of the tiers."""
        return Money(self.price_minor, self.currency)

    def translation(self, locale: str) -> ShownText:
        """The text in `locale` (see `choose_translation`)."""
        return choose_translation(self.translations, locale, self.source_locale)


_COLUMNS = (
    Listing.id,
    Listing.organization_id,
    Listing.sku,
    Listing.hs_code,
    Listing.origin,
    Listing.unit,
    Listing.moq,
    Listing.lead_time_days,
    Listing.stock,
    Listing.currency,
    Listing.price_minor,
    Listing.source_locale,
    Listing.status,
    Listing.visibility,
)


def _array(dialect: str, *values: Any) -> Any:
    """A JSON array of `values` (PostgreSQL's json_build_array, SQLite's json_array)."""
    return (func.json_build_array if dialect == "postgresql" else func.json_array)(*values, type_=JSON)


def _rows(dialect: str, model: Any, where: Any, *columns: Any) -> Any:
    """The JSON array of `[columns...]` arrays of `model`'s rows matching `where`, for the outer array (on SQLite
    a subquery's JSON comes back as text, so `json()` makes it JSON again)."""
    row = _array(dialect, *columns)
    aggregate = func.json_agg(row) if dialect == "postgresql" else func.json_group_array(row)
    found = select(aggregate).select_from(model).where(where).scalar_subquery()
    return found if dialect == "postgresql" else func.json(found)


@cache
def _statement(dialect: str, anonymous: bool) -> Select[Any]:
    """The one statement, built once per dialect and kind of viewer (parameters :listing_id and :viewer). It
    answers one JSON array, which the driver reads as a whole, rather than a column per value."""
    viewer = None if anonymous else bindparam("viewer", type_=Integer)
    value = _array(
        dialect,
        *_COLUMNS,
        Organization.slug,
        Organization.name,
        Organization.country,
        Category.id,
        Category.code,
        _rows(
            dialect,
            CategoryName,
            CategoryName.category_id == Listing.category_id,
            CategoryName.locale,
            CategoryName.name,
        ),
        _rows(
            dialect,
            ListingTranslation,
            ListingTranslation.listing_id == Listing.id,
            ListingTranslation.locale,
            ListingTranslation.title,
            ListingTranslation.description,
        ),
        _rows(
            dialect, PriceTier, PriceTier.listing_id == Listing.id, PriceTier.min_quantity, PriceTier.unit_price_minor
        ),
        _rows(
            dialect,
            IncotermOffer,
            IncotermOffer.listing_id == Listing.id,
            IncotermOffer.position,
            IncotermOffer.id,
            IncotermOffer.rule,
            IncotermOffer.place,
        ),
        _rows(
            dialect,
            ListingImage,
            ListingImage.listing_id == Listing.id,
            ListingImage.position,
            ListingImage.id,
            ListingImage.sha256,
            ListingImage.content_type,
            ListingImage.width,
            ListingImage.height,
        ),
    )
    return (
        select(value)
        .select_from(Listing)
        .join(Organization, Listing.organization_id == Organization.id)
        .join(Category, Listing.category_id == Category.id)
        .where(Listing.id.in_(bindparam("ids", expanding=True)), visible_to(viewer))
    )


def read_listing(connection: Connection, listing_id: int, viewer_org_id: int | None = None) -> ShownListing:
    """The listing if `viewer_org_id` may see it (404 otherwise, as `get_listing`), read in one statement."""
    found = read_listings(connection, [listing_id], viewer_org_id).get(listing_id)
    if found is None:
        raise NotFound("no such listing")
    return found


def read_listings(connection: Connection, ids: list[int], viewer_org_id: int | None = None) -> dict[int, ShownListing]:
    """The listings of `ids` that `viewer_org_id` may see, by id, read in one statement (a page of search
    results)."""
    if not ids:
        return {}
    params: dict[str, Any] = {"ids": ids}
    if viewer_org_id is not None:
        params["viewer"] = viewer_org_id
    statement = _statement(connection.dialect.name, viewer_org_id is None)
    shown = (_shown(found) for found in connection.execute(statement, params).scalars())
    return {listing.id: listing for listing in shown}


def _shown(found: list[Any]) -> ShownListing:
    columns = found[: len(_COLUMNS)]
    slug, name, country, category_id, code, names, texts, tiers, offers, images = found[len(_COLUMNS) :]
    return ShownListing(
        *columns,
        organization=ShownExporter(columns[1], slug, name, country),
        category=ShownCategory(category_id, code, dict(names or ())),
        translations=tuple(ShownText(*t) for t in sorted(texts or ())),
        tiers=tuple(ShownTier(*t) for t in sorted(tiers or ())),
        offers=tuple(ShownOffer(rule, place) for _position, _id, rule, place in sorted(offers or ())),
        images=tuple(ShownImage(*i[1:]) for i in sorted(images or ())),
    )


def audience_slugs(connection: Connection, listing_id: int) -> list[str]:
    """The buyers a restricted listing is shown to, by slug (what its exporter sees on the page)."""
    query = (
        select(Organization.slug)
        .join(ListingAudience, ListingAudience.organization_id == Organization.id)
        .where(ListingAudience.listing_id == listing_id)
        .order_by(Organization.slug)
    )
    return list(connection.scalars(query))
