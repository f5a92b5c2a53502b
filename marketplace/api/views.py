"""JSON API v1: the same steps as the pages, authenticated with bearer tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from marketplace.accounts.models import User
from marketplace.accounts.service import authenticate, issue_token, user_for_token
from marketplace.catalog.service import active_listings, create_listing, get_listing, view_listing
from marketplace.errors import Invalid, Unauthenticated
from marketplace.rfq.models import Quote, Rfq
from marketplace.rfq.service import create_rfq, history_intact, submit_quote, visible_rfq
from marketplace.trades import actions
from marketplace.trades import service as trades
from marketplace.trades.models import Trade
from marketplace.web import db, platform

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def body() -> dict[str, Any]:
    """The request's JSON object, or a 400 saying what is wrong with it."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid("the request body must be a JSON object (Content-Type: application/json)")
    return data


def api_user() -> User:
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise Unauthenticated("send an API token as 'Authorization: Bearer <token>'")
        g.api_user = user_for_token(db(), header.removeprefix("Bearer ").strip())
    return g.api_user


def viewer_prefs() -> tuple[str, str]:
    """Locale and currency for listings: query parameters, else the caller's organization's."""
    locale, currency = "en", "EUR"
    if request.headers.get("Authorization"):
        org = api_user().organization
        locale, currency = org.locale, org.currency
    return request.args.get("locale", locale), request.args.get("currency", currency)


def quote_json(quote: Quote) -> dict[str, Any]:
    return {
        "id": quote.id,
        "revision": quote.revision,
        "status": quote.status,
        "unit_price": quote.unit_price.as_json(),
        "total": quote.total.as_json(),
        "quantity": quote.quantity,
        "incoterm": quote.incoterm,
        "incoterm_place": quote.incoterm_place,
        "lead_time_days": quote.lead_time_days,
        "payment_schedule_bps": list(quote.schedule_bps) or [10_000],
        "valid_until": quote.valid_until.isoformat(),
        "hash": quote.hash,
        "prev_hash": quote.prev_hash,
    }


def rfq_json(rfq: Rfq) -> dict[str, Any]:
    return {
        "id": rfq.id,
        "listing_id": rfq.listing_id,
        "buyer": rfq.buyer.name,
        "seller": rfq.seller.name,
        "quantity": rfq.quantity,
        "status": rfq.status,
        "history_intact": history_intact(rfq),
        "quotes": [quote_json(q) for q in rfq.quotes],
    }


def trade_json(trade: Trade) -> dict[str, Any]:
    money = trades.amounts(trade)
    return {
        "id": trade.id,
        "reference": trade.reference,
        "status": trade.status,
        "pending_action": trade.pending_action,
        "last_error": trade.last_error,
        "deal_id": trade.terms_digest,  # the deal's key in TradeEscrow
        "terms": trades.terms_document(trade),
        "terms_digest": trade.terms_digest,
        "amount": {k: v.as_json() for k, v in money.items()},
        "transactions": {"open": trade.open_tx, "ship": trade.ship_tx, "close": trade.close_tx},
        "milestones": {
            "shares_bps": list(trade.terms.milestones or (10_000,)),
            "paid": [bool(trade.released_milestones & (1 << i)) for i in range(len(trade.terms.tranches))],
        },
        "remaining": str(trade.remaining),
        "proposal": {"by": trade.proposal_by, "buyer_amount": trade.proposal_amount} if trade.proposal_by else None,
        "outcome": trade.outcome,
        "totals": {
            "buyer": trade.buyer_amount,
            "seller": trade.seller_amount,
            "platform_fee": trade.platform_fee,
            "arbiter_fee": trade.arbiter_fee,
        }
        if trade.outcome
        else None,
        "document_hash": trade.document_hash,
        "batch": trade.batch.id if trade.batch else None,
        "anchored": bool(trade.batch and trade.batch.status == "anchored"),
    }


@bp.post("/tokens")
def token() -> Any:
    data = body()
    user = authenticate(db(), str(data.get("email", "")), str(data.get("password", "")))
    return jsonify({"token": issue_token(db(), user, str(data.get("name", "api")))}), 201


@bp.get("/listings")
def listings() -> Any:
    locale, currency = viewer_prefs()
    rates = platform().rates
    return jsonify({"listings": [view_listing(x, locale, currency, rates).as_json() for x in active_listings(db())]})


@bp.get("/listings/<int:listing_id>")
def listing(listing_id: int) -> Any:
    locale, currency = viewer_prefs()
    return jsonify(view_listing(get_listing(db(), listing_id), locale, currency, platform().rates).as_json())


