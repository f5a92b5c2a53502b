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
from marketplace.errors import Invalid
from marketplace.validate import GIVEN_TWICE, parse_form
from marketplace.web import db, platform, repeated_args

bp = Blueprint("catalog_api", __name__)


def _viewer_org_id() -> int | None:
    """The caller's organization, for listings only some buyers may see (anonymous callers see public ones)."""
    return api_user().organization_id if request.headers.get("Authorization") else None


@bp.get("/listings")
@accepts(query=SearchQuery, answer=ListingsPage)
def listings() -> Any:
    """Search the listings the caller may see: `{"items": [...], "facets": {...}, "next": cursor or null,
    "total": n, "hs_from_q": code or null}`.

    Anyone may search (public listings); with a bearer token, restricted listings shown to the caller's
    organization are found too. Each item is a listing as `GET /listings/{listing_id}` shows it, in `locale`;
    `facets` count the results by category, origin and Incoterms rule; `next` continues the search on the
    next page. The words are in `lang`, else the best language of the Accept-Language header that has a
    stemmer, else the listings' `locale`."""
    locale, currency = viewer_prefs()
    if twice := repeated_args(SearchQuery.model_fields):
        raise Invalid(GIVEN_TWICE, twice[0], name=twice[0])
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
    """One listing, in the caller's language and currency: 404 unless it is published and public, shown to the
    caller's organization, or the caller's own.

    Its text in `locale` (else in its source language, with `fallback` true), its price tiers in the seller's
    currency and in `currency` at a dated ECB reference rate (`fx`), its Incoterms offers and its pictures."""
    locale, currency = viewer_prefs()
    found = get_listing(db(), listing_id, _viewer_org_id())
    return jsonify(view_listing(found, locale, currency, platform().rates).as_json())


@bp.post("/listings")
@accepts(ListingIn, query=ViewerQuery)
def new_listing() -> Any:
    """Publish a listing (exporters only): the listing as `ListingIn` describes it; 201 with the listing as
    `GET /listings/{listing_id}` shows it.

    The category must lie in the HS section of `hs_code` (by default it is that section); text may not hold
    control or bidirectional override characters, and invisible ones are removed."""
    user = require_api_user(OrgKind.EXPORTER)
    created = create_listing(db(), user, parse_body())
    locale, currency = viewer_prefs()
    return jsonify(view_listing(created, locale, currency, platform().rates).as_json()), 201
