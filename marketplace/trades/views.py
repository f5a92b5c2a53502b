"""Trade pages: escrow actions and the proof bundle."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from marketplace.trades import service
from marketplace.web import current_user, db, login_required, platform

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
        "trades/show.html", trade=trade, terms=trade.terms, amounts=service.amounts(trade), ctx=platform().ctx
    )


@bp.post("/<int:trade_id>/<action>")
@login_required
def act(trade_id: int, action: str) -> Any:
    ctx, user = platform().ctx, current_user()
    if action == "fund":
        service.fund(db(), user, trade_id, ctx)
    elif action == "ship":
        upload = request.files.get("document")
        doc_hash = service.document_hash(upload.read() if upload else None, request.form.get("document_hash"))
        service.mark_shipped(db(), user, trade_id, ctx, doc_hash)
    elif action == "release":
        service.confirm_receipt(db(), user, trade_id, ctx)
    elif action == "refund":
        service.refund(db(), user, trade_id, ctx)
    else:
        return render_template("error.html", message=f"unknown action {action!r}", status=404), 404
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
