"""Accepting a quote into a trade, escrow actions through the outbox, chain events back into trade
state, settlement batches and proof bundles."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ledger.bundle import Settlement, build_bundle
from ledger.canonical import canonical_json
from ledger.contracts import ESCROW, REGISTRY, encode_call
from ledger.indexer import event_args
from ledger.keystore import KeyBox
from ledger.merkle import Outcome, SettlementTotals, merkle_proof, merkle_root, settlement_leaf
from ledger.relay import REASON_NO_GAS, REASON_REFUSED, enqueue
from ledger.store import ChainEvent, OutboxTx, TxStatus
from ledger.terms import TradeTerms
from marketplace.accounts.models import Organization, OrgKind, User, Wallet
from marketplace.chain_context import ChainContext
from marketplace.db import as_utc, transition
from marketplace.errors import Conflict, NotFound
from marketplace.pricing.fx import RateProvider
from marketplace.pricing.money import Money, TokenAmount, exponent
from marketplace.rfq.models import QuoteStatus, RfqStatus
from marketplace.rfq.service import acceptable_quote
from marketplace.trades.models import FINAL, BatchStatus, SettlementBatch, Trade, TradeStatus
from marketplace.validate import hs_display

OVERSEERS = (OrgKind.AUDITOR, OrgKind.ARBITER)  # organizations that see every trade
SETTLEMENT_CURRENCY = "USD"
TOKEN_DECIMALS = 6
TOKEN_SYMBOL = "tUSD"
ANCHOR_RETRY_SECONDS = 60  # a refused anchor is queued again after this long


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _wallet(session: Session, org: Organization) -> str:
    wallet = session.scalar(select(Wallet).where(Wallet.organization_id == org.id))
    if wallet is None:
        raise Conflict("%(organization)s has no wallet", organization=org.name)
    return wallet.address


def accept_quote(
    session: Session, user: User, quote_id: int, *, ctx: ChainContext, keybox: KeyBox, rates: RateProvider
) -> Trade:
    """The buyer accepts a quote: the trade's canonical terms are fixed, with the FX snapshot that
    converts the quote's total into the settlement stablecoin, and both parties sign them."""
    quote = acceptable_quote(session, user, quote_id)
    rfq = quote.rfq
    if not (
        transition(session, quote, "status", QuoteStatus.OPEN, QuoteStatus.ACCEPTED)
        and transition(session, rfq, "status", RfqStatus.OPEN, RfqStatus.ACCEPTED)
    ):
        raise Conflict("this quote was accepted or revised meanwhile")
    total = quote.total
    fx = rates.rate(total.currency, SETTLEMENT_CURRENCY)
    settlement = fx.convert(total)
    token_amount = settlement.minor * 10 ** (TOKEN_DECIMALS - exponent(SETTLEMENT_CURRENCY))
    now = datetime.now(UTC).replace(microsecond=0)
    listing = rfq.listing
    trade = Trade(
        reference="pending",
        quote_id=quote.id,
        buyer_org_id=rfq.buyer_org_id,
        seller_org_id=rfq.seller_org_id,
        chain_id=ctx.chain_id,
        terms_json="{}",
        terms_digest="",
        seller_signature="",
        buyer_signature="",
    )
    session.add(trade)
    session.flush()
    trade.reference = f"TW-{trade.id:06d}"
    details = {
        "trade": trade.reference,
        "deal": str(uuid.uuid4()),  # makes the terms, and so the deal's key, unique
        "accepted_at": now.isoformat(),
        "buyer": {"organization": rfq.buyer.name, "country": rfq.buyer.country},
        "seller": {"organization": rfq.seller.name, "country": rfq.seller.country},
        "goods": {
            "sku": listing.sku,
            "title": listing.translation("en").title,
            "hs_code": hs_display(listing.hs_code),
            "quantity": quote.quantity,
            "unit": listing.unit,
        },
        "incoterm": {"rule": quote.incoterm, "place": quote.incoterm_place, "edition": "Incoterms 2020"},
        "price": {
            "currency": quote.currency,
            "unit_price_minor": quote.unit_price_minor,
            "total_minor": total.minor,
        },
        "settlement": {
            "currency": SETTLEMENT_CURRENCY,
            "total_minor": settlement.minor,
            "token_symbol": TOKEN_SYMBOL,
            "token_decimals": TOKEN_DECIMALS,
        },
        "fx": fx.as_json(),
        "quote": {"rfq": rfq.id, "revision": quote.revision, "hash": quote.hash},
        "payment_schedule_bps": list(quote.schedule_bps) or [10_000],
    }
    terms = TradeTerms(
        buyer=_wallet(session, rfq.buyer),
        seller=_wallet(session, rfq.seller),
        token=ctx.contracts.token,
        amount=token_amount,
        ship_by=int(now.timestamp()) + quote.lead_time_days * 86400,
        inspection_period=ctx.inspection_period,
        dispute_period=ctx.dispute_period,
        arbiter=ctx.arbiter,
        arbiter_fee_bps=ctx.arbiter_fee_bps,
        platform_fee_bps=ctx.platform_fee_bps,
        default_buyer_bps=ctx.default_buyer_bps,
        milestones=quote.schedule_bps,
        details=details,
    )
    seller_key = keybox.open(terms.seller, rfq.seller.wallet.sealed_key)
    buyer_key = keybox.open(terms.buyer, rfq.buyer.wallet.sealed_key)
    trade.terms_json = canonical_json(terms.to_json()).decode()
    trade.terms_digest = _hex(terms.digest(ctx.chain_id, ctx.contracts.escrow))
    trade.seller_signature = _hex(terms.sign(seller_key, ctx.chain_id, ctx.contracts.escrow))
    trade.buyer_signature = _hex(terms.sign(buyer_key, ctx.chain_id, ctx.contracts.escrow))
    session.flush()
    return trade


