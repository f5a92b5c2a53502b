"""Listings: writing them (from a page, the API or an import file), who may see them, and showing them
in a buyer's language and currency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organization, OrgKind, User
from marketplace.accounts.service import require
from marketplace.catalog import search_index  # noqa: F401  (keeps the search table in step with every write)
from marketplace.catalog.categories import category_by_code, check_category, default_category
from marketplace.catalog.models import (
    Category,
    IncotermOffer,
    Listing,
    ListingAudience,
    ListingStatus,
    ListingTranslation,
    PriceTier,
    Visibility,
)
from marketplace.catalog.schemas import ListingIn, TranslationIn
from marketplace.errors import Conflict, Invalid, NotFound
from marketplace.pricing.fx import RateProvider, RateSnapshot
from marketplace.pricing.money import Money
from marketplace.validate import hs_display

if TYPE_CHECKING:
    from marketplace.catalog.shown import ShownListing


def visible_to(org_id: int | None) -> ColumnElement[bool]:
    """Which listings an organization (None: anyone) may see: published and public, or published with
    it in the audience; and all of its own, whatever their state."""
    shown = and_(
        Listing.status == ListingStatus.PUBLISHED,
        or_(
            Listing.visibility == Visibility.PUBLIC,
            exists().where(ListingAudience.listing_id == Listing.id, ListingAudience.organization_id == org_id)
            if org_id is not None
            else False,
        ),
    )
    return or_(shown, Listing.organization_id == org_id) if org_id is not None else shown


def get_listing(session: Session, listing_id: int, viewer_org_id: int | None = None) -> Listing:
    """The listing if `viewer_org_id` may see it (404 otherwise, so hidden listings are not revealed)."""
    listing = session.scalar(select(Listing).where(Listing.id == listing_id, visible_to(viewer_org_id)))
    if listing is None:
        raise NotFound("no such listing")
    return listing


def quotable_listing(session: Session, listing_id: int, buyer_org_id: int) -> Listing:
    """A listing the buyer may ask a quote for: one it sees, published."""
    listing = get_listing(session, listing_id, buyer_org_id)
    if listing.status != ListingStatus.PUBLISHED:
        raise Conflict("this listing is %(status)s and takes no RFQs", status=listing.status)
    return listing


def own_listing(session: Session, user: User, listing_id: int) -> Listing:
    """One of the user's exporter's listings, in any state, for changing it."""
    org = require(user, OrgKind.EXPORTER)
    listing = session.get(Listing, listing_id)
    if listing is None or listing.organization_id != org.id:
        raise NotFound("no such listing")
    return listing


def listing_data(listing: Listing) -> dict[str, object]:
    """The listing as `ListingIn` reads it (amounts as text): what the API returns, an export writes,
    and what an import compares with to tell whether a row changes anything."""
    return {
        "sku": listing.sku,
        "category": listing.category.code,
        "hs_code": listing.hs_code,
        "origin": listing.origin,
        "unit": listing.unit,
        "moq": listing.moq,
        "lead_time_days": listing.lead_time_days,
        "stock": listing.stock,
        "currency": listing.currency,
        "price_tiers": [
            {"min_quantity": t.min_quantity, "unit_price": str(Money(t.unit_price_minor, listing.currency).amount)}
            for t in listing.tiers
        ],
        "incoterms": [{"rule": o.rule, "place": o.place} for o in listing.offers],
        "status": listing.status,
        "visibility": listing.visibility,
        "audience": sorted(o.slug for o in _audience_orgs(listing)),
        "source_locale": listing.source_locale,
        "translations": {t.locale: {"title": t.title, "description": t.description} for t in listing.translations},
    }


def _audience_orgs(listing: Listing) -> list[Organization]:
    session = Session.object_session(listing)
    ids = [a.organization_id for a in listing.audience]
    if session is None or not ids:
        return []
    return list(session.scalars(select(Organization).where(Organization.id.in_(ids))))


def buyers_by_slug(session: Session, slugs: list[str]) -> dict[str, Organization]:
    """The organizations named by `slugs` (any kind: `plan_listing` refuses those that are not buyers)."""
    if not slugs:
        return {}
    return {o.slug: o for o in session.scalars(select(Organization).where(Organization.slug.in_(set(slugs))))}


@dataclass(frozen=True)
class ListingPlan:
    """What `data` makes of a listing: its column values, prices, audience and the `listing_data` it will read."""

    fields: dict[str, object]
    category: Category
    prices: list[Money]
    audience: list[int]
    wanted: dict[str, object]


def plan_listing(
    org: Organization,
    data: ListingIn,
    listing: Listing | None,
    category: Category,
    buyers: dict[str, Organization],
) -> ListingPlan:
    """The rules the schema cannot check: the category in the HS code's section (checked when either is set or
    changed, so a listing filed before the rule can still be archived), tier prices in the currency's decimals,
    the first tier at or below the MOQ, the audience and the source language. `category` and `buyers` are looked
    up by the caller (one listing or a whole import file at a time). Raises Invalid; writes nothing."""
    if listing is None or (listing.category_id, listing.hs_code) != (category.id, data.hs_code):
        check_category(category, data.hs_code)
    currency = data.currency or (listing.currency if listing else org.currency)
    prices = [
        Money.parse(tier.unit_price, currency, f"price_tiers.{i}.unit_price") for i, tier in enumerate(data.price_tiers)
    ]
    for i, price in enumerate(prices):
        if price.minor == 0:
            raise Invalid("the unit price must be above zero", f"price_tiers.{i}.unit_price")
    if data.price_tiers[0].min_quantity > data.moq:
        raise Invalid(
            "the first price tier must start at or below the minimum order quantity (%(moq)s)",
            "price_tiers",
            moq=data.moq,
        )
    for slug in data.audience:
        if slug not in buyers or buyers[slug].kind != OrgKind.BUYER:
            raise Invalid("there is no buyer organization %(slug)s", "audience", slug=slug)
    restricted = data.visibility == Visibility.RESTRICTED
    audience = sorted({buyers[s].id for s in data.audience}) if restricted else []
    source = data.source_locale or (listing.source_locale if listing else org.locale)
    if source not in data.translations:
        if data.source_locale:
            raise Invalid("there is no translation in %(locale)s", "source_locale", locale=data.source_locale)
        source = next(iter(data.translations))
    fields = {
        "sku": data.sku,
        "category_id": category.id,
        "hs_code": data.hs_code,
        "origin": data.origin or org.country,
        "unit": data.unit,
        "moq": data.moq,
        "lead_time_days": data.lead_time_days,
        "stock": data.stock,
        "currency": currency,
        "price_minor": min(p.minor for p in prices),
        "source_locale": source,
        "status": data.status,
        "visibility": data.visibility,
    }
    wanted = {
        **{k: v for k, v in fields.items() if k not in ("category_id", "price_minor")},
        "category": category.code,
        "price_tiers": [
            {"min_quantity": t.min_quantity, "unit_price": str(p.amount)}
            for t, p in zip(data.price_tiers, prices, strict=True)
        ],
        "incoterms": [{"rule": o.rule, "place": o.place} for o in data.incoterms],
        "audience": sorted(set(data.audience)) if restricted else [],
        "translations": {loc: {"title": t.title, "description": t.description} for loc, t in data.translations.items()},
    }
    return ListingPlan(fields=fields, category=category, prices=prices, audience=audience, wanted=wanted)


def apply_listing(
    session: Session, org: Organization, data: ListingIn, listing: Listing | None = None
) -> tuple[Listing, bool]:
    """Write `data` into `listing` (a new one of `org` if None). Returns the listing and whether anything
    changed. The rules are `plan_listing`'s; the category must exist."""
    category = category_by_code(session, data.category) if data.category else default_category(session, data.hs_code)
    plan = plan_listing(org, data, listing, category, buyers_by_slug(session, list(data.audience)))
    before = listing_data(listing) if listing is not None else None
    target = listing or Listing(organization_id=org.id, organization=org)
    if before == plan.wanted:
        return target, False
    for key, value in plan.fields.items():
        setattr(target, key, value)
    target.category = category
    if data.status == ListingStatus.PUBLISHED and target.published_at is None:
        target.published_at = datetime.now(UTC)
    if listing is None:
        session.add(target)
    _replace_children(session, target, data, plan.prices, plan.audience)
    return target, True


