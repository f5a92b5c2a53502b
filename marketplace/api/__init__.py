"""JSON API v1: what every domain's API routes share (bearer-token auth, the request body, viewer
preferences) and the blueprint that gathers the domains' routes under /api/v1."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, current_app, g, jsonify, request
from pydantic import BaseModel

from ledger import safejson
from marketplace.accounts.models import OrgKind, User
from marketplace.accounts.service import require, user_for_token
from marketplace.catalog.schemas import ViewerQuery
from marketplace.errors import Invalid, Unauthenticated
from marketplace.web import db


def body() -> dict[str, Any]:
    """The request's JSON object, or a 400 saying what is wrong with it."""
    try:
        data = safejson.loads(request.get_data(cache=True)) if request.is_json else None
    except safejson.JsonRejected:
        data = None
    if not isinstance(data, dict):
        raise Invalid("the request body must be a JSON object (Content-Type: application/json)")
    return data


def api_user() -> User:
    """The user behind the request's bearer token, or 401."""
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise Unauthenticated("send an API token as 'Authorization: Bearer <token>'")
        g.api_user = user_for_token(db(), header.removeprefix("Bearer ").strip())
    return g.api_user


def require_api_user(*kinds: OrgKind) -> User:
    """The caller, if its organization is of one of `kinds` and its role may act (else 401/403): checked
    before the body, so a caller who may not act at all learns that first."""
    user = api_user()
    require(user, *kinds)
    return user


M = TypeVar("M", bound=BaseModel)
V = TypeVar("V", bound=Callable[..., Any])


def accepts(
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    upload: str | None = None,
    answer: type[BaseModel] | None = None,
) -> Callable[[V], V]:
    """Declare a route's request schemas: `parse_body` checks the body with them, and the OpenAPI
    document (marketplace.api.openapi) describes the route with them. `upload` names the file field of
    a multipart/form-data body; `answer` is the schema of a successful answer, for the document."""

    def mark(view: V) -> V:
        view.request_schemas = {"body": body, "query": query, "upload": upload, "answer": answer}  # type: ignore[attr-defined]
        return view

    return mark


def declared(view: Callable[..., Any], part: str) -> Any:
    """What `accepts` declared for the view's `part` ("body", "query", "upload" or "answer"), if anything."""
    return getattr(view, "request_schemas", {}).get(part)


def parse_body(schema: type[M] | None = None) -> M:
    """The request's JSON object checked by `schema`, by default the body schema its route declared
    with `accepts` (a refusal is a 400 naming the field)."""
    schema = schema or declared(current_app.view_functions[request.endpoint], "body")  # type: ignore[assignment]
    assert schema is not None, f"{request.endpoint} declares no body schema"
    return schema.model_validate(body())


def viewer_prefs() -> tuple[str, str]:
    """Locale and currency for listings: query parameters, else the caller's organization's."""
    query = ViewerQuery.model_validate(request.args.to_dict())
    locale, currency = "en", "EUR"
    if request.headers.get("Authorization"):
        org = api_user().organization
        locale, currency = org.locale, org.currency
    return query.locale or locale, query.currency or currency


def api_blueprint() -> Blueprint:
    """/api/v1 with every domain's routes."""
    from marketplace.accounts.api import bp as accounts
    from marketplace.catalog.api import bp as catalog
    from marketplace.catalog.manage_api import bp as catalog_manage
    from marketplace.rfq.api import bp as rfq
    from marketplace.storefront.api import bp as storefront
    from marketplace.trades.api import bp as trades

    bp = Blueprint("api", __name__, url_prefix="/api/v1")
    for child in (accounts, catalog, catalog_manage, rfq, trades, storefront):
        bp.register_blueprint(child)
    bp.add_url_rule("/openapi.json", "openapi", openapi_document)
    return bp


def openapi_document() -> Any:
    """GET /api/v1/openapi.json."""
    from marketplace.api.openapi import document

    return jsonify(document(current_app))
