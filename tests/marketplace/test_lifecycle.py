"""The full escrow lifecycle through the marketplace: milestones, disputes, rulings, settlements and the
worker's timeouts, on the real database and chain."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.chain import time_travel
from ledger.contracts import STABLECOIN, bind
from ledger.sandbox import DAY
from ledger.verify import verify_bundle
from marketplace import create_app
from marketplace.config import Config
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.platform import start
from marketplace.rfq.models import Quote
from marketplace.rfq.service import create_rfq, submit_quote
from marketplace.trades import actions
from marketplace.trades import service as trades
from marketplace.trades.models import Trade, TradeStatus
from marketplace.worker import Worker
from tests.conftest import Orgs
from tests.marketplace import flow
from tests.marketplace.flow import act, funded
from tests.marketplace.test_pages import login


def token_balance(platform, address: str) -> int:  # type: ignore[no-untyped-def]
    return bind(platform.w3, STABLECOIN, platform.ctx.contracts.token).functions.balanceOf(address).call()


def test_milestones_pay_the_seller_in_tranches(platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    worker.drain()
    trade_id = funded(platform, worker, exporter, buyer, schedule="30/70")
    trade = flow.trade(platform, trade_id)
    first, second = trade.terms.tranches
    assert trade.terms.milestones == (3000, 7000) and first + second == trade.terms.amount
    seller = trade.terms.seller
    before = token_balance(platform, seller)
    act(platform, worker, actions.mark_shipped, exporter, trade_id, "0x" + "aa" * 32)
    trade = act(platform, worker, actions.release_milestone, buyer, trade_id, 0)
    assert trade.released_milestones == 1 and trade.status == TradeStatus.SHIPPED
    assert token_balance(platform, seller) == before + first
    with pytest.raises(Invalid, match="already paid"), platform.db.session() as s:
        actions.release_milestone(s, s.merge(buyer), trade_id, platform.ctx, 0)
    trade = act(platform, worker, actions.confirm_receipt, buyer, trade_id)
    assert trade.status == TradeStatus.RELEASED and trade.totals.seller_amount == trade.terms.amount
    assert token_balance(platform, seller) == before + trade.terms.amount
    assert trade.batch_id is not None  # settled trades are batched for anchoring


def test_a_bad_payment_schedule_is_refused(platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    listing_id = flow.listing(platform, exporter)
    with platform.db.session() as s:
        rfq_id = create_rfq(s, s.merge(buyer), listing_id=listing_id, quantity=100).id
    for schedule in ("30/60", "abc/def", "50", "10/10/10/10/10/10/40"):
        with pytest.raises(Invalid) as info, platform.db.session() as s:
            submit_quote(s, s.merge(exporter), rfq_id, unit_price="1.00", payment_schedule=schedule)
        assert info.value.field == "payment_schedule"
    with platform.db.session() as s:
        assert s.scalar(select(Quote).where(Quote.rfq_id == rfq_id)) is None


def test_a_dispute_is_ruled_by_the_arbitration_desk(platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer, desk = orgs.exporter(), orgs.buyer(), orgs.make("arbiter", locale="en", currency="USD")
    worker.drain()
    trade_id = funded(platform, worker, exporter, buyer)
    trade = act(platform, worker, actions.dispute, buyer, trade_id, "0x" + "ee" * 32)
    assert trade.status == TradeStatus.DISPUTED and trade.disputed_at
    with pytest.raises(Conflict), platform.db.session() as s:
        actions.dispute(s, s.merge(exporter), trade_id, platform.ctx, "0x" + "ee" * 32)
    with pytest.raises(Forbidden), platform.db.session() as s:
        actions.rule(s, s.merge(exporter), trade_id, platform.ctx, "1.00")
    with pytest.raises(Invalid, match="at most"), platform.db.session() as s:
        actions.rule(s, s.merge(desk), trade_id, platform.ctx, "999999.00")
    amount = trade.terms.amount
    fee = amount * trade.terms.arbiter_fee_bps // 10_000
    trade = act(platform, worker, actions.rule, desk, trade_id, "1000.00")
    totals = trade.totals
    assert trade.status == TradeStatus.RESOLVED and trade.outcome == "ruled"
    assert (totals.buyer_amount, totals.arbiter_fee) == (1000 * 10**6, fee)
    assert totals.seller_amount == amount - fee - 1000 * 10**6
    with platform.db.session() as s:
        bundle = trades.proof_bundle(s.get(Trade, trade_id), platform.ctx)
    assert bundle["settlement"]["outcome"] == "ruled"
    assert verify_bundle(bundle, platform.w3, platform.ctx.manifest).verified


def test_parties_settle_on_a_proposal(platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    worker.drain()
    trade_id = funded(platform, worker, exporter, buyer)
    with pytest.raises(Conflict, match="no proposal"), platform.db.session() as s:
        actions.accept_settlement(s, s.merge(buyer), trade_id, platform.ctx)
    with pytest.raises(Invalid), platform.db.session() as s:
        actions.propose_settlement(s, s.merge(exporter), trade_id, platform.ctx, "10000000.00")
    trade = act(platform, worker, actions.propose_settlement, exporter, trade_id, "500.00")
    assert trade.proposal_by == trade.terms.seller and trade.proposal_amount == str(500 * 10**6)
    with pytest.raises(Conflict), platform.db.session() as s:
        actions.accept_settlement(s, s.merge(exporter), trade_id, platform.ctx)  # not your own proposal
    with pytest.raises(NotFound), platform.db.session() as s:
        actions.accept_settlement(s, s.merge(orgs.buyer()), trade_id, platform.ctx)
    trade = act(platform, worker, actions.accept_settlement, buyer, trade_id)
    assert trade.outcome == "settled" and trade.totals.buyer_amount == 500 * 10**6


def test_the_worker_applies_default_outcomes_when_deadlines_pass(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A chain of its own: this test moves time forward."""
    platform = start(Config(instance_dir=tmp_path, testing=True).resolved())
    worker = Worker(platform)
    orgs = Orgs(platform)
    exporter, buyer = orgs.exporter(), orgs.buyer()
    worker.drain()
    unshipped = funded(platform, worker, exporter, buyer)
    shipped = funded(platform, worker, exporter, buyer)
    act(platform, worker, actions.mark_shipped, exporter, shipped, "0x" + "bb" * 32)
    assert flow.trade(platform, shipped).status == TradeStatus.SHIPPED
    disputed = funded(platform, worker, exporter, buyer)
    act(platform, worker, actions.dispute, buyer, disputed, "0x" + "cc" * 32)

    time_travel(platform.w3, 40 * DAY)  # past the inspection period and the shipping deadline
    worker.drain()
    with platform.db.session() as s:
        outcome = {t.id: (t.status, t.outcome) for t in s.scalars(select(Trade))}
    assert outcome[unshipped] == (TradeStatus.REFUNDED, "refunded")
    assert outcome[shipped] == (TradeStatus.RELEASED, "released")
    assert outcome[disputed] == (TradeStatus.RESOLVED, "default_ruled")
    split = trades.split(flow.trade(platform, disputed))
    assert split is not None and split["buyer"].units > 0 and split["seller"].units > 0
    client = create_app(platform=platform).test_client()
    login(client, exporter)  # a German exporter sees the default split in words and in dollars
    page = client.get(f"/trades/{disputed}").text
    assert "aufgeteilt nach Standardentscheidung" in page and split["buyer"].format("de") in page
    platform.close()
