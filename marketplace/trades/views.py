"""Trade pages: escrow actions for buyer, seller and arbitration desk, and the proof bundle."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from marketplace.errors import NotFound
from marketplace.trades import actions, service
from marketplace.trades.schemas import MilestoneIn, SplitIn
from marketplace.web import current_user, db, form_of, login_required, platform

bp = Blueprint("trades", __name__, url_prefix="/trades")


@bp.get("/")
@login_required
def index() -> Any:
    return render_template("trades/index.html", trades=service.trades_for(db(), current_user()))


@bp.get("/<int:trade_id>")
@login_required
def show(trade_id: int) -> Any:
    trade = service.visible_trade(db(), current_user(), trade_id)
    return render_template(
        "trades/show.html",
        trade=trade,
        terms=trade.terms,
        amounts=service.amounts(trade),
        split=service.split(trade),
        ctx=platform().ctx,
        view=service.trade_view(trade, current_user()),
    )


def _document(field: str = "document") -> str:
    upload = request.files.get(field)
    return actions.document_hash(upload.read() if upload else None, request.form.get(f"{field}_hash"))


def _buyer_amount() -> Decimal:
    return form_of(SplitIn).buyer_amount


_ACTIONS = {
    "fund": lambda user, trade_id, ctx: actions.fund(db(), user, trade_id, ctx),
    "ship": lambda user, trade_id, ctx: actions.mark_shipped(db(), user, trade_id, ctx, _document()),
    "milestone": lambda user, trade_id, ctx: actions.release_milestone(
        db(), user, trade_id, ctx, form_of(MilestoneIn).milestone - 1
    ),
    "release": lambda user, trade_id, ctx: actions.confirm_receipt(db(), user, trade_id, ctx),
    "refund": lambda user, trade_id, ctx: actions.refund(db(), user, trade_id, ctx),
    "dispute": lambda user, trade_id, ctx: actions.dispute(db(), user, trade_id, ctx, _document("evidence")),
    "propose": lambda user, trade_id, ctx: actions.propose_settlement(db(), user, trade_id, ctx, _buyer_amount()),
    "accept": lambda user, trade_id, ctx: actions.accept_settlement(db(), user, trade_id, ctx),
    "rule": lambda user, trade_id, ctx: actions.rule(db(), user, trade_id, ctx, _buyer_amount()),
}


@bp.post("/<int:trade_id>/<action>")
@login_required
def act(trade_id: int, action: str) -> Any:
    handler = _ACTIONS.get(action)
    if handler is None:
        raise NotFound("no such action")
    handler(current_user(), trade_id, platform().ctx)
    return redirect(url_for("trades.show", trade_id=trade_id))


@bp.get("/<int:trade_id>/bundle.json")
@login_required
def bundle(trade_id: int) -> Any:
    trade = service.visible_trade(db(), current_user(), trade_id)
    body = json.dumps(service.proof_bundle(trade, platform().ctx), indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename={trade.reference}-proof.json"},
    )
