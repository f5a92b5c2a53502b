"""Storefront pages: /s/<slug> and the public proofs of the exporter's anchored settlements."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from marketplace.catalog.views import search_page
from marketplace.storefront import service
from marketplace.web import db, platform

bp = Blueprint("storefront", __name__, url_prefix="/s")


@bp.get("/<slug>")
def show(slug: str) -> Any:
    """The exporter's profile and record, and the catalog's search with the exporter fixed."""
    org = service.exporter_by_slug(db(), slug)
    return search_page(
        "storefront/show.html",
        fixed={"exporter": org.slug},
        org=org,
        response=service.response_time(db(), org),
        window_days=service.RESPONSE_WINDOW_DAYS,
        record=service.trade_record(db(), org),
    )


@bp.get("/<slug>/proofs/<reference>")
def proof(slug: str, reference: str) -> Any:
    org = service.exporter_by_slug(db(), slug)
    return render_template(
        "storefront/proof.html", org=org, proof=service.public_proof(db(), org, reference, platform().ctx)
    )
