"""Trade pages: escrow actions for buyer, seller and arbitration desk, and the proof bundle."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, send_file, url_for

from marketplace.accounts.models import User
from marketplace.chain_context import ChainContext
from marketplace.errors import NotFound
from marketplace.trades import actions, documents, service
from marketplace.trades.models import Trade, TradeDocument
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


def _with_document(field: str, action: Callable[..., Trade]) -> Callable[[User, int, ChainContext], Trade]:
    """An action taking a document: the file under `field`, checked and saved once the action is accepted,
    or only its hash under `<field>_hash`."""

    def run(user: User, trade_id: int, ctx: ChainContext) -> Trade:
        file = request.files.get(field)
        upload = None
        if file is not None and file.filename:
            config = platform().config
            upload = documents.checked_upload(file.read(), file.filename, file.mimetype, config.document_max_bytes)
        doc_hash = upload.sha256 if upload else actions.document_hash(None, request.form.get(f"{field}_hash"))
        trade = action(db(), user, trade_id, ctx, doc_hash, upload)
        if upload is not None:
            documents.save(platform().config.documents_dir, upload)
        return trade

    return run


def _buyer_amount() -> Decimal:
    return form_of(SplitIn).buyer_amount


_ACTIONS = {
    "fund": lambda user, trade_id, ctx: actions.fund(db(), user, trade_id, ctx),
    "ship": _with_document("document", actions.mark_shipped),
    "milestone": lambda user, trade_id, ctx: actions.release_milestone(
        db(), user, trade_id, ctx, form_of(MilestoneIn).milestone - 1
    ),
    "release": lambda user, trade_id, ctx: actions.confirm_receipt(db(), user, trade_id, ctx),
    "refund": lambda user, trade_id, ctx: actions.refund(db(), user, trade_id, ctx),
    "dispute": _with_document("evidence", actions.dispute),
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


def send_document(document: TradeDocument) -> Response:
    """The stored file as a download that browsers neither render nor sniff."""
    response = send_file(
        documents.path_of(platform().config.documents_dir, document.sha256),
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/<int:trade_id>/documents/<int:document_id>")
@login_required
def document(trade_id: int, document_id: int) -> Any:
    return send_document(documents.downloadable(db(), current_user(), trade_id, document_id))


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
