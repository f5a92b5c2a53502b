"""Auditor pages: anchored batches and their settlements, with bundles to verify independently."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlalchemy import select

from marketplace.accounts.models import OrgKind
from marketplace.accounts.service import require
from marketplace.trades.models import SettlementBatch
from marketplace.web import current_user, db, login_required, platform

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@login_required
def index() -> Any:
    require(current_user(), OrgKind.AUDITOR, write=False)
    batches = list(db().scalars(select(SettlementBatch).order_by(SettlementBatch.id.desc())))
    return render_template("audit/index.html", batches=batches, ctx=platform().ctx)
