"""Business rules of the services, on the real database and chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from ledger.store import OutboxTx
from marketplace.accounts.models import Role
from marketplace.catalog.schemas import ListingIn
from marketplace.catalog.service import create_listing, view_listing
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.pricing.money import Money
from marketplace.rfq.models import Quote, Rfq
from marketplace.rfq.service import create_rfq, history_intact, submit_quote
from marketplace.trades import actions
from marketplace.trades import service as trades
from marketplace.trades.models import TradeStatus
from marketplace.validate import invalid
from tests.conftest import Orgs
from tests.marketplace import flow
from tests.marketplace.test_pages import login


def outbox_count(platform) -> int:  # type: ignore[no-untyped-def]
    with platform.db.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxTx))


def test_a_buyer_cannot_publish_listings(platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    buyer = orgs.buyer()
    with pytest.raises(Forbidden), platform.db.session() as s:
        create_listing(s, s.merge(buyer), flow.listing_in(sku="X"))


def test_a_viewer_cannot_quote(platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    listing_id = flow.listing(platform, exporter)
    viewer = orgs.make("exporter", role=Role.VIEWER)
    with platform.db.session() as s:
        rfq = create_rfq(s, s.merge(buyer), listing_id=listing_id, quantity=100)
        rfq_id = rfq.id
    with pytest.raises((Forbidden, NotFound)), platform.db.session() as s:
        submit_quote(s, s.merge(viewer), rfq_id, unit_price="1.00")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price_tiers.0.unit_price", "1.234", "at most 2 decimals"),
        ("price_tiers.0.unit_price", "abc", "decimal number"),
        ("price_tiers.0.unit_price", "0", "above zero"),
        ("price_tiers", [{"min_quantity": 5, "unit_price": "1"}], "at or below the minimum order quantity"),
        ("price_tiers", [], "at least 1"),
        ("hs_code", "12", "HS code"),
        ("hs_code", "8482", "6 to 10 digits"),
        ("hs_code", "7701.10", "chapter from 01 to 97"),
        ("hs_code", "9901.10", "chapter from 01 to 97"),
        ("incoterms.0.rule", "XYZ", "Incoterms"),
        ("incoterms", [{"rule": "FOB", "place": "Kobe"}, {"rule": "FOB", "place": "kobe"}], "offered twice"),
        ("moq", 0, "above 0"),
        ("moq", "12", "whole number"),
        ("origin", "XX", "ISO 3166-1"),
        ("unit", "pcs", "UN/ECE"),
        ("category", "no-such", "no category"),
        ("stock", -1, "at least 0"),
        ("status", "gone", "one of"),
        ("audience", ["nobody-here"], "no buyer organization"),
        ("source_locale", "fr", "no translation in fr"),
    ],
)
def test_bad_listing_input_names_the_field(platform, orgs: Orgs, field, value, message) -> None:  # type: ignore[no-untyped-def]
    """The schema checks form and type, the service the rules; both refuse with the field's name."""
    exporter = orgs.exporter()
    data: dict[str, object] = {
        "sku": "S",
        "hs_code": "8544.49",
        "unit": "MTR",
        "moq": 1,
        "price_tiers": [{"min_quantity": 1, "unit_price": "1.00"}],
        "incoterms": [{"rule": "FOB", "place": "Kobe"}],
        "visibility": "restricted",
        "translations": flow.TEXTS,
    }
    head, _, rest = field.partition(".")
    if rest:  # a field inside the first tier or offer
        index, _, key = rest.partition(".")
        data[head] = [{**data[head][int(index)], key: value}]  # type: ignore[index]
    else:
        data[field] = value
    with pytest.raises(Invalid, match=message) as info, platform.db.session() as s:
        try:
            listing = ListingIn.model_validate(data)
        except ValidationError as exc:
            raise invalid(exc) from exc
        create_listing(s, s.merge(exporter), listing)
    assert info.value.field == field