def visible_trade(session: Session, user: User, trade_id: int) -> Trade:
    """The trade if the user's organization is a party to it, or an auditor."""
    trade = session.get(Trade, trade_id)
    org = user.organization
    if trade is None or (org.kind not in OVERSEERS and org.id not in (trade.buyer_org_id, trade.seller_org_id)):
        raise NotFound("no such trade")
    return trade


def trades_for(session: Session, user: User) -> list[Trade]:
    org = user.organization
    query = select(Trade).order_by(Trade.id.desc())
    if org.kind not in OVERSEERS:
        query = query.where(or_(Trade.buyer_org_id == org.id, Trade.seller_org_id == org.id))
    return list(session.scalars(query))


_CLOSED_STATUS = {
    Outcome.RELEASED: TradeStatus.RELEASED,
    Outcome.REFUNDED: TradeStatus.REFUNDED,
    Outcome.RULED: TradeStatus.RESOLVED,
    Outcome.DEFAULT_RULED: TradeStatus.RESOLVED,
    Outcome.SETTLED: TradeStatus.RESOLVED,
}
# event -> (status it confirms, transaction column, pending actions it completes)
_EVENT_EFFECT: dict[str, tuple[TradeStatus | None, str | None, tuple[str, ...]]] = {
    "DealOpened": (TradeStatus.FUNDED, "open_tx", ("fund",)),
    "DealShipped": (TradeStatus.SHIPPED, "ship_tx", ("ship",)),
    "DealDisputed": (TradeStatus.DISPUTED, None, ("dispute",)),
    "MilestoneReleased": (None, None, ("milestone",)),
    "SettlementProposed": (None, None, ("propose", "settle")),
    "DealClosed": (None, "close_tx", ("release", "refund", "milestone", "rule", "accept", "settle", "timeout")),
}


def _reset_chain_state(trade: Trade) -> None:
    trade.status, trade.open_tx, trade.ship_tx, trade.close_tx = TradeStatus.AWAITING_FUNDING, None, None, None
    trade.released_milestones, trade.outcome, trade.shipped_at, trade.disputed_at = 0, None, None, None
    trade.buyer_amount = trade.seller_amount = trade.platform_fee = trade.arbiter_fee = None
    trade.proposal_by = trade.proposal_amount = None


