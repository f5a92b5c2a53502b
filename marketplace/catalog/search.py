"""Buyer search over the catalog: words in the buyer's language against every translation, filters, facet
counts, four orders and keyset pages, over the search table (`catalog.search_index`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Double,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Organization
from marketplace.catalog.categories import category_by_code
from marketplace.catalog.models import (
    INCOTERMS,
    SEARCH_PUBLIC,
    SEARCH_RESTRICTED,
    Category,
    Listing,
    ListingAudience,
    ListingSearch,
)
from marketplace.catalog.schemas import SearchQuery
from marketplace.catalog.search_index import FULLTEXT_TABLE, eur_micro, incoterm_bit, sync_pending
from marketplace.catalog.service import ListingView, view_listing
from marketplace.catalog.textsearch import query_terms
from marketplace.errors import Invalid
from marketplace.pricing.fx import RateProvider
from marketplace.pricing.money import Money

S = ListingSearch
SORTS = ("relevance", "price", "lead_time", "newest")


@dataclass(frozen=True)
class Facet:
    """One value a result list can be narrowed to, with how many results it keeps."""

    code: str
    count: int
    category: Category | None = None


@dataclass
class SearchResult:
    items: list[ListingView]
    facets: dict[str, list[Facet]] = field(default_factory=dict)
    next_cursor: str | None = None

    def facets_json(self, locale: str) -> dict[str, list[dict[str, object]]]:
        return {
            name: [
                {"code": f.code, "count": f.count} | ({"name": f.category.name(locale)} if f.category else {})
                for f in facets
            ]
            for name, facets in self.facets.items()
        }


# -- full text ----------------------------------------------------------------------------------------------


Terms = list[tuple[tuple[str, ...], str | None]]


def _tsquery(terms: Terms) -> str:
    def quote(term: str) -> str:
        return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"

    def one(variants: tuple[str, ...], prefix: str | None) -> str:
        return "(" + " | ".join([quote(v) for v in variants] + ([f"{quote(prefix)}:*"] if prefix else [])) + ")"

    return " & ".join(one(v, p) for v, p in terms)


def _fts5_query(terms: Terms) -> str:
    def quote(term: str) -> str:
        return '"' + term.replace('"', '""') + '"'

    def one(variants: tuple[str, ...], prefix: str | None) -> str:
        return "(" + " OR ".join([quote(v) for v in variants] + ([f"{quote(prefix)}*"] if prefix else [])) + ")"

    return " AND ".join(one(v, p) for v, p in terms)


def _matching(session: Session, terms: Terms) -> tuple[Any, ColumnElement[Any]]:
    """(what to select from, the relevance score) for rows containing every term."""
    if session.get_bind().dialect.name == "postgresql":
        tsq = text("CAST(:tsq AS tsquery)").bindparams(tsq=_tsquery(terms))
        vector = literal_column("listing_search.terms")
        return ("pg", vector, tsq), cast(func.ts_rank(vector, tsq), Double)  # real, read back exactly
    fts = (
        select(
            literal_column("rowid").label("id"),
            (-func.bm25(literal_column(FULLTEXT_TABLE), 4.0, 1.0)).label("score"),
        )
        .select_from(text(FULLTEXT_TABLE))
        .where(literal_column(FULLTEXT_TABLE).op("MATCH")(_fts5_query(terms)))
        .subquery("fts")
    )
    return ("sqlite", fts), fts.c.score


# -- filters ------------------------------------------------------------------------------------------------


def _visible(viewer_org_id: int | None) -> ColumnElement[bool]:
    """Published listings the viewer may see: public ones, and restricted ones of its own or for it."""
    if viewer_org_id is None:
        return S.state == SEARCH_PUBLIC
    audience = select(ListingAudience.listing_id).where(ListingAudience.organization_id == viewer_org_id)
    return or_(
        S.state == SEARCH_PUBLIC,
        and_(S.state == SEARCH_RESTRICTED, or_(S.organization_id == viewer_org_id, S.listing_id.in_(audience))),
    )


@dataclass
class _Plan:
    filters: dict[str, ColumnElement[bool]]
    category: Category | None
    categories: list[Category]


def _plan(session: Session, q: SearchQuery, viewer_org_id: int | None, rates: RateProvider, currency: str) -> _Plan:
    """The query's filters as conditions on the search table, by name (facets leave out their own)."""
    filters: dict[str, ColumnElement[bool]] = {"visible": _visible(viewer_org_id)}
    categories = list(session.scalars(select(Category)))
    chosen = None
    if q.category:
        chosen = category_by_code(session, q.category)
        ids = [c.id for c in categories if c.path.startswith(chosen.path)]
        filters["category"] = S.category_id.in_(ids)
    if q.origin:
        filters["origin"] = S.origin == q.origin
    if q.hs:
        filters["hs"] = S.hs_code.startswith(q.hs, autoescape=True)
    if q.incoterm:
        filters["incoterm"] = S.incoterms.op("&")(incoterm_bit(q.incoterm)) != 0
    if q.moq_max is not None:
        filters["moq_max"] = S.moq <= q.moq_max
    if q.lead_time_max is not None:
        filters["lead_time_max"] = S.lead_time_days <= q.lead_time_max
    if q.price_min is not None or q.price_max is not None:
        rate = rates.rate(currency, "EUR")
        if q.price_min is not None:
            low = eur_micro(Money.parse(q.price_min, currency, "price_min"), rate)
            filters["price_min"] = S.price_eur_micro >= low
        if q.price_max is not None:
            high = eur_micro(Money.parse(q.price_max, currency, "price_max"), rate)
            filters["price_max"] = S.price_eur_micro <= high
    if q.exporter:
        org_id = session.scalar(select(Organization.id).where(Organization.slug == q.exporter))
        if org_id is None:
            raise Invalid("there is no exporter %(slug)s", "exporter", slug=q.exporter)
        filters["exporter"] = S.organization_id == org_id
    return _Plan(filters, chosen, categories)


