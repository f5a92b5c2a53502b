"""Catalog pages: browse, view in your language and currency, publish."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from i18n import UI_LOCALES
from marketplace.accounts.models import OrgKind
from marketplace.accounts.service import require
from marketplace.catalog.models import INCOTERMS
from marketplace.catalog.schemas import ListingIn
from marketplace.catalog.service import active_listings, create_listing, get_listing, view_listing
from marketplace.validate import parse_form
from marketplace.web import (
    content_locale,
    current_user,
    db,
    display_currency,
    login_required,
    platform,
    select_locale,
)

bp = Blueprint("catalog", __name__, url_prefix="/listings")


@bp.get("/")
def index() -> Any:
    rates, locale, currency = platform().rates, content_locale(), display_currency()
    views = [view_listing(listing, locale, currency, rates) for listing in active_listings(db())]
    return render_template("catalog/index.html", views=views)


@bp.get("/<int:listing_id>")
def show(listing_id: int) -> Any:
    view = view_listing(get_listing(db(), listing_id), content_locale(), display_currency(), platform().rates)
    return render_template("catalog/show.html", view=view)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    if request.method == "GET":
        require(current_user(), OrgKind.EXPORTER)  # the same rule as publishing: others get 403, not a form
        return render_template("catalog/new.html", incoterms=INCOTERMS, locales=UI_LOCALES, form={})
    form = request.form
    fields: dict[str, object] = {key: form.get(key, "") for key in ListingIn.model_fields if key != "translations"}
    fields["translations"] = {
        loc: {"title": form.get(f"title_{loc}", ""), "description": form.get(f"description_{loc}", "")}
        for loc in UI_LOCALES
    }
    data = parse_form(ListingIn, fields, select_locale())
    listing = create_listing(db(), current_user(), **data.model_dump())
    return redirect(url_for("catalog.show", listing_id=listing.id))
