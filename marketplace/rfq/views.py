"""RFQ pages: ask for a quote, answer and revise it, accept it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from marketplace.rfq.schemas import QuoteIn, RfqIn
from marketplace.rfq.service import create_rfq, history_intact, submit_quote, visible_rfq
from marketplace.trades.service import accept_quote
from marketplace.web import current_user, db, form_of, login_required, platform

bp = Blueprint("rfq", __name__, url_prefix="/rfqs")


@bp.post("/")
@login_required
def create() -> Any:
    rfq = create_rfq(db(), current_user(), **form_of(RfqIn).model_dump())
    return redirect(url_for("rfq.show", rfq_id=rfq.id))


@bp.get("/<int:rfq_id>")
@login_required
def show(rfq_id: int) -> Any:
    rfq = visible_rfq(db(), current_user(), rfq_id)
    return render_template("rfq/show.html", rfq=rfq, intact=history_intact(rfq))


@bp.post("/<int:rfq_id>/quotes")
@login_required
def quote(rfq_id: int) -> Any:
    submit_quote(db(), current_user(), rfq_id, **form_of(QuoteIn).model_dump())
    return redirect(url_for("rfq.show", rfq_id=rfq_id))


@bp.post("/quotes/<int:quote_id>/accept")
@login_required
def accept(quote_id: int) -> Any:
    p = platform()
    trade = accept_quote(db(), current_user(), quote_id, ctx=p.ctx, keybox=p.keybox, rates=p.rates)
    return redirect(url_for("trades.show", trade_id=trade.id))