@bp.post("/listings")
def new_listing() -> Any:
    data = body()
    created = create_listing(
        db(),
        api_user(),
        sku=str(data.get("sku", "")),
        hs_code=str(data.get("hs_code", "")),
        unit=str(data.get("unit", "pc")),
        moq=data.get("moq"),
        incoterm=str(data.get("incoterm", "")),
        incoterm_place=str(data.get("incoterm_place", "")),
        price=data.get("price", ""),
        currency=data.get("currency"),
        lead_time_days=data.get("lead_time_days", 30),
        translations=data.get("translations") if isinstance(data.get("translations"), dict) else {},
    )
    locale, currency = viewer_prefs()
    return jsonify(view_listing(created, locale, currency, platform().rates).as_json()), 201


@bp.post("/rfqs")
def new_rfq() -> Any:
    data = body()
    rfq = create_rfq(
        db(),
        api_user(),
        listing_id=data.get("listing_id"),
        quantity=data.get("quantity"),
        message=str(data.get("message", "")),
    )
    return jsonify(rfq_json(rfq)), 201


@bp.get("/rfqs/<int:rfq_id>")
def rfq(rfq_id: int) -> Any:
    return jsonify(rfq_json(visible_rfq(db(), api_user(), rfq_id)))


@bp.post("/rfqs/<int:rfq_id>/quotes")
def new_quote(rfq_id: int) -> Any:
    data = body()
    quote = submit_quote(
        db(),
        api_user(),
        rfq_id,
        unit_price=data.get("unit_price", ""),
        quantity=data.get("quantity"),
        lead_time_days=data.get("lead_time_days"),
        valid_days=data.get("valid_days", 14),
        note=str(data.get("note", "")),
        payment_schedule=str(data.get("payment_schedule", "")),
    )
    return jsonify(quote_json(quote)), 201


@bp.post("/quotes/<int:quote_id>/accept")
def accept(quote_id: int) -> Any:
    p = platform()
    trade = trades.accept_quote(db(), api_user(), quote_id, ctx=p.ctx, keybox=p.keybox, rates=p.rates)
    return jsonify(trade_json(trade)), 201


@bp.get("/trades/<int:trade_id>")
def trade(trade_id: int) -> Any:
    return jsonify(trade_json(trades.visible_trade(db(), api_user(), trade_id)))


def _act(trade: Trade) -> Any:
    return jsonify(trade_json(trade)), 202


@bp.post("/trades/<int:trade_id>/fund")
def fund(trade_id: int) -> Any:
    return _act(actions.fund(db(), api_user(), trade_id, platform().ctx))


@bp.post("/trades/<int:trade_id>/ship")
def ship(trade_id: int) -> Any:
    doc_hash = actions.document_hash(None, str(body().get("document_hash", "")))
    return _act(actions.mark_shipped(db(), api_user(), trade_id, platform().ctx, doc_hash))


@bp.post("/trades/<int:trade_id>/milestones/<int:number>/release")
def release_milestone(trade_id: int, number: int) -> Any:
    return _act(actions.release_milestone(db(), api_user(), trade_id, platform().ctx, number - 1))


@bp.post("/trades/<int:trade_id>/release")
def release(trade_id: int) -> Any:
    return _act(actions.confirm_receipt(db(), api_user(), trade_id, platform().ctx))


@bp.post("/trades/<int:trade_id>/refund")
def refund(trade_id: int) -> Any:
    return _act(actions.refund(db(), api_user(), trade_id, platform().ctx))


@bp.post("/trades/<int:trade_id>/dispute")
def dispute(trade_id: int) -> Any:
    evidence = actions.document_hash(None, str(body().get("evidence_hash", "")))
    return _act(actions.dispute(db(), api_user(), trade_id, platform().ctx, evidence))


@bp.post("/trades/<int:trade_id>/settlement")
def propose_settlement(trade_id: int) -> Any:
    amount = str(body().get("buyer_amount", ""))
    return _act(actions.propose_settlement(db(), api_user(), trade_id, platform().ctx, amount))


@bp.post("/trades/<int:trade_id>/settlement/accept")
def accept_settlement(trade_id: int) -> Any:
    return _act(actions.accept_settlement(db(), api_user(), trade_id, platform().ctx))


@bp.post("/trades/<int:trade_id>/ruling")
def ruling(trade_id: int) -> Any:
    amount = str(body().get("buyer_amount", ""))
    return _act(actions.rule(db(), api_user(), trade_id, platform().ctx, amount))


@bp.get("/trades/<int:trade_id>/bundle")
def bundle(trade_id: int) -> Any:
    found = trades.visible_trade(db(), api_user(), trade_id)
    return jsonify(trades.proof_bundle(found, platform().ctx))
