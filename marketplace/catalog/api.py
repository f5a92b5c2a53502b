"""Catalog API: listings in the caller's language and currency, and publishing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from marketplace.api import api_user, body, viewer_prefs
from marketplace.catalog.service import active_listings, create_listing, get_listing, view_listing
from marketplace.web import db, platform

bp = Blueprint("catalog_api", __name__)


@bp.get("/listings")
def listings() -> Any:
    locale, currency = viewer_prefs()
    rates = platform().rates
    return jsonify({"listings": [view_listing(x, locale, currency, rates).as_json() for x in active_listings(db())]})


@bp.get("/listings/<int:listing_id>")
def listing(listing_id: int) -> Any:
    locale, currency = viewer_prefs()
    return jsonify(view_listing(get_listing(db(), listing_id), locale, currency, platform().rates).as_json())


@bp.post("/listings")
def new_listing() -> Any:
    data = body()
    created = create_listing(
        db(),
        api_user(),
        sku=str(data.get("sku", "")),
        hs_code=str(data.get("hs_code", "")),
        unit=str(data.get("unit", "pc")),
        moq=data.get("moq"),
        incoterm=str(data.get("incoterm", "")),
        incoterm_place=str(data.get("incoterm_place", "")),
        price=data.get("price", ""),
        currency=data.get("currency"),
        lead_time_days=data.get("lead_time_days", 30),
        translations=data.get("translations") if isinstance(data.get("translations"), dict) else {},
    )
    locale, currency = viewer_prefs()
    return jsonify(view_listing(created, locale, currency, platform().rates).as_json()), 201
