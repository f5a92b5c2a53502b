"""Shortcuts to bring a trade to a given step through the real services."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.catalog.service import create_listing
from marketplace.platform import Platform
from marketplace.rfq.service import create_rfq, submit_quote
from marketplace.trades import service as trades
from marketplace.trades.models import Trade

TEXTS = {"en": {"title": "Copper cable 3x2.5", "description": "Per metre"}, "de": {"title": "Kupferkabel 3x2,5"}}


def listing(platform: Platform, exporter: User, sku: str = "CAB-1", price: str = "1.25") -> int:
    with platform.db.session() as s:
        return create_listing(
            s,
            s.merge(exporter),
            sku=sku,
            hs_code="8544.49",
            unit="m",
            moq=100,
            incoterm="CIF",
            incoterm_place="Yokohama",
            price=price,
            translations=TEXTS,
        ).id


def quote(platform: Platform, exporter: User, buyer: User, *, valid_days: int = 14) -> int:
    listing_id = listing(platform, exporter)
    with platform.db.session() as s:
        rfq = create_rfq(s, s.merge(buyer), listing_id=listing_id, quantity=500)
        return submit_quote(s, s.merge(exporter), rfq.id, unit_price="1.10", valid_days=valid_days).id


def accepted(platform: Platform, exporter: User, buyer: User) -> int:
    quote_id = quote(platform, exporter, buyer)
    with platform.db.session() as s:
        return trades.accept_quote(
            s, s.merge(buyer), quote_id, ctx=platform.ctx, keybox=platform.keybox, rates=platform.rates
        ).id


def trade(platform: Platform, trade_id: int) -> Trade:
    with platform.db.session() as s:
        found = s.get(Trade, trade_id)
        found.terms  # noqa: B018 - load while the session is open
        return found
