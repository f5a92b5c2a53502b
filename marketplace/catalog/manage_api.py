"""Catalog API for exporters: their own listings in any state, changing one, its translations and
pictures; and the category tree."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from marketplace.accounts.models import OrgKind
from marketplace.api import accepts, api_user, parse_body, require_api_user, viewer_prefs
from marketplace.catalog import images
from marketplace.catalog.categories import category_forest
from marketplace.catalog.models import Listing
from marketplace.catalog.schemas import (
    CategoryQuery,
    ListingIn,
    MineQuery,
    TranslationIn,
    TranslationQuery,
    ViewerQuery,
)
from marketplace.catalog.service import (
    delete_translation,
    own_listing,
    set_translation,
    update_listing,
    view_listing,
)
from marketplace.web import db, platform

bp = Blueprint("catalog_manage_api", __name__)


def _shown(listing: Listing) -> dict[str, object]:
    locale, currency = viewer_prefs()
    return view_listing(listing, locale, currency, platform().rates).as_json()


@bp.get("/listings/mine")
@accepts(query=MineQuery)
def my_listings() -> Any:
    """The caller's exporter's listings in every state (or one), newest first."""
    org_id = require_api_user(OrgKind.EXPORTER).organization_id
    query = MineQuery.model_validate(request.args.to_dict())
    found = select(Listing).where(Listing.organization_id == org_id).order_by(Listing.id.desc())
    if query.status:
        found = found.where(Listing.status == query.status)
    return jsonify({"listings": [_shown(listing) for listing in db().scalars(found)]})


@bp.put("/listings/<int:listing_id>")
@accepts(ListingIn, query=ViewerQuery)
def replace_listing(listing_id: int) -> Any:
    """Replace one of your listings (the whole listing, as for creating it)."""
    user = require_api_user(OrgKind.EXPORTER)
    own_listing(db(), user, listing_id)  # someone else's listing: 404 before the body is read
    return jsonify(_shown(update_listing(db(), user, listing_id, parse_body())))


def _locale(value: str) -> str:
    return TranslationQuery.model_validate({"locale": value}).locale


@bp.put("/listings/<int:listing_id>/translations/<locale>")
@accepts(TranslationIn, query=ViewerQuery)
def put_translation(listing_id: int, locale: str) -> Any:
    """Add or replace the listing's title and description in one language (any locale)."""
    user = require_api_user(OrgKind.EXPORTER)
    own_listing(db(), user, listing_id)
    listing = set_translation(db(), user, listing_id, _locale(locale), parse_body())
    return jsonify(_shown(listing))


@bp.delete("/listings/<int:listing_id>/translations/<locale>")
@accepts(query=ViewerQuery)
def remove_translation(listing_id: int, locale: str) -> Any:
    """Remove the listing's text in one language (not its source language)."""
    user = require_api_user(OrgKind.EXPORTER)
    return jsonify(_shown(delete_translation(db(), user, listing_id, _locale(locale))))


@bp.post("/listings/<int:listing_id>/images")
@accepts(query=ViewerQuery, upload="image")
def upload_image(listing_id: int) -> Any:
    """Add a picture (JPEG, PNG or WebP, multipart field `image`); the same picture again is kept once (200)."""
    user = require_api_user(OrgKind.EXPORTER)
    own_listing(db(), user, listing_id)
    config = platform().config
    picture = images.uploaded_picture(request.files.get("image"), config)
    image, new = images.add_image(db(), user, listing_id, picture, config.media_dir)  # type: ignore[arg-type]
    return jsonify(images.image_json(image)), 201 if new else 200


@bp.delete("/listings/<int:listing_id>/images/<int:image_id>")
@accepts()
def remove_image(listing_id: int, image_id: int) -> Any:
    """Remove a picture from the listing (204); its files go once no listing shows that picture any more."""
    user = require_api_user(OrgKind.EXPORTER)
    images.delete_image(db(), user, listing_id, image_id, platform().config.media_dir)  # type: ignore[arg-type]
    return "", 204


@bp.get("/categories")
@accepts(query=CategoryQuery)
def categories() -> Any:
    """The category tree (HS sections and their subcategories), named in the requested language."""
    query = CategoryQuery.model_validate(request.args.to_dict())
    locale = query.locale or (api_user().organization.locale if request.headers.get("Authorization") else "en")
    return jsonify({"categories": category_forest(db(), locale)})