def replay_trade(session: Session, trade: Trade) -> None:
    """Derive the trade's chain state from the indexed events of its deal (idempotent, reorg-safe)."""
    events = session.scalars(
        select(ChainEvent)
        .where(
            ChainEvent.chain_id == trade.chain_id,
            ChainEvent.key == trade.terms_digest,
            ChainEvent.contract == ESCROW,
        )
        .order_by(ChainEvent.block_number, ChainEvent.log_index)
    )
    _reset_chain_state(trade)
    for event in events:
        effect = _EVENT_EFFECT.get(event.name)
        if effect is None:
            continue
        status, tx_field, actions = effect
        args = event_args(event)
        if event.name == "DealShipped":
            trade.document_hash, trade.shipped_at = args["documentHash"], event.block_time
        elif event.name == "DealDisputed":
            trade.disputed_at = event.block_time
        elif event.name == "SettlementProposed":
            trade.proposal_by, trade.proposal_amount = args["party"], args["buyerAmount"]
        elif event.name == "MilestoneReleased":
            trade.released_milestones |= 1 << int(args["index"])
        elif event.name == "DealClosed":
            outcome = Outcome(int(args["outcome"]))
            status, trade.outcome = _CLOSED_STATUS[outcome], outcome.name.lower()
            trade.buyer_amount, trade.seller_amount = args["buyerAmount"], args["sellerAmount"]
            trade.platform_fee, trade.arbiter_fee = args["platformFee"], args["arbiterFee"]
            trade.proposal_by = trade.proposal_amount = None
            if outcome == Outcome.RELEASED:  # the release pays every milestone still escrowed
                trade.released_milestones = (1 << len(trade.terms.tranches)) - 1
        if status is not None:
            trade.status = status
        if tx_field is not None:
            setattr(trade, tx_field, event.tx_hash)
        if trade.pending_action in actions:
            trade.pending_action, trade.pending_outbox_id = None, None


def replay_batch(session: Session, batch: SettlementBatch) -> None:
    """Derive a batch's anchoring from the indexed RootAnchored event."""
    event = session.scalar(
        select(ChainEvent).where(
            ChainEvent.chain_id == batch.chain_id,
            ChainEvent.key == batch.root,
            ChainEvent.name == "RootAnchored",
        )
    )
    batch.status = BatchStatus.ANCHORED if event else BatchStatus.PENDING
    batch.anchor_tx = event.tx_hash if event else None
    batch.anchored_block = event.block_number if event else None


def apply_chain_events(session: Session, events: list[ChainEvent]) -> None:
    """Bring trades and batches in line with events the indexer added or rolled back."""
    keys = {e.key for e in events if e.key}
    for trade in session.scalars(select(Trade).where(Trade.terms_digest.in_(keys))):
        replay_trade(session, trade)
    for batch in session.scalars(select(SettlementBatch).where(SettlementBatch.root.in_(keys))):
        replay_batch(session, batch)


def surface_failures(session: Session) -> None:
    """Trades whose pending transaction failed get their action back, with the reason."""
    rows = session.execute(
        select(Trade, OutboxTx)
        .join(OutboxTx, OutboxTx.id == Trade.pending_outbox_id)
        .where(OutboxTx.status == TxStatus.FAILED)
    )
    for trade, tx in rows:  # the short reason: the node's full answer (URLs, hosts) stays in the outbox
        trade.failed_action, trade.last_error = trade.pending_action, tx.reason or REASON_REFUSED
        trade.pending_action, trade.pending_outbox_id = None, None


def settlement_of(trade: Trade) -> SettlementTotals:
    """Who got how much in a closed trade, as the chain reported it."""
    totals = trade.totals
    if totals is None:
        raise Conflict("the trade is not settled yet")
    return totals


