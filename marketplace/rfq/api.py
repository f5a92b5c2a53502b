"""RFQ API: requests for quotation and the seller's quote revisions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from marketplace.api import api_user, body
from marketplace.rfq.models import Quote, Rfq
from marketplace.rfq.service import create_rfq, history_intact, submit_quote, visible_rfq
from marketplace.web import db

bp = Blueprint("rfq_api", __name__)


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
