"""Exporters' catalog pages: their own listings, editing one, its status, translations and pictures."""

from __future__ import annotations

from typing import Any

from babel.numbers import get_decimal_symbol
from flask import Blueprint, redirect, render_template, request, url_for
from pydantic import ValidationError
from sqlalchemy import func, select

from i18n import UI_LOCALES
from marketplace.accounts.models import OrgKind
from marketplace.accounts.service import require
from marketplace.catalog import images
from marketplace.catalog.codec import format_offers, format_tiers
from marketplace.catalog.models import Listing, ListingStatus
from marketplace.catalog.schemas import ListingIn, MineQuery, TranslationIn, TranslationQuery
from marketplace.catalog.service import (
    delete_translation,
    listing_data,
    own_listing,
    set_translation,
    update_listing,
    view_listing,
)
from marketplace.catalog.views import form_choices, listing_form, listing_problems
from marketplace.errors import Invalid
from marketplace.web import (
    content_locale,
    current_user,
    db,
    display_currency,
    form_of,
    login_required,
    platform,
    rollback,
    select_locale,
)

bp = Blueprint("listings", __name__, url_prefix="/listings")

TRADE_LANGUAGES = (
    "en",
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "nl",
    "pl",
    "tr",
    "ru",
    "ar",
    "zh",
    "ja",
    "ko",
    "vi",
    "th",
    "id",
    "hi",
)
"""The languages offered first for a listing's text; any other locale code may be typed."""


def _amount(text: str, locale: str) -> str:
    """A plain decimal amount written as the page's language writes it (`12,50` in German)."""
    return text.replace(".", get_decimal_symbol(locale))


def prefill(listing: Listing, locale: str) -> dict[str, str]:
    """The edit form's fields for `listing`: tiers and offers in their compact text forms."""
    data = listing_data(listing)
    tiers = [{**tier, "unit_price": _amount(str(tier["unit_price"]), locale)} for tier in data["price_tiers"]]  # type: ignore[attr-defined]
    values = {
        key: "" if data[key] is None else str(data[key])
        for key in ("sku", "category", "origin", "unit", "moq", "lead_time_days", "stock", "currency", "status")
    }
    values |= {
        "hs_code": listing.hs_code,
        "visibility": str(data["visibility"]),
        "source_locale": listing.source_locale,
        "price_tiers": format_tiers(tiers),
        "incoterms": format_offers(data["incoterms"]),  # type: ignore[arg-type]
        "audience": " ".join(data["audience"]),  # type: ignore[arg-type]
    }
    for text in listing.translations:
        values[f"title_{text.locale}"] = text.title
        values[f"description_{text.locale}"] = text.description
    return values


@bp.get("/mine")
@login_required
def mine() -> Any:
    org = require(current_user(), OrgKind.EXPORTER)
    status = MineQuery.model_validate(request.args.to_dict()).status
    counts = dict(
        db()
        .execute(select(Listing.status, func.count()).where(Listing.organization_id == org.id).group_by(Listing.status))
        .all()
    )
    query = select(Listing).where(Listing.organization_id == org.id).order_by(Listing.id.desc())
    if status:
        query = query.where(Listing.status == status)
    locale, currency, rates = content_locale(), display_currency(), platform().rates
    views = [view_listing(listing, locale, currency, rates) for listing in db().scalars(query)]
    return render_template("catalog/mine.html", views=views, counts=counts, status=status, statuses=list(ListingStatus))


@bp.route("/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(listing_id: int) -> Any:
    listing = own_listing(db(), current_user(), listing_id)
    values: Any = prefill(listing, select_locale())
    problems: list[str] = []
    if request.method == "POST":
        try:
            update_listing(db(), current_user(), listing_id, listing_form(request.form, select_locale()))
            return redirect(url_for("catalog.show", listing_id=listing_id))
        except (ValidationError, Invalid) as exc:
            rollback()
            listing = own_listing(db(), current_user(), listing_id)
            values, problems = request.form, listing_problems(exc, request.form.get("currency") or listing.currency)
    locales = list(dict.fromkeys([*UI_LOCALES, *(t.locale for t in listing.translations)]))
    page = render_template(
        "catalog/edit.html",
        listing=listing,
        values=values,
        problems=problems,
        locales=locales,
        thumbs={i.id: images.media_url(i.sha256, "320") for i in listing.images},
        **form_choices(),
    )
    return (page, 400) if problems else page


@bp.post("/<int:listing_id>/status")
@login_required
def change_status(listing_id: int) -> Any:
    """Publish, archive or take back to draft (the rest of the listing stays as it is)."""
    listing = own_listing(db(), current_user(), listing_id)
    wanted = request.form.get("status", "")
    if wanted not in ListingStatus.__members__.values():
        raise Invalid("the status must be draft, published or archived", "status")
    data = listing_data(listing) | {"status": wanted}
    update_listing(db(), current_user(), listing_id, ListingIn.model_validate(data))
    if request.form.get("next") == "mine":
        return redirect(url_for("listings.mine"))
    return redirect(url_for("listings.edit", listing_id=listing_id))


@bp.get("/<int:listing_id>/translations")
@login_required
def translations(listing_id: int) -> Any:
    listing = own_listing(db(), current_user(), listing_id)
    chosen = request.args.get("locale", "")
    current = next((t for t in listing.translations if t.locale == chosen), None)
    return render_template(
        "catalog/translations.html",
        listing=listing,
        current=current,
        languages=[code for code in TRADE_LANGUAGES if code not in {t.locale for t in listing.translations}],
        locale_example="pt_BR",
    )


@bp.post("/<int:listing_id>/translations")
@login_required
def save_translation(listing_id: int) -> Any:
    """Add or replace the text in one language: a listed language, or any locale code typed in."""
    own_listing(db(), current_user(), listing_id)
    code = request.form.get("other_locale", "").strip() or request.form.get("locale", "").strip()
    locale = TranslationQuery.model_validate({"locale": code}).locale
    set_translation(db(), current_user(), listing_id, locale, form_of(TranslationIn))
    return redirect(url_for("listings.translations", listing_id=listing_id))


@bp.post("/<int:listing_id>/translations/<locale>/delete")
@login_required
def remove_translation(listing_id: int, locale: str) -> Any:
    delete_translation(db(), current_user(), listing_id, locale)
    return redirect(url_for("listings.translations", listing_id=listing_id))


@bp.post("/<int:listing_id>/images")
@login_required
def upload_image(listing_id: int) -> Any:
    own_listing(db(), current_user(), listing_id)
    config = platform().config
    picture = images.uploaded_picture(request.files.get("image"), config)
    images.add_image(db(), current_user(), listing_id, picture, config.media_dir)  # type: ignore[arg-type]
    return redirect(url_for("listings.edit", listing_id=listing_id, _anchor="pictures"))


@bp.post("/<int:listing_id>/images/<int:image_id>/delete")
@login_required
def delete_image(listing_id: int, image_id: int) -> Any:
    images.delete_image(db(), current_user(), listing_id, image_id, platform().config.media_dir)  # type: ignore[arg-type]
    return redirect(url_for("listings.edit", listing_id=listing_id, _anchor="pictures"))


@bp.post("/<int:listing_id>/images/<int:image_id>/move")
@login_required
def move_image(listing_id: int, image_id: int) -> Any:
    step = -1 if request.form.get("step") == "up" else 1
    images.move_image(db(), current_user(), listing_id, image_id, step)
    return redirect(url_for("listings.edit", listing_id=listing_id, _anchor="pictures"))