def shares(trade: Trade) -> dict[str, int] | None:
    """Who got how much of a closed trade, in token units, as the chain reported it (None while open)."""
    totals = trade.totals
    if totals is None:
        return None
    return {
        "buyer": totals.buyer_amount,
        "seller": totals.seller_amount,
        "platform_fee": totals.platform_fee,
        "arbiter_fee": totals.arbiter_fee,
    }


def split(trade: Trade) -> dict[str, TokenAmount] | None:
    """The shares of a closed trade in the settlement currency."""
    units = shares(trade)
    return {name: token_money(amount) for name, amount in units.items()} if units is not None else None


def leaf_of(trade: Trade) -> bytes:
    """The trade's settlement leaf."""
    terms = trade.terms
    return settlement_leaf(bytes.fromhex(trade.terms_digest[2:]), terms.token, settlement_of(trade))


def anchor_pending(
    session: Session, ctx: ChainContext, retry_after: float = ANCHOR_RETRY_SECONDS
) -> SettlementBatch | None:
    """Queue again the anchoring of batches whose anchor the node refused (no gas, say) at least
    `retry_after` seconds ago, then put every settled, not yet batched trade into a new batch and queue
    its anchoring. (An anchor that a reorg dropped is sent again by the relay, and the indexer brings the
    batch back to anchored; an anchor that reverted would revert again.)"""
    refused = session.execute(
        select(SettlementBatch, OutboxTx)
        .join(OutboxTx, OutboxTx.id == SettlementBatch.outbox_id)
        .where(
            SettlementBatch.chain_id == ctx.chain_id,
            SettlementBatch.status == BatchStatus.PENDING,
            OutboxTx.status == TxStatus.FAILED,
            OutboxTx.reason.in_((REASON_REFUSED, REASON_NO_GAS)),
        )
    )
    now = datetime.now(UTC)
    for batch, tx in refused:
        if (now - as_utc(tx.updated_at)).total_seconds() >= retry_after:
            _queue_anchor(session, ctx, batch)
    trades = list(
        session.scalars(
            select(Trade)
            .where(Trade.chain_id == ctx.chain_id, Trade.status.in_(FINAL), Trade.batch_id.is_(None))
            .order_by(Trade.id)
        )
    )
    if not trades:
        return None
    leaves = [leaf_of(t) for t in trades]
    root = merkle_root(leaves)
    batch = SettlementBatch(chain_id=ctx.chain_id, root=_hex(root), leaf_count=len(leaves))
    session.add(batch)
    session.flush()
    for trade, leaf in zip(trades, leaves, strict=True):
        trade.batch_id, trade.leaf = batch.id, _hex(leaf)
    _queue_anchor(session, ctx, batch)
    return batch


def _queue_anchor(session: Session, ctx: ChainContext, batch: SettlementBatch) -> None:
    root = bytes.fromhex(batch.root[2:])
    tx = enqueue(
        session,
        chain_id=ctx.chain_id,
        sender=ctx.operator,
        to=ctx.contracts.registry,
        data=encode_call(REGISTRY, "anchor", [root, batch.id, batch.leaf_count, ctx.contracts.schema_id]),
        purpose="anchor",
        reference=f"batch:{batch.id}",
    )
    batch.outbox_id = tx.id
    session.flush()


def proof_bundle(trade: Trade, ctx: ChainContext) -> dict[str, Any]:
    """The proof bundle of an anchored settlement."""
    batch = trade.batch
    if batch is None or batch.status != BatchStatus.ANCHORED or not trade.leaf:
        raise Conflict("the settlement of this trade is not anchored yet")
    leaves = [bytes.fromhex(t.leaf[2:]) for t in batch.trades if t.leaf]
    leaf = bytes.fromhex(trade.leaf[2:])
    return build_bundle(
        contracts=ctx.contracts,
        terms=trade.terms,
        seller_signature=bytes.fromhex(trade.seller_signature[2:]),
        buyer_signature=bytes.fromhex(trade.buyer_signature[2:]),
        settlement=Settlement(settlement_of(trade), trade.open_tx or "", trade.close_tx or "", trade.ship_tx),
        leaf=leaf,
        proof=merkle_proof(leaves, leaf),
        root=bytes.fromhex(batch.root[2:]),
        batch_id=batch.id,
        leaf_count=batch.leaf_count,
        anchor_tx=batch.anchor_tx or "",
    )


