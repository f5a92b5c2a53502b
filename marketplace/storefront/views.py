"""Storefront pages: /s/<slug> and the public proofs of the exporter's anchored settlements."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from marketplace.catalog.schemas import SearchQuery
from marketplace.catalog.search import cursor_key, search
from marketplace.catalog.views import viewer_org_id
from marketplace.storefront import service
from marketplace.validate import parse_form
from marketplace.web import content_locale, db, display_currency, platform, select_locale

bp = Blueprint("storefront", __name__, url_prefix="/s")


@bp.get("/<slug>")
def show(slug: str) -> Any:
    org = service.exporter_by_slug(db(), slug)
    query = parse_form(SearchQuery, {**request.args.to_dict(), "exporter": org.slug}, select_locale())
    found = search(db(), query, viewer_org_id(), platform().rates, content_locale(), display_currency(), cursor_key())
    return render_template(
        "storefront/show.html",
        org=org,
        response=service.response_time(db(), org),
        window_days=service.RESPONSE_WINDOW_DAYS,
        record=service.trade_record(db(), org),
        query=query,
        found=found,
    )


@bp.get("/<slug>/proofs/<reference>")
def proof(slug: str, reference: str) -> Any:
    org = service.exporter_by_slug(db(), slug)
    return render_template(
        "storefront/proof.html", org=org, proof=service.public_proof(db(), org, reference, platform().ctx)
    )