def _replace_children(
    session: Session, listing: Listing, data: ListingIn, prices: list[Money], audience: list[int]
) -> None:
    """Tiers, offers, audience and translations as `data` has them. A row is kept (and changed in place) when
    its key stays: a tier's minimum quantity, an offer's rule and place, a buyer, a language; so an unchanged
    child is not rewritten and a changed one never meets its old self in a unique key."""
    listing.tiers = [
        _keep(listing.tiers, PriceTier, {"min_quantity": t.min_quantity}, unit_price_minor=p.minor)
        for t, p in zip(data.price_tiers, prices, strict=True)
    ]
    listing.offers = [
        _keep(listing.offers, IncotermOffer, {"rule": o.rule, "place": o.place}, position=i)
        for i, o in enumerate(data.incoterms)
    ]
    listing.audience = [_keep(listing.audience, ListingAudience, {"organization_id": org_id}) for org_id in audience]
    listing.translations = [
        _keep(listing.translations, ListingTranslation, {"locale": loc}, title=text.title, description=text.description)
        for loc, text in data.translations.items()
    ]
    session.flush()


R = TypeVar("R")


def _keep(rows: list[R], make: type[R], key: dict[str, object], **values: object) -> R:
    """The row among `rows` with `key`, given `values` (only changed columns are written); else a new one."""
    row = next((r for r in rows if all(getattr(r, k) == v for k, v in key.items())), None)
    if row is None:
        return make(**key, **values)
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    return row


