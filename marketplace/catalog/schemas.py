"""Catalog requests: a listing (new or changed), its translations, and the listings query string."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, NonNegativeInt, ValidationInfo, field_validator

from marketplace.catalog.models import INCOTERMS
from marketplace.catalog.units import UNITS
from marketplace.validate import (
    HS_CHAPTERS,
    INT_MAX,
    LONG_TEXT,
    Amount,
    Country,
    Currency,
    HsCode,
    LocaleCode,
    Query,
    Schema,
    Text,
    Whole,
    refuse,
)

MAX_LEAD_TIME_DAYS = 3650
MAX_TRANSLATIONS = 50
MAX_TIERS = 20
MAX_OFFERS = 22  # every rule at two places
MAX_AUDIENCE = 200


def _incoterm(value: str) -> str:
    if value.upper() not in INCOTERMS:
        raise refuse("%(name)s must be one of %(choices)s (Incoterms 2020)", choices=", ".join(INCOTERMS))
    return value.upper()


def _unit(value: str) -> str:
    if value.upper() not in UNITS:
        raise refuse("%(name)s must be a UN/ECE Recommendation 20 unit code such as PCE, KGM or MTR")
    return value.upper()


Incoterm = Annotated[str, Field(max_length=3), AfterValidator(_incoterm)]
LeadTime = Whole(MAX_LEAD_TIME_DAYS)
Unit = Annotated[str, Field(max_length=3), AfterValidator(_unit)]
CategoryCode = Text(64, min_length=1)
OrgSlug = Text(64, min_length=1)


LOCALE_DOC = (
    "the language to show listings in, a locale code such as de, ja or pt_BR (BCP 47 tags such as de-DE too); "
    "by default the caller's organization's, else English; a listing without text in it is shown in its "
    "source language (`fallback` is true)"
)
CURRENCY_DOC = (
    "the ISO 4217 currency to show prices in besides the seller's own (converted at the ECB reference rate, "
    "recorded in `fx`); by default the caller's organization's, else EUR"
)


class ViewerQuery(Query):
    """`?locale=&currency=`: how the caller wants listings shown (default: its organization's)."""

    locale: LocaleCode | None = Field(None, description=LOCALE_DOC)
    currency: Currency | None = Field(None, description=CURRENCY_DOC)


class TranslationIn(Schema):
    title: Text(200, min_length=1)
    description: Text(LONG_TEXT) = ""


class TierIn(Schema):
    """From `min_quantity` units on, each costs `unit_price` (in the listing's currency)."""

    min_quantity: Whole()
    unit_price: Amount


class OfferIn(Schema):
    """An Incoterms 2020 rule and its named place: `{"rule": "FOB", "place": "Hamburg"}`."""

    rule: Incoterm
    place: Text(100, min_length=1)


def _distinct_tiers(tiers: list[TierIn]) -> list[TierIn]:
    quantities = [t.min_quantity for t in tiers]
    if len(set(quantities)) != len(quantities):
        raise refuse("%(name)s: two tiers start at the same quantity")
    return sorted(tiers, key=lambda t: t.min_quantity)


def _distinct_offers(offers: list[OfferIn]) -> list[OfferIn]:
    keys = [(o.rule, o.place.casefold()) for o in offers]
    if len(set(keys)) != len(keys):
        raise refuse("%(name)s: the same rule and place are offered twice")
    return offers


Tiers = Annotated[list[TierIn], Field(min_length=1, max_length=MAX_TIERS), AfterValidator(_distinct_tiers)]
Offers = Annotated[list[OfferIn], Field(min_length=1, max_length=MAX_OFFERS), AfterValidator(_distinct_offers)]
Status = Literal["draft", "published", "archived"]
VisibilityIn = Literal["public", "restricted"]


class ListingIn(Schema):
    """A listing as its exporter writes it. Prices are in `currency`, by default the exporter's; the
    category defaults to the HS section of `hs_code`, the origin to the exporter's country.
    `audience` (organization slugs) is who sees a `restricted` listing."""

    sku: Text(64, min_length=1)
    category: CategoryCode | None = None
    hs_code: HsCode
    origin: Country | None = None
    unit: Unit = "PCE"
    moq: Whole()
    lead_time_days: LeadTime = 30
    stock: Annotated[NonNegativeInt, Field(le=INT_MAX)] | None = None
    currency: Currency | None = None
    price_tiers: Tiers
    incoterms: Offers
    status: Status = "published"
    visibility: VisibilityIn = "public"
    audience: list[OrgSlug] = Field(default_factory=list, max_length=MAX_AUDIENCE)
    source_locale: LocaleCode | None = None
    translations: dict[LocaleCode, TranslationIn] = Field(min_length=1, max_length=MAX_TRANSLATIONS)


class TranslationQuery(Query):
    locale: LocaleCode


class MineQuery(ViewerQuery):
    """`?status=`: the exporter's own listings in one state (default: every state)."""

    status: Status | None = Field(None, description="only the listings in this state (by default all of them)")


class CategoryQuery(Query):
    """`?locale=`: the language of the category names (default: the caller's organization's, else English)."""

    locale: LocaleCode | None = Field(
        None,
        description="the language of the category names, a locale code such as de or ja; by default the caller's "
        "organization's, else English",
    )


def _hs_prefix(value: str) -> str:
    digits = re.sub(r"[.\s]", "", value)
    if not re.fullmatch(r"[0-9]{2,10}", digits):
        raise refuse("%(name)s must be the start of an HS code: 2 to 10 digits, such as 8482")
    return digits


HsPrefix = Annotated[str, Field(max_length=16), AfterValidator(_hs_prefix)]
_HS_WORDS = re.compile(r"[0-9]{4}(?:[.\s]?[0-9]{2}){0,3}")


def hs_code_of(text: str) -> str | None:
    """The digits of the HS code that `text` is, and nothing else: a heading, subheading or national code
    (4, 6, 8 or 10 digits, a dot or space allowed between the pairs: `8482`, `8482.10`, `848210`,
    `8482 10 10`) in a chapter that exists; else None."""
    text = text.strip()
    if not _HS_WORDS.fullmatch(text):
        return None
    digits = re.sub(r"[.\s]", "", text)
    return digits if int(digits[:2]) in HS_CHAPTERS else None


SearchSort = Literal["relevance", "price", "lead_time", "newest"]
MAX_PAGE = 100


class SearchQuery(Query):
    """`GET /listings`: words (`q`, in the language `lang`, by default the best of Accept-Language with a
    stemmer, else the caller's) found in any translation, and filters; a `q` of an HS code alone is read as
    `hs` (see `by_hs_code`). Prices are in `currency`; `cursor` is the `next` of the page before."""

    q: Text(200) = Field(
        "",
        description="words, found by their stems in any translation; an HS code alone (`8482.10`, `848210`) "
        "asks for the listings under it, as `hs` does (the answer's `hs_from_q`), unless none is under it",
    )
    category: CategoryCode | None = Field(None, description="a category code: that category and those below it")
    origin: Country | None = Field(None, description="the ISO 3166-1 country the goods come from, such as DE")
    hs: HsPrefix | None = Field(None, description="the start of the HS code, 2 to 10 digits, such as 8482")
    incoterm: Incoterm | None = Field(None, description="an Incoterms 2020 rule the exporter offers, such as FOB")
    moq_max: Whole() | None = Field(None, description="at most this minimum order quantity (in the listing's unit)")
    lead_time_max: LeadTime | None = Field(None, description="at most this lead time, in days")
    price_min: Amount | None = Field(
        None, description='the lowest unit price, in `currency`, as a decimal string such as "12.50"'
    )
    price_max: Amount | None = Field(
        None, description='the highest unit price, in `currency`, as a decimal string such as "12.50"'
    )
    currency: Currency | None = Field(None, description=CURRENCY_DOC + "; price bounds are in it too")
    exporter: OrgSlug | None = Field(None, description="one exporter's listings only: its slug, as in /s/<slug>")
    sort: SearchSort = Field(
        "relevance",
        description="the order: relevance (with words, else newest), price (lowest first), lead_time (shortest "
        "first) or newest",
    )
    cursor: Text(500) | None = Field(
        None, description="the `next` of the page before, to continue the same search; absent for the first page"
    )
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = Field(20, description="how many listings per page")
    lang: LocaleCode | None = Field(
        None,
        description="the language of `q`; by default the best language of the Accept-Language header that "
        "has a stemmer, else `locale`",
    )
    locale: LocaleCode | None = Field(None, description=LOCALE_DOC)

    @field_validator("price_max")
    @classmethod
    def _not_below_price_min(cls, high: Decimal | None, info: ValidationInfo) -> Decimal | None:
        low = info.data.get("price_min")
        if high is not None and low is not None and high < low:
            raise refuse("%(name)s must not be below the lowest unit price")
        return high

    def by_hs_code(self) -> SearchQuery | None:
        """This search with `q` read as an HS code filter, when `q` is an HS code alone (`8482.10`) that
        agrees with the `hs` filter, if one is set (the longer of the two applies); else None."""
        code = hs_code_of(self.q)
        if code is None or (self.hs and not (code.startswith(self.hs) or self.hs.startswith(code))):
            return None
        return self.model_copy(update={"q": "", "hs": max(code, self.hs or "", key=len)})


class FacetOut(Schema):
    """One value the results can be narrowed to, and how many results it keeps."""

    code: str = Field(description="the value to pass as the filter: a category code, a country, an Incoterm")
    count: NonNegativeInt
    name: str | None = Field(None, description="categories only: the category's name in the caller's language")


class ListingsPage(Schema):
    """What `GET /listings` answers: one page of the results, the counts that narrow them and their number."""

    items: list[dict[str, Any]] = Field(
        description="the page's listings, best first, each as `GET /listings/{listing_id}` answers it"
    )
    facets: dict[Literal["category", "origin", "incoterm"], list[FacetOut]] = Field(
        description="per filter, its values among the results (each counted without its own filter)"
    )
    next: str | None = Field(description="the `cursor` of the next page; null on the last page")
    total: NonNegativeInt = Field(description="how many listings match the search, on every page together")
    hs_from_q: str | None = Field(
        description="the HS code (digits) that `q` was read as: a `q` of an HS code alone (`8482.10`, "
        "`848210`) asks for the listings under that code, as `hs` does, when there are any; else null"
    )
