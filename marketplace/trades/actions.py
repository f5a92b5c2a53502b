"""Escrow actions on a trade. Each checks the rules, then writes outbox rows in the caller's DB
transaction (no chain call); the worker sends them and the indexer brings the outcome back."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.contracts import ESCROW, STABLECOIN, encode_call
from ledger.relay import enqueue
from marketplace.accounts.models import OrgKind, User
from marketplace.accounts.service import require
from marketplace.chain_context import ChainContext
from marketplace.db import transition
from marketplace.errors import Conflict, Invalid, NotFound
from marketplace.labels import term
from marketplace.pricing.money import Money, exponent
from marketplace.trades.documents import Upload, record
from marketplace.trades.models import OPEN, DocumentKind, Trade, TradeStatus
from marketplace.trades.service import SETTLEMENT_CURRENCY, TOKEN_DECIMALS, token_money, visible_trade

_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def _ready(trade: Trade) -> Trade:
    if trade.pending_action:
        raise Conflict(
            "the %(action)s is already on its way to the chain; wait for it",
            action=term(trade.pending_action, "action"),
        )
    return trade


def _as_party(session: Session, user: User, trade_id: int, role: str | None = None) -> tuple[Trade, str]:
    """The trade and the user's side of it ("buyer" or "seller"), if it is a party (and `role`, if given)."""
    org = require(user, OrgKind.BUYER, OrgKind.EXPORTER)
    trade = visible_trade(session, user, trade_id)
    side = {trade.buyer_org_id: "buyer", trade.seller_org_id: "seller"}.get(org.id)
    if side is None or (role is not None and side != role):
        raise NotFound("no such trade")
    return _ready(trade), side


def _expect(trade: Trade, *statuses: TradeStatus, action: str) -> None:
    """Refuse `action` (a pending-action code) unless the trade is in one of `statuses`."""
    if trade.status not in statuses:
        raise Conflict(
            "%(action)s is not possible while the trade is %(status)s",
            action=term(action, "action"),
            status=term(trade.status, "status"),
        )


def _queue(
    session: Session, ctx: ChainContext, trade: Trade, action: str, sender: str, calls: list[tuple[str, str, str]]
) -> Trade:
    """Mark the trade as waiting for the chain and queue (purpose, to, calldata) calls from `sender`.
    Of two requests racing to act on the same trade, one is refused (409) and queues nothing."""
    if not transition(session, trade, "pending_action", None, action):
        raise Conflict("another action on this trade is already on its way to the chain; reload the page")
    last = None
    for purpose, to, data in calls:
        last = enqueue(
            session,
            chain_id=ctx.chain_id,
            sender=sender,
            to=to,
            data=data,
            purpose=purpose,
            reference=f"trade:{trade.id}:{action}",
        )
    trade.pending_outbox_id = last.id if last else None
    trade.last_error = trade.failed_action = None
    session.flush()
    return trade


def _escrow(ctx: ChainContext, trade: Trade, function: str, *args: object) -> tuple[str, str, str]:
    return function, ctx.contracts.escrow, encode_call(ESCROW, function, [trade.terms.as_tuple(), *args])


def token_units(text: Decimal | str, field: str = "amount") -> int:
    """A settlement-currency amount such as "1234.50" in token units."""
    money = Money.parse(text, SETTLEMENT_CURRENCY, field)
    return money.minor * 10 ** (TOKEN_DECIMALS - exponent(SETTLEMENT_CURRENCY))


def document_hash(document: bytes | None = None, hex_hash: str | None = None) -> str:
    """The SHA-256 of a document, or a given 32-byte hash in 0x hex."""
    if document:
        return "0x" + hashlib.sha256(document).hexdigest()
    if hex_hash and _HASH.match(hex_hash.strip()):
        return hex_hash.strip().lower()
    raise Invalid("attach the document, or give its SHA-256 as 0x followed by 64 hex digits", "document")


def fund(session: Session, user: User, trade_id: int, ctx: ChainContext) -> Trade:
    """The buyer pays into escrow: approve the escrow for the amount, then open the deal."""
    trade, _ = _as_party(session, user, trade_id, "buyer")
    _expect(trade, TradeStatus.AWAITING_FUNDING, action="fund")
    terms = trade.terms
    approve = encode_call(STABLECOIN, "approve", [ctx.contracts.escrow, terms.amount])
    signature = bytes.fromhex(trade.seller_signature[2:])
    return _queue(
        session,
        ctx,
        trade,
        "fund",
        terms.buyer,
        [("approve", ctx.contracts.token, approve), _escrow(ctx, trade, "open", signature)],
    )


def mark_shipped(
    session: Session, user: User, trade_id: int, ctx: ChainContext, doc_hash: str, upload: Upload | None = None
) -> Trade:
    """The seller declares the goods shipped, with the bill of lading's hash (and the file, if uploaded:
    the caller saves it once this succeeds)."""
    trade, _ = _as_party(session, user, trade_id, "seller")
    _expect(trade, TradeStatus.FUNDED, action="ship")
    if trade.terms.ship_by < _now():
        raise Conflict("the shipping deadline has passed; the buyer can now be refunded")
    trade.document_hash = doc_hash
    record(session, trade, user, DocumentKind.BILL_OF_LADING, doc_hash, upload)
    return _queue(
        session,
        ctx,
        trade,
        "ship",
        trade.terms.seller,
        [_escrow(ctx, trade, "markShipped", bytes.fromhex(doc_hash[2:]))],
    )