def amounts(trade: Trade) -> dict[str, Money]:
    """The trade's total in the quote currency and in the settlement currency."""
    details = trade.terms.details
    return {
        "quote": Money(details["price"]["total_minor"], details["price"]["currency"]),
        "settlement": Money(details["settlement"]["total_minor"], details["settlement"]["currency"]),
    }


def terms_document(trade: Trade) -> dict[str, Any]:
    return json.loads(trade.terms_json)


@dataclass(frozen=True)
class Milestone:
    """One tranche of the payment schedule, for display."""

    number: int
    share_bps: int
    amount: TokenAmount
    paid: bool


@dataclass(frozen=True)
class TradeView:
    """What one user sees of a trade and may do with it now."""

    side: str  # buyer, seller, arbiter, auditor
    actions: frozenset[str]
    milestones: list[Milestone]
    remaining: TokenAmount
    proposal: TokenAmount | None
    proposal_mine: bool
    deadline: datetime | None  # when the current state's default outcome becomes available


_ALLOWED: dict[tuple[str, TradeStatus], tuple[str, ...]] = {
    ("buyer", TradeStatus.AWAITING_FUNDING): ("fund",),
    ("buyer", TradeStatus.FUNDED): ("milestone", "release", "dispute", "propose"),
    ("buyer", TradeStatus.SHIPPED): ("milestone", "release", "dispute", "propose"),
    ("buyer", TradeStatus.DISPUTED): ("release", "propose"),
    ("seller", TradeStatus.FUNDED): ("ship", "refund", "dispute", "propose"),
    ("seller", TradeStatus.SHIPPED): ("refund", "dispute", "propose"),
    ("seller", TradeStatus.DISPUTED): ("refund", "propose"),
    ("arbiter", TradeStatus.DISPUTED): ("rule",),
}
"""What each side may start in each state (the actions module enforces the details)."""


def token_money(units: int) -> TokenAmount:
    """Token units as an exact amount of the settlement currency."""
    return TokenAmount(units, TOKEN_DECIMALS, SETTLEMENT_CURRENCY)


def trade_view(trade: Trade, user: User) -> TradeView:
    """The trade from `user`'s side: milestones, what is left, the standing proposal, allowed actions."""
    org = user.organization
    side = {trade.buyer_org_id: "buyer", trade.seller_org_id: "seller"}.get(org.id, org.kind)
    terms = trade.terms
    status = TradeStatus(trade.status)
    allowed: set[str] = set()
    if not trade.pending_action and user.role != "viewer":
        allowed = set(_ALLOWED.get((side, status), ()))
        if "milestone" in allowed and not terms.milestones:
            allowed.discard("milestone")
        if side in ("buyer", "seller") and trade.proposal_by and trade.proposal_by != getattr(terms, side):
            allowed.add("accept")
    deadline = {
        TradeStatus.FUNDED: terms.ship_by,
        TradeStatus.SHIPPED: (trade.shipped_at or 0) + terms.inspection_period,
        TradeStatus.DISPUTED: (trade.disputed_at or 0) + terms.dispute_period,
    }.get(status)
    milestones = [
        Milestone(i + 1, bps, token_money(amount), bool(trade.released_milestones & (1 << i)))
        for i, (bps, amount) in enumerate(zip(terms.milestones or (10_000,), terms.tranches, strict=True))
    ]
    mine = getattr(terms, side, None) if side in ("buyer", "seller") else None
    return TradeView(
        side=side,
        actions=frozenset(allowed),
        milestones=milestones,
        remaining=token_money(trade.remaining),
        proposal=token_money(int(trade.proposal_amount)) if trade.proposal_amount else None,
        proposal_mine=bool(mine and trade.proposal_by == mine),
        deadline=datetime.fromtimestamp(deadline, UTC) if deadline else None,
    )
