"""Catalog API: listings in the caller's language and currency, and publishing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from marketplace.accounts.models import OrgKind
from marketplace.api import accepts, api_user, parse_body, require_api_user, viewer_prefs
from marketplace.catalog.schemas import ListingIn, ListingsPage, SearchQuery, ViewerQuery
from marketplace.catalog.search import cursor_key
from marketplace.catalog.search_request import run_search, search_language
from marketplace.catalog.service import create_listing, get_listing, view_listing
from marketplace.validate import parse_form
from marketplace.web import db, platform

bp = Blueprint("catalog_api", __name__)


def _viewer_org_id() -> int | None:
    """The caller's organization, for listings only some buyers may see (anonymous callers see public ones)."""
    return api_user().organization_id if request.headers.get("Authorization") else None


@bp.get("/listings")
@accepts(query=SearchQuery, answer=ListingsPage)
def listings() -> Any:
    """Search: `{"items": [...], "facets": {...}, "next": cursor or null, "total": n, "hs_from_q": code or null}`.

    The words are in `lang`, else the best language of the Accept-Language header that has a stemmer,
    else the listings' `locale`."""
    locale, currency = viewer_prefs()
    query = parse_form(SearchQuery, request.args.to_dict(), "en")
    query = query.model_copy(update={"lang": search_language(query.lang, request.accept_languages, locale)})
    searched = run_search(db(), query, _viewer_org_id(), platform().rates, locale, currency, cursor_key())
    found = searched.found
    return jsonify(
        {
            "items": [view.as_json() for view in found.items],
            "facets": found.facets_json(locale),
            "next": found.next_cursor,
            "total": found.total,
            "hs_from_q": searched.hs_from_q,
        }
    )


@bp.get("/listings/<int:listing_id>")
@accepts(query=ViewerQuery)
def listing(listing_id: int) -> Any:
    locale, currency = viewer_prefs()
    found = get_listing(db(), listing_id, _viewer_org_id())
    return jsonify(view_listing(found, locale, currency, platform().rates).as_json())


@bp.post("/listings")
@accepts(ListingIn, query=ViewerQuery)
def new_listing() -> Any:
    user = require_api_user(OrgKind.EXPORTER)
    created = create_listing(db(), user, parse_body())
    locale, currency = viewer_prefs()
    return jsonify(view_listing(created, locale, currency, platform().rates).as_json()), 201
