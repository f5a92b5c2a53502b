"""Catalog requests: the listings query string and a new listing."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from marketplace.catalog.models import INCOTERMS
from marketplace.validate import (
    LONG_TEXT,
    Amount,
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


def _incoterm(value: str) -> str:
    if value.upper() not in INCOTERMS:
        raise refuse("%(name)s must be one of %(choices)s (Incoterms 2020)", choices=", ".join(INCOTERMS))
    return value.upper()


Incoterm = Annotated[str, Field(max_length=3), AfterValidator(_incoterm)]
LeadTime = Whole(MAX_LEAD_TIME_DAYS)


class ViewerQuery(Query):
    """`?locale=&currency=`: how the caller wants listings shown (default: its organization's)."""

    locale: LocaleCode | None = None
    currency: Currency | None = None


class TranslationIn(Schema):
    title: Text(200) = ""
    description: Text(LONG_TEXT) = ""


class ListingIn(Schema):
    """A new listing. `price` is in `currency`, by default the exporter's."""

    sku: Text(64, min_length=1)
    hs_code: HsCode
    unit: Text(16, min_length=1) = "pc"
    moq: Whole()
    incoterm: Incoterm
    incoterm_place: Text(100) = ""
    price: Amount
    currency: Currency | None = None
    lead_time_days: LeadTime = 30
    translations: dict[LocaleCode, TranslationIn] = Field(max_length=MAX_TRANSLATIONS)