def test_rfq_below_moq_is_refused(platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    listing_id = flow.listing(platform, orgs.exporter())
    with pytest.raises(Invalid, match="minimum order quantity is 100"), platform.db.session() as s:
        create_rfq(s, s.merge(orgs.buyer()), listing_id=listing_id, quantity=99)


def test_listing_shows_in_the_buyers_language_and_currency(platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    listing_id = flow.listing(platform, orgs.exporter(), price="2.00")
    with platform.db.session() as s:
        from marketplace.catalog.models import Listing

        view = view_listing(s.get(Listing, listing_id), "de_DE", "JPY", platform.rates)
        assert view.title == "Kupferkabel 3x2,5"
        assert view.local_price.currency == "JPY"
        assert view.local_price == Money.from_decimal(Money(200, "EUR").amount * view.rate.rate, "JPY")
        assert view.rate.source.startswith("ECB") and view.rate.source_date.year >= 2026
        fallback = view_listing(s.get(Listing, listing_id), "ar", "EUR", platform.rates)
        assert fallback.title == "Kupferkabel 3x2,5"  # exporter's own locale when there is no Arabic text


def test_quote_revisions_form_a_tamper_evident_chain(platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    first = flow.quote(platform, exporter, buyer)
    with platform.db.session() as s:
        rfq_id = s.get(Quote, first).rfq_id
        second = submit_quote(s, s.merge(exporter), rfq_id, unit_price="1.05", note="best price")
        assert second.revision == 2 and second.prev_hash == s.get(Quote, first).hash
        assert s.get(Quote, first).status == "superseded"
        assert history_intact(s.get(Rfq, rfq_id))
        s.get(Quote, first).unit_price_minor = 1  # someone edits history in the database
        assert not history_intact(s.get(Rfq, rfq_id))
        s.rollback()


def test_accepting_locks_terms_with_fx_provenance_and_both_signatures(platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    trade = flow.trade(platform, flow.accepted(platform, exporter, buyer))
    terms = trade.terms
    details = terms.details
    assert details["price"] == {"currency": "EUR", "unit_price_minor": 110, "total_minor": 55000}
    assert details["fx"]["base"] == "EUR" and details["fx"]["quote"] == "USD"
    assert details["fx"]["source"].startswith("ECB")
    expected_cents = Money.from_decimal(Money(55000, "EUR").amount * Decimal(details["fx"]["rate"]), "USD").minor
    assert details["settlement"]["total_minor"] == expected_cents
    assert terms.amount == expected_cents * 10**4  # 6-decimal token
    ctx = platform.ctx
    assert (
        terms.signer_of(bytes.fromhex(trade.seller_signature[2:]), ctx.chain_id, ctx.contracts.escrow) == terms.seller
    )
    assert terms.signer_of(bytes.fromhex(trade.buyer_signature[2:]), ctx.chain_id, ctx.contracts.escrow) == terms.buyer


def test_an_expired_quote_cannot_be_accepted(platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    quote_id = flow.quote(platform, exporter, buyer)
    with platform.db.session() as s:
        s.get(Quote, quote_id).valid_until = datetime.now(UTC) - timedelta(minutes=1)
    with pytest.raises(Conflict, match="expired"), platform.db.session() as s:
        trades.accept_quote(s, s.merge(buyer), quote_id, ctx=platform.ctx, keybox=platform.keybox, rates=platform.rates)
    with platform.db.session() as s:
        assert s.get(Quote, quote_id).status == "open"


def test_another_organization_cannot_touch_a_trade(platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    trade_id = flow.accepted(platform, orgs.exporter(), orgs.buyer())
    intruder, other_exporter = orgs.buyer(), orgs.exporter()
    before = outbox_count(platform)
    with pytest.raises(NotFound), platform.db.session() as s:
        actions.fund(s, s.merge(intruder), trade_id, platform.ctx)
    with pytest.raises(NotFound), platform.db.session() as s:
        trades.visible_trade(s, s.merge(other_exporter), trade_id)
    assert outbox_count(platform) == before
    auditor = orgs.auditor()
    with platform.db.session() as s:
        assert trades.visible_trade(s, s.merge(auditor), trade_id).id == trade_id  # auditors read everything


def test_funding_twice_is_refused_and_queues_nothing(platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    trade_id = flow.accepted(platform, exporter, buyer)
    with platform.db.session() as s:
        actions.fund(s, s.merge(buyer), trade_id, platform.ctx)
    queued = outbox_count(platform)
    with pytest.raises(Conflict, match="already on its way"), platform.db.session() as s:
        actions.fund(s, s.merge(buyer), trade_id, platform.ctx)
    worker.drain()
    assert flow.trade(platform, trade_id).status == TradeStatus.FUNDED
    with pytest.raises(Conflict, match="funded"), platform.db.session() as s:
        actions.fund(s, s.merge(buyer), trade_id, platform.ctx)
    assert outbox_count(platform) == queued


def test_a_failed_chain_call_gives_the_action_back_with_the_reason(app, platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    worker.drain()  # faucet first
    trade_id = flow.accepted(platform, exporter, buyer)
    with platform.db.session() as s:
        t = s.get(trades.Trade, trade_id)
        wallet = t.buyer.wallet.address
        # the buyer spends its stablecoins elsewhere before funding: the deposit transfer must fail
        from ledger.contracts import STABLECOIN, bind, transact

        token = bind(platform.w3, STABLECOIN, platform.ctx.contracts.token)
        account = platform.keybox.open(wallet, t.buyer.wallet.sealed_key)
        transact(
            platform.w3, account, token, "transfer", platform.ctx.operator, token.functions.balanceOf(wallet).call()
        )
        actions.fund(s, t.buyer.users[0], trade_id, platform.ctx)
    worker.drain()
    failed = flow.trade(platform, trade_id)
    assert failed.status == TradeStatus.AWAITING_FUNDING
    assert failed.pending_action is None
    assert failed.failed_action == "fund" and "ERC20InsufficientBalance" in failed.last_error
    client = app.test_client()
    login(client, buyer)  # a Japanese buyer: the failed action in words, then the node's reason
    assert "入金は完了しませんでした: " in client.get(f"/trades/{trade_id}").text
