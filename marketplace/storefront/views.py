"""Storefront pages: /s/<slug> and the public proofs of the exporter's anchored settlements."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from marketplace.catalog.service import view_listing
from marketplace.catalog.views import viewer_org_id
from marketplace.storefront import service
from marketplace.web import content_locale, db, display_currency, platform

bp = Blueprint("storefront", __name__, url_prefix="/s")


@bp.get("/<slug>")
def show(slug: str) -> Any:
    org = service.exporter_by_slug(db(), slug)
    rates, locale, currency = platform().rates, content_locale(), display_currency()
    listings = service.newest_listings(db(), org, viewer_org_id())
    return render_template(
        "storefront/show.html",
        org=org,
        response=service.response_time(db(), org),
        window_days=service.RESPONSE_WINDOW_DAYS,
        record=service.trade_record(db(), org),
        views=[view_listing(listing, locale, currency, rates) for listing in listings],
    )


@bp.get("/<slug>/proofs/<reference>")
def proof(slug: str, reference: str) -> Any:
    org = service.exporter_by_slug(db(), slug)
    return render_template(
        "storefront/proof.html", org=org, proof=service.public_proof(db(), org, reference, platform().ctx)
    )
