"""RFQ requests: a new RFQ and a seller's quote (or revision)."""

from __future__ import annotations

from marketplace.catalog.schemas import Incoterm, LeadTime
from marketplace.validate import LONG_TEXT, Amount, Schema, Text, Whole

MAX_VALID_DAYS = 365


class RfqIn(Schema):
    listing_id: Whole()
    quantity: Whole()
    message: Text(LONG_TEXT) = ""


class QuoteIn(Schema):
    """An offer in the listing's currency; what is left out is taken from the RFQ and the listing (the unit
    price from the listing's tier for the quantity)."""

    unit_price: Amount | None = None
    quantity: Whole() | None = None
    incoterm: Incoterm | None = None
    incoterm_place: Text(100) | None = None
    lead_time_days: LeadTime | None = None
    valid_days: Whole(MAX_VALID_DAYS) = 14
    note: Text(LONG_TEXT) = ""
    payment_schedule: Text(64) = ""