def release_milestone(session: Session, user: User, trade_id: int, ctx: ChainContext, index: int) -> Trade:
    """The buyer pays one milestone of the payment schedule."""
    trade, _ = _as_party(session, user, trade_id, "buyer")
    _expect(trade, TradeStatus.FUNDED, TradeStatus.SHIPPED, action="milestone")
    if not 0 <= index < len(trade.terms.tranches) or trade.released_milestones & (1 << index):
        raise Invalid("milestone %(number)s does not exist or was already paid", "index", number=index + 1)
    return _queue(session, ctx, trade, "milestone", trade.terms.buyer, [_escrow(ctx, trade, "releaseMilestone", index)])


def confirm_receipt(session: Session, user: User, trade_id: int, ctx: ChainContext) -> Trade:
    """The buyer confirms receipt (or gives up a dispute): everything still escrowed goes to the seller."""
    trade, _ = _as_party(session, user, trade_id, "buyer")
    _expect(trade, *OPEN, action="release")
    return _queue(session, ctx, trade, "release", trade.terms.buyer, [_escrow(ctx, trade, "release")])


def refund(session: Session, user: User, trade_id: int, ctx: ChainContext) -> Trade:
    """The seller returns everything still escrowed to the buyer."""
    trade, _ = _as_party(session, user, trade_id, "seller")
    _expect(trade, *OPEN, action="refund")
    return _queue(session, ctx, trade, "refund", trade.terms.seller, [_escrow(ctx, trade, "refund")])


def dispute(
    session: Session, user: User, trade_id: int, ctx: ChainContext, evidence_hash: str, upload: Upload | None = None
) -> Trade:
    """Either party opens a dispute: before shipping, or within the inspection period after it, with the
    hash of its statement or evidence (and the file, if uploaded: the caller saves it once this succeeds)."""
    trade, side = _as_party(session, user, trade_id)
    _expect(trade, TradeStatus.FUNDED, TradeStatus.SHIPPED, action="dispute")
    if trade.status == TradeStatus.SHIPPED and _now() > (trade.shipped_at or 0) + trade.terms.inspection_period:
        raise Conflict("the inspection period is over; the payment can now be released to the seller")
    sender = getattr(trade.terms, side)
    record(session, trade, user, DocumentKind.EVIDENCE, evidence_hash, upload)
    return _queue(
        session, ctx, trade, "dispute", sender, [_escrow(ctx, trade, "dispute", bytes.fromhex(evidence_hash[2:]))]
    )


def _buyer_share(trade: Trade, amount: Decimal | str, available: int) -> int:
    units = token_units(amount, "buyer_amount")
    if units > available:
        raise Invalid("at most %(amount)s can go to the buyer", "buyer_amount", amount=token_money(available).format())
    return units


def propose_settlement(
    session: Session, user: User, trade_id: int, ctx: ChainContext, buyer_amount: Decimal | str
) -> Trade:
    """A party proposes how to split what is escrowed: `buyer_amount` (settlement currency) to the buyer."""
    trade, side = _as_party(session, user, trade_id)
    _expect(trade, *OPEN, action="propose")
    units = _buyer_share(trade, buyer_amount, trade.remaining)
    return _queue(
        session, ctx, trade, "propose", getattr(trade.terms, side), [_escrow(ctx, trade, "proposeSettlement", units)]
    )


def accept_settlement(session: Session, user: User, trade_id: int, ctx: ChainContext) -> Trade:
    """The other party accepts the standing proposal; the deal closes with that split."""
    trade, side = _as_party(session, user, trade_id)
    _expect(trade, *OPEN, action="accept")
    me = getattr(trade.terms, side)
    if trade.proposal_by is None or trade.proposal_by == me:
        raise Conflict("there is no proposal from the other party to accept")
    return _queue(
        session, ctx, trade, "accept", me, [_escrow(ctx, trade, "acceptSettlement", int(trade.proposal_amount or 0))]
    )


def rule(session: Session, user: User, trade_id: int, ctx: ChainContext, buyer_amount: Decimal | str) -> Trade:
    """The arbitration desk rules a dispute: `buyer_amount` to the buyer, its fee to the arbiter, the rest
    to the seller."""
    require(user, OrgKind.ARBITER)
    trade = _ready(visible_trade(session, user, trade_id))
    _expect(trade, TradeStatus.DISPUTED, action="rule")
    if trade.terms.arbiter != ctx.arbiter:
        raise Conflict("this trade names another arbiter")
    if _now() > (trade.disputed_at or 0) + trade.terms.dispute_period:
        raise Conflict("the ruling period is over; the default outcome applies")
    remaining = trade.remaining
    fee = remaining * trade.terms.arbiter_fee_bps // 10_000
    units = _buyer_share(trade, buyer_amount, remaining - fee)
    return _queue(session, ctx, trade, "rule", ctx.arbiter, [_escrow(ctx, trade, "rule", units)])


def due_timeout(trade: Trade, now: int) -> str | None:
    """The escrow call that a passed deadline now allows anyone to make, if any."""
    terms = trade.terms
    if trade.status == TradeStatus.FUNDED and now > terms.ship_by:
        return "refund"
    if trade.status == TradeStatus.SHIPPED and now > (trade.shipped_at or now) + terms.inspection_period:
        return "release"
    if trade.status == TradeStatus.DISPUTED and now > (trade.disputed_at or now) + terms.dispute_period:
        return "resolveDefault"
    return None


def run_timeouts(session: Session, ctx: ChainContext, now: int) -> list[Trade]:
    """Queue the default outcome of every trade whose deadline passed at chain time `now` (the worker)."""
    queued = []
    trades = session.scalars(
        select(Trade).where(Trade.chain_id == ctx.chain_id, Trade.status.in_(OPEN), Trade.pending_action.is_(None))
    )
    for trade in trades:
        function = due_timeout(trade, now)
        if function is not None:
            queued.append(_queue(session, ctx, trade, "timeout", ctx.operator, [_escrow(ctx, trade, function)]))
    return queued
