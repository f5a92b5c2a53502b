"""RFQ API: requests for quotation and the seller's quote revisions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from marketplace.accounts.models import OrgKind
from marketplace.api import accepts, api_user, parse_body, require_api_user
from marketplace.db import as_utc
from marketplace.rfq.models import Quote, Rfq
from marketplace.rfq.schemas import QuoteIn, RfqIn
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
        "valid_until": as_utc(quote.valid_until).isoformat(),
        "note": quote.note,
        "created_at": as_utc(quote.created_at).isoformat(),
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
        "message": rfq.message,
        "created_at": as_utc(rfq.created_at).isoformat(),
        "history_intact": history_intact(rfq),
        "quotes": [quote_json(q) for q in rfq.quotes],
    }


@bp.post("/rfqs")
@accepts(RfqIn)
def new_rfq() -> Any:
    user = require_api_user(OrgKind.BUYER)
    rfq = create_rfq(db(), user, **parse_body().model_dump())
    return jsonify(rfq_json(rfq)), 201


@bp.get("/rfqs/<int:rfq_id>")
def rfq(rfq_id: int) -> Any:
    return jsonify(rfq_json(visible_rfq(db(), api_user(), rfq_id)))


@bp.post("/rfqs/<int:rfq_id>/quotes")
@accepts(QuoteIn)
def new_quote(rfq_id: int) -> Any:
    user = require_api_user(OrgKind.EXPORTER)
    quote = submit_quote(db(), user, rfq_id, **parse_body().model_dump())
    return jsonify(quote_json(quote)), 201
