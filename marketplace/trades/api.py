"""Trades API: accepting a quote, escrow actions (answered 202: the chain confirms later), proof bundles."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, url_for

from marketplace.api import accepts, api_user, parse_body
from marketplace.trades import actions, documents
from marketplace.trades import service as trades
from marketplace.trades.models import Trade, TradeDocument
from marketplace.trades.schemas import DisputeIn, ShipmentIn, SplitIn
from marketplace.trades.views import send_document
from marketplace.web import db, platform

bp = Blueprint("trades_api", __name__)


def document_json(document: TradeDocument) -> dict[str, Any]:
    """A document of a trade: its hash, and where to download the file if one was uploaded."""
    url = url_for(".document", trade_id=document.trade_id, document_id=document.id) if document.stored else None
    return {
        "kind": document.kind,
        "sha256": document.sha256,
        "filename": document.filename,
        "content_type": document.content_type,
        "size": document.size,
        "uploaded_by": document.uploaded_by.name,
        "created_at": document.created_at.isoformat(),
        "download_url": url,
    }


def trade_json(trade: Trade) -> dict[str, Any]:
    money = trades.amounts(trade)
    split, shares = trades.split(trade), trades.shares(trade)
    return {
        "id": trade.id,
        "reference": trade.reference,
        "status": trade.status,
        "pending_action": trade.pending_action,
        "last_error": trade.last_error,
        "failed_action": trade.failed_action,
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
        "totals": {name: money.as_json() for name, money in split.items()} if split else None,
        "totals_token_units": {name: str(units) for name, units in shares.items()} if shares else None,
        "document_hash": trade.document_hash,
        "documents": [document_json(d) for d in trade.documents],
        "batch": trade.batch.id if trade.batch else None,
        "anchored": bool(trade.batch and trade.batch.status == "anchored"),
    }


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
@accepts(ShipmentIn)
def ship(trade_id: int) -> Any:
    doc_hash = parse_body().document_hash
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
@accepts(DisputeIn)
def dispute(trade_id: int) -> Any:
    evidence = parse_body().evidence_hash
    return _act(actions.dispute(db(), api_user(), trade_id, platform().ctx, evidence))


@bp.post("/trades/<int:trade_id>/settlement")
@accepts(SplitIn)
def propose_settlement(trade_id: int) -> Any:
    amount = parse_body().buyer_amount
    return _act(actions.propose_settlement(db(), api_user(), trade_id, platform().ctx, amount))


@bp.post("/trades/<int:trade_id>/settlement/accept")
def accept_settlement(trade_id: int) -> Any:
    return _act(actions.accept_settlement(db(), api_user(), trade_id, platform().ctx))


@bp.post("/trades/<int:trade_id>/ruling")
@accepts(SplitIn)
def ruling(trade_id: int) -> Any:
    amount = parse_body().buyer_amount
    return _act(actions.rule(db(), api_user(), trade_id, platform().ctx, amount))


@bp.get("/trades/<int:trade_id>/documents/<int:document_id>")
def document(trade_id: int, document_id: int) -> Any:
    return send_document(documents.downloadable(db(), api_user(), trade_id, document_id))


@bp.get("/trades/<int:trade_id>/bundle")
def bundle(trade_id: int) -> Any:
    found = trades.visible_trade(db(), api_user(), trade_id)
    return jsonify(trades.proof_bundle(found, platform().ctx))
