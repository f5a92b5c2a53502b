"""Publishing listings and showing them in a buyer's language and currency."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import OrgKind, User
from marketplace.accounts.service import require
from marketplace.catalog.models import Listing, ListingTranslation
from marketplace.errors import Invalid, NotFound
from marketplace.pricing.fx import RateProvider, RateSnapshot
from marketplace.pricing.money import Money


def create_listing(
    session: Session,
    user: User,
    *,
    sku: str,
    hs_code: str,
    unit: str = "pc",
    moq: int,
    incoterm: str,
    incoterm_place: str = "",
    price: Decimal | str,
    currency: str | None = None,
    lead_time_days: int = 30,
    translations: dict[str, dict[str, str]],
) -> Listing:
    """Publish a listing of the user's exporter organization, priced in its currency by default.
    `translations` maps a locale to `{"title", "description"}`; at least one title is required.
    The arguments are checked for type, size and format by `ListingIn` (catalog.schemas)."""
    org = require(user, OrgKind.EXPORTER)
    texts = {loc: t for loc, t in translations.items() if (t.get("title") or "").strip()}
    if not texts:
        raise Invalid("a title in at least one language is required", "translations")
    money = Money.parse(price, currency or org.currency)
    if money.minor == 0:
        raise Invalid("the price must be above zero", "price")
    if session.scalar(select(Listing).where(Listing.organization_id == org.id, Listing.sku == sku)):
        raise Invalid("you already list SKU %(sku)s", "sku", sku=sku)
    listing = Listing(
        organization_id=org.id,
        sku=sku,
        hs_code=hs_code,
        unit=unit,
        moq=moq,
        incoterm=incoterm,
        incoterm_place=incoterm_place,
        price_minor=money.minor,
        currency=money.currency,
        lead_time_days=lead_time_days,
        translations=[
            ListingTranslation(locale=loc, title=t["title"].strip(), description=(t.get("description") or "").strip())
            for loc, t in texts.items()
        ],
    )
    session.add(listing)
    session.flush()
    return listing


def get_listing(session: Session, listing_id: int) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None or not listing.active:
        raise NotFound("no such listing")
    return listing


def active_listings(session: Session) -> list[Listing]:
    return list(session.scalars(select(Listing).where(Listing.active).order_by(Listing.id.desc())))


@dataclass(frozen=True)
class ListingView:
    """A listing as one viewer sees it: text in their language, price also in their currency."""

    listing: Listing
    locale: str
    title: str
    description: str
    text_locale: str
    price: Money
    local_price: Money
    rate: RateSnapshot

    def as_json(self) -> dict[str, object]:
        lst = self.listing
        return {
            "id": lst.id,
            "exporter": {
                "id": lst.organization_id,
                "name": lst.organization.name,
                "country": lst.organization.country,
            },
            "sku": lst.sku,
            "hs_code": lst.hs_code,
            "title": self.title,
            "description": self.description,
            "locale": self.text_locale,
            "unit": lst.unit,
            "moq": lst.moq,
            "incoterm": lst.incoterm,
            "incoterm_place": lst.incoterm_place,
            "lead_time_days": lst.lead_time_days,
            "price": self.price.as_json() | {"text": self.price.format(self.locale)},
            "local_price": self.local_price.as_json() | {"text": self.local_price.format(self.locale)},
            "fx": self.rate.as_json(),
        }


def view_listing(listing: Listing, locale: str, currency: str, rates: RateProvider) -> ListingView:
    """`listing` in `locale`, its price converted to `currency` at a dated reference rate."""
    text = listing.translation(locale)
    rate = rates.rate(listing.currency, currency)
    return ListingView(
        listing=listing,
        locale=locale,
        title=text.title,
        description=text.description,
        text_locale=text.locale,
        price=listing.price,
        local_price=rate.convert(listing.price),
        rate=rate,
    )
