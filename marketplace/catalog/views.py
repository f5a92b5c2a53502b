"""Catalog pages: browse, view in your language and currency, publish."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from i18n import UI_LOCALES
from marketplace.accounts.models import OrgKind
from marketplace.accounts.service import require
from marketplace.catalog.categories import category_tree
from marketplace.catalog.codec import OFFERS_EXAMPLE, TIERS_EXAMPLE, parse_offers, parse_tiers
from marketplace.catalog.images import image_json
from marketplace.catalog.models import INCOTERMS
from marketplace.catalog.schemas import ListingIn
from marketplace.catalog.service import active_listings, create_listing, get_listing, listing_data, view_listing
from marketplace.catalog.units import UNITS
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


def viewer_org_id() -> int | None:
    user = current_user()
    return user.organization_id if user else None


@bp.get("/")
def index() -> Any:
    rates, locale, currency = platform().rates, content_locale(), display_currency()
    views = [view_listing(listing, locale, currency, rates) for listing in active_listings(db(), viewer_org_id())]
    return render_template("catalog/index.html", views=views)


@bp.get("/<int:listing_id>")
def show(listing_id: int) -> Any:
    listing = get_listing(db(), listing_id, viewer_org_id())
    view = view_listing(listing, content_locale(), display_currency(), platform().rates)
    owner = listing.organization_id == viewer_org_id()
    audience = listing_data(listing)["audience"] if owner else []
    pictures = [image_json(image) for image in listing.images]
    return render_template("catalog/show.html", view=view, owner=owner, audience=audience, pictures=pictures)


def listing_form(form: Any, locale: str) -> ListingIn:
    """A listing posted from the exporter's form: tiers and offers in their compact text forms, a title
    and description per language (`title_<locale>`; empty ones left out)."""
    fields: dict[str, object] = {
        key: form.get(key, "")
        for key in ListingIn.model_fields
        if key not in ("translations", "price_tiers", "incoterms", "audience")
    }
    fields["price_tiers"] = parse_tiers(form.get("price_tiers", ""), locale)
    fields["incoterms"] = parse_offers(form.get("incoterms", ""))
    fields["audience"] = [s for s in form.get("audience", "").replace(",", " ").split() if s]
    locales = dict.fromkeys(
        key.split("_", 1)[1] for key in form if key.startswith(("title_", "description_")) and "_" in key
    )
    fields["translations"] = {
        loc: {"title": form.get(f"title_{loc}", ""), "description": form.get(f"description_{loc}", "")}
        for loc in locales
        if form.get(f"title_{loc}", "").strip() or form.get(f"description_{loc}", "").strip()
    }
    return parse_form(ListingIn, fields, locale)


def form_choices() -> dict[str, Any]:
    """What the listing form offers to choose from."""
    return {
        "incoterms": INCOTERMS,
        "units": UNITS,
        "categories": category_tree(db()),
        "tiers_example": TIERS_EXAMPLE,
        "offers_example": OFFERS_EXAMPLE,
        "audience_example": "acme-trading kobe-imports",
    }


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    if request.method == "GET":
        require(current_user(), OrgKind.EXPORTER)  # the same rule as publishing: others get 403, not a form
        return render_template("catalog/new.html", locales=UI_LOCALES, values={}, **form_choices())
    data = listing_form(request.form, select_locale())
    listing = create_listing(db(), current_user(), data)
    return redirect(url_for("catalog.show", listing_id=listing.id))
