"""Shortcuts to bring a trade to a given step through the real services."""

from __future__ import annotations

import itertools

from marketplace.accounts.models import User
from marketplace.catalog.schemas import ListingIn
from marketplace.catalog.service import create_listing
from marketplace.platform import Platform
from marketplace.rfq.service import create_rfq, submit_quote
from marketplace.trades import actions
from marketplace.trades import service as trades
from marketplace.trades.models import Trade, TradeStatus

TEXTS = {"en": {"title": "Copper cable 3x2.5", "description": "Per metre"}, "de": {"title": "Kupferkabel 3x2,5"}}


def listing_in(*, sku: str = "CAB-1", price: str = "1.25", **fields: object) -> ListingIn:
    """A valid listing: copper cable by the metre, one price tier, CIF Yokohama; `fields` override."""
    return ListingIn.model_validate(
        {
            "sku": sku,
            "hs_code": "8544.49",
            "unit": "MTR",
            "moq": 100,
            "price_tiers": [{"min_quantity": 1, "unit_price": price}],
            "incoterms": [{"rule": "CIF", "place": "Yokohama"}],
            "translations": TEXTS,
            **fields,
        }
    )


def listing(platform: Platform, exporter: User, sku: str = "CAB-1", price: str = "1.25") -> int:
    with platform.db.session() as s:
        return create_listing(s, s.merge(exporter), listing_in(sku=sku, price=price)).id


def quote(platform: Platform, exporter: User, buyer: User, *, valid_days: int = 14, sku: str = "CAB-1") -> int:
    listing_id = listing(platform, exporter, sku=sku)
    with platform.db.session() as s:
        rfq = create_rfq(s, s.merge(buyer), listing_id=listing_id, quantity=500)
        return submit_quote(s, s.merge(exporter), rfq.id, unit_price="1.10", valid_days=valid_days).id


def accepted(platform: Platform, exporter: User, buyer: User, *, sku: str = "CAB-1") -> int:
    quote_id = quote(platform, exporter, buyer, sku=sku)
    with platform.db.session() as s:
        return trades.accept_quote(
            s, s.merge(buyer), quote_id, ctx=platform.ctx, keybox=platform.keybox, rates=platform.rates
        ).id


def trade(platform: Platform, trade_id: int) -> Trade:
    with platform.db.session() as s:
        found = s.get(Trade, trade_id)
        found.terms  # noqa: B018 - load while the session is open
        return found


_skus = itertools.count()


def funded(platform, worker, exporter: User, buyer: User, schedule: str = "") -> int:  # type: ignore[no-untyped-def]
    """A trade accepted and funded on chain (with `schedule` such as "30/70" as its payment schedule)."""
    listing_id = listing(platform, exporter, sku=f"LC-{next(_skus)}")
    with platform.db.session() as s:
        rfq = create_rfq(s, s.merge(buyer), listing_id=listing_id, quantity=1000)
        quote = submit_quote(s, s.merge(exporter), rfq.id, unit_price="2.00", payment_schedule=schedule)
        accepted = trades.accept_quote(
            s, s.merge(buyer), quote.id, ctx=platform.ctx, keybox=platform.keybox, rates=platform.rates
        )
        actions.fund(s, s.merge(buyer), accepted.id, platform.ctx)
        trade_id = accepted.id
    worker.drain()
    assert trade(platform, trade_id).status == TradeStatus.FUNDED
    return trade_id


def act(platform, worker, action, user, trade_id, *args):  # type: ignore[no-untyped-def]
    """Run a trade action as `user`, let the worker confirm it, and return the trade."""
    with platform.db.session() as s:
        action(s, s.merge(user), trade_id, platform.ctx, *args)
    worker.drain()
    return trade(platform, trade_id)