# -- cursor -------------------------------------------------------------------------------------------------


def cursor_key() -> bytes:
    """The key that signs this installation's cursors (derived from its secret key)."""
    from marketplace.web import platform

    return hashlib.sha256(b"search-cursor:" + platform().config.secret_key.encode()).digest()


def encode_cursor(key: bytes, values: list[Any]) -> str:
    payload = json.dumps(values, separators=(",", ":")).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")


def decode_cursor(key: bytes, cursor: str, sort: str) -> list[Any]:
    """The position a cursor of this sort marks, or a 400 for one that was not made here."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        mac, payload = raw[:12], raw[12:]
        if not hmac.compare_digest(mac, hmac.new(key, payload, hashlib.sha256).digest()[:12]):
            raise ValueError("signature")
        values = json.loads(payload)
        if not isinstance(values, list) or len(values) != 3 or values[0] != sort:
            raise ValueError("shape")
    except (ValueError, TypeError):
        raise Invalid("the cursor is not valid for this search; start again from the first page", "cursor") from None
    return values[1:]


# -- search -------------------------------------------------------------------------------------------------


def search(
    session: Session,
    q: SearchQuery,
    viewer_org_id: int | None,
    rates: RateProvider,
    locale: str,
    currency: str,
    cursor_key: bytes,
) -> SearchResult:
    """One page of the listings matching `q` that the viewer may see, best first by `q.sort`, with facet
    counts; `next_cursor` continues after the page."""
    sync_pending(session)
    plan = _plan(session, q, viewer_org_id, rates, currency)
    terms = query_terms(q.q or "", q.lang or locale)
    if (q.q or "").strip() and not terms:
        return SearchResult(items=[], facets=_empty_facets(), next_cursor=None)
    match = _matching(session, terms) if terms else None
    sort = q.sort if (q.sort != "relevance" or match) else "newest"

    def base(columns: list[Any], leave_out: str | None = None) -> Select[Any]:
        query = select(*columns).select_from(S)
        if match is not None:
            source, _score = match
            if source[0] == "pg":
                query = query.where(source[1].op("@@")(source[2]))
            else:
                query = query.join(source[1], source[1].c.id == S.listing_id)
        conditions = [c for name, c in plan.filters.items() if name != leave_out]
        return query.where(*conditions)

    score = match[1] if match is not None else literal(0)
    key, descending = {
        "relevance": (score, True),
        "newest": (S.published_us, True),
        "price": (S.price_eur_micro, False),
        "lead_time": (S.lead_time_days, False),
    }[sort]
    page = base([S.listing_id, key.label("k")])
    if q.cursor:
        after_key, after_id = decode_cursor(cursor_key, q.cursor, sort)
        if not isinstance(after_id, int) or not isinstance(after_key, int | float):
            raise Invalid("the cursor is not valid for this search; start again from the first page", "cursor")
        position = tuple_(key, S.listing_id)
        page = page.where(position < (after_key, after_id) if descending else position > (after_key, after_id))
    order = (key.desc(), S.listing_id.desc()) if descending else (key.asc(), S.listing_id.asc())
    rows = session.execute(page.order_by(*order).limit(q.limit + 1)).all()
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    next_cursor = encode_cursor(cursor_key, [sort, rows[-1].k, rows[-1].listing_id]) if more else None
    listings = _load([r.listing_id for r in rows], session)
    items = [view_listing(listings[r.listing_id], locale, currency, rates) for r in rows]
    return SearchResult(items=items, facets=_facets(session, plan, base), next_cursor=next_cursor)


def _load(ids: list[int], session: Session) -> dict[int, Listing]:
    """The listings of a page with everything a result card shows, in a fixed number of queries."""
    if not ids:
        return {}
    query = (
        select(Listing)
        .where(Listing.id.in_(ids))
        .options(
            selectinload(Listing.organization),
            selectinload(Listing.category),
            selectinload(Listing.translations),
            selectinload(Listing.tiers),
            selectinload(Listing.offers),
        )
    )
    return {x.id: x for x in session.scalars(query)}


def _empty_facets() -> dict[str, list[Facet]]:
    return {"category": [], "origin": [], "incoterm": []}


def _facets(session: Session, plan: _Plan, base: Any) -> dict[str, list[Facet]]:
    """Counts per category (the sections, or the children of the chosen category), origin and Incoterm;
    each over the results as they would be without its own filter."""
    by_id = {c.id: c for c in plan.categories}
    per_category = session.execute(
        base([S.category_id, func.count()], leave_out=None if plan.category else "category").group_by(S.category_id)
    ).all()
    parent = plan.category
    counts: dict[int, int] = {}
    for category_id, count in per_category:
        node = by_id.get(category_id)
        if node is None:
            continue
        ids = [int(part) for part in node.path.strip("/").split("/")]
        depth = len(parent.path.strip("/").split("/")) if parent else 0
        if len(ids) > depth:
            counts[ids[depth]] = counts.get(ids[depth], 0) + count
    category = sorted(
        (Facet(by_id[i].code, n, by_id[i]) for i, n in counts.items() if i in by_id),
        key=lambda f: (f.category.position if f.category else 0, f.code),
    )
    by_origin = base([S.origin, func.count()], leave_out="origin").group_by(S.origin)
    origin = [Facet(code, n) for code, n in session.execute(by_origin.order_by(func.count().desc(), S.origin))]
    sums = [func.sum(case((S.incoterms.op("&")(incoterm_bit(rule)) != 0, 1), else_=0)) for rule in INCOTERMS]
    totals = session.execute(base(sums, leave_out="incoterm")).one()
    incoterm = [Facet(rule, int(n or 0)) for rule, n in zip(INCOTERMS, totals, strict=True) if n]
    return {"category": category, "origin": origin, "incoterm": incoterm}
