"""Publishing listings and showing them in a buyer's language and currency."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import OrgKind, User
from marketplace.accounts.service import require
from marketplace.catalog.models import INCOTERMS, Listing, ListingTranslation
from marketplace.errors import Invalid, NotFound
from marketplace.pricing.fx import RateProvider, RateSnapshot
from marketplace.pricing.money import Money
from marketplace.validate import positive_int


def create_listing(
    session: Session,
    user: User,
    *,
    sku: str,
    hs_code: str,
    unit: str,
    moq: object,
    incoterm: str,
    incoterm_place: str,
    price: str,
    currency: str | None = None,
    lead_time_days: object = 30,
    translations: dict[str, dict[str, str]],
) -> Listing:
    """Publish a listing of the user's exporter organization, priced in its currency by default.
    `translations` maps a locale to `{"title", "description"}`; at least one is required."""
    org = require(user, OrgKind.EXPORTER)
    if not sku.strip():
        raise Invalid("sku is required", "sku")
    if not re.fullmatch(r"\d{4}(\.?\d{2}){0,3}", hs_code.strip()):
        raise Invalid("hs_code must be an HS code such as 8482.10", "hs_code")
    incoterm = incoterm.strip().upper()
    if incoterm not in INCOTERMS:
        raise Invalid(f"incoterm must be one of {', '.join(INCOTERMS)} (Incoterms 2020)", "incoterm")
    texts = {loc: t for loc, t in (translations or {}).items() if (t.get("title") or "").strip()}
    if not texts:
        raise Invalid("a title in at least one language is required", "translations")
    money = Money.parse(price, currency or org.currency)
    if money.minor == 0:
        raise Invalid("the price must be above zero", "price")
    if session.scalar(select(Listing).where(Listing.organization_id == org.id, Listing.sku == sku.strip())):
        raise Invalid(f"you already list SKU {sku.strip()}", "sku")
    listing = Listing(
        organization_id=org.id,
        sku=sku.strip(),
        hs_code=hs_code.strip(),
        unit=unit.strip() or "pc",
        moq=positive_int(moq, "moq"),
        incoterm=incoterm,
        incoterm_place=incoterm_place.strip(),
        price_minor=money.minor,
        currency=money.currency,
        lead_time_days=positive_int(lead_time_days, "lead_time_days"),
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