def create_listing(session: Session, user: User, data: ListingIn) -> Listing:
    """A new listing of the user's exporter organization."""
    org = require(user, OrgKind.EXPORTER)
    if session.scalar(select(Listing.id).where(Listing.organization_id == org.id, Listing.sku == data.sku)):
        raise Invalid("you already list SKU %(sku)s", "sku", sku=data.sku)
    listing, _changed = apply_listing(session, org, data)
    return listing


def update_listing(session: Session, user: User, listing_id: int, data: ListingIn) -> Listing:
    """Replace what a listing says (its SKU may change, if no other listing of the exporter has it)."""
    listing = own_listing(session, user, listing_id)
    clash = session.scalar(
        select(Listing.id).where(
            Listing.organization_id == listing.organization_id, Listing.sku == data.sku, Listing.id != listing.id
        )
    )
    if clash:
        raise Invalid("you already list SKU %(sku)s", "sku", sku=data.sku)
    apply_listing(session, listing.organization, data, listing)
    session.flush()
    return listing


def set_translation(session: Session, user: User, listing_id: int, locale: str, text: TranslationIn) -> Listing:
    """Add or replace the listing's text in `locale`."""
    listing = own_listing(session, user, listing_id)
    row = next((t for t in listing.translations if t.locale == locale), None)
    if row is None:
        row = ListingTranslation(locale=locale)
        listing.translations.append(row)
    row.title, row.description = text.title, text.description
    listing.updated_at = datetime.now(UTC)
    session.flush()
    return listing


def delete_translation(session: Session, user: User, listing_id: int, locale: str) -> Listing:
    """Remove the listing's text in `locale`; its source language and its last text stay."""
    listing = own_listing(session, user, listing_id)
    row = next((t for t in listing.translations if t.locale == locale), None)
    if row is None:
        raise NotFound("this listing has no text in %(locale)s", locale=locale)
    if locale == listing.source_locale:
        raise Conflict("%(locale)s is the listing's source language; choose another source first", locale=locale)
    listing.translations.remove(row)
    listing.updated_at = datetime.now(UTC)
    session.flush()
    return listing


@dataclass(frozen=True)
class ListingView:
    """A listing as one viewer sees it: text in their language (`fallback` when it is in another one),
    prices also in their currency at a dated reference rate. `listing` is the ORM row, or the plain values
    `catalog.shown.read_listing` reads for a page."""

    listing: Listing | ShownListing
    locale: str
    title: str
    description: str
    text_locale: str
    fallback: bool
    price: Money
    local_price: Money
    rate: RateSnapshot

    def tiers(self) -> list[tuple[int, Money, Money]]:
        """(minimum quantity, unit price, unit price in the viewer's currency) per tier."""
        lst = self.listing
        return [
            (
                t.min_quantity,
                Money(t.unit_price_minor, lst.currency),
                self.rate.convert(Money(t.unit_price_minor, lst.currency)),
            )
            for t in lst.tiers
        ]

    def as_json(self) -> dict[str, object]:
        from marketplace.catalog.images import image_json

        lst = self.listing
        org = lst.organization
        return {
            "id": lst.id,
            "exporter": {"id": org.id, "slug": org.slug, "name": org.name, "country": org.country},
            "sku": lst.sku,
            "category": lst.category.code,
            "hs_code": lst.hs_code,
            "hs_code_display": hs_display(lst.hs_code),
            "origin": lst.origin,
            "title": self.title,
            "description": self.description,
            "locale": self.text_locale,
            "fallback": self.fallback,
            "unit": lst.unit,
            "moq": lst.moq,
            "lead_time_days": lst.lead_time_days,
            "stock": lst.stock,
            "status": lst.status,
            "visibility": lst.visibility,
            "incoterms": [{"rule": o.rule, "place": o.place} for o in lst.offers],
            "price_tiers": [
                {"min_quantity": q, "unit_price": p.as_json(), "local_unit_price": lp.as_json()}
                for q, p, lp in self.tiers()
            ],
            "price": self.price.as_json() | {"text": self.price.format(self.locale)},
            "local_price": self.local_price.as_json() | {"text": self.local_price.format(self.locale)},
            "fx": self.rate.as_json(),
            "images": [image_json(image) for image in lst.images],
        }


def view_listing(listing: Listing | ShownListing, locale: str, currency: str, rates: RateProvider) -> ListingView:
    """`listing` in `locale`, its prices converted to `currency` at a dated reference rate."""
    text = listing.translation(locale)
    rate = rates.rate(listing.currency, currency)
    return ListingView(
        listing=listing,
        locale=locale,
        title=text.title,
        description=text.description,
        text_locale=text.locale,
        fallback=text.locale.split("_")[0] != locale.replace("-", "_").split("_")[0],
        price=listing.price,
        local_price=rate.convert(listing.price),
        rate=rate,
    )
