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
    and_,
    func,
    literal_column,
    not_,
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
from marketplace.catalog.search_counts import remembered
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
    total: int = 0

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


@dataclass(frozen=True)
class _Match:
    """The rows containing every query term (`anywhere`), and those whose titles contain them (`in_title`):
    both answered by the full-text index alone, so a search never reads the stored terms."""

    anywhere: ColumnElement[bool]
    in_title: ColumnElement[bool]


def _matching(session: Session, terms: Terms) -> _Match:
    if session.get_bind().dialect.name == "postgresql":
        tsq = text("CAST(:tsq AS tsquery)").bindparams(tsq=_tsquery(terms))
        return _Match(
            literal_column("listing_search.terms").op("@@")(tsq),
            literal_column("listing_search.title_vector").op("@@")(tsq),
        )
    query = _fts5_query(terms)

    def fts(expression: str) -> ColumnElement[bool]:
        rows = select(literal_column("rowid")).select_from(text(FULLTEXT_TABLE))
        return S.listing_id.in_(rows.where(literal_column(FULLTEXT_TABLE).op("MATCH")(expression)))

    return _Match(fts(query), fts(f"{{title_terms}} : ({query})"))


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


def decode_cursor(key: bytes, cursor: str, sort: str) -> tuple[int, int | float, int]:
    """The position a cursor of this sort marks (tier, sort key, listing id), or a 400 for one that was not
    made here."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        mac, payload = raw[:12], raw[12:]
        if not hmac.compare_digest(mac, hmac.new(key, payload, hashlib.sha256).digest()[:12]):
            raise ValueError("signature")
        values = json.loads(payload)
        if not isinstance(values, list) or len(values) != 4 or values[0] != sort:
            raise ValueError("shape")
        tier, after_key, after_id = values[1:]
        if not (isinstance(tier, int) and isinstance(after_key, int | float) and isinstance(after_id, int)):
            raise ValueError("types")
    except (ValueError, TypeError):
        raise Invalid("the cursor is not valid for this search; start again from the first page", "cursor") from None
    return tier, after_key, after_id


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
    counts and the number of results; `next_cursor` continues after the page.

    Relevance puts the listings whose titles hold every query word first and the others after them,
    newest first within each tier: the order a buyer expects, and one the full-text index answers
    without reading or scoring every match."""
    sync_pending(session)
    plan = _plan(session, q, viewer_org_id, rates, currency)
    terms = query_terms(q.q or "", q.lang or locale)
    if (q.q or "").strip() and not terms:
        return SearchResult(items=[], facets=_empty_facets(), next_cursor=None)
    match = _matching(session, terms) if terms else None
    sort = q.sort if (q.sort != "relevance" or match) else "newest"
    common = [*plan.filters.values(), *([match.anywhere] if match else [])]
    key, descending = {
        "relevance": (S.published_us, True),
        "newest": (S.published_us, True),
        "price": (S.price_eur_micro, False),
        "lead_time": (S.lead_time_days, False),
    }[sort]
    tiers: list[tuple[int, list[ColumnElement[bool]]]] = [(0, [])]
    if sort == "relevance" and match is not None:
        tiers = [(1, [match.in_title]), (0, [not_(match.in_title)])]
    after = decode_cursor(cursor_key, q.cursor, sort) if q.cursor else None
    # With words, walk the index of the words, not of the order: the order's index would be read to the end
    # when the words are rare (or match nothing), looking for a page that never fills.
    ordered = key + 0 if match is not None else key
    order = (ordered.desc(), S.listing_id.desc()) if descending else (ordered.asc(), S.listing_id.asc())
    rows: list[tuple[int, Any, int]] = []
    for tier, conditions in tiers:
        if after is not None and tier > after[0]:
            continue
        page = select(S.listing_id, key).where(*common, *conditions)
        if after is not None and tier == after[0]:
            position, mark = tuple_(key, S.listing_id), (after[1], after[2])
            page = page.where(position < mark if descending else position > mark)
        wanted = q.limit + 1 - len(rows)
        rows += [(tier, k, i) for i, k in session.execute(page.order_by(*order).limit(wanted))]
        if len(rows) > q.limit:
            break
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    next_cursor = encode_cursor(cursor_key, [sort, *rows[-1]]) if more else None
    listings = _load([i for _, _, i in rows], session)
    items = [view_listing(listings[i], locale, currency, rates) for _, _, i in rows]
    asked = q.model_dump(exclude={"sort", "cursor", "limit", "q", "lang", "locale"})
    key = json.dumps([asked, terms, viewer_org_id, currency], default=str)
    counts = remembered(session.get_bind().engine, key, lambda: _count(session, plan, match))
    return SearchResult(items=items, facets=_facets(counts, plan), next_cursor=next_cursor, total=counts.total)


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


_FACETED = ("category", "origin", "incoterm")


@dataclass
class _Counts:
    """What a search counts: results per category id, origin and Incoterm, and in all."""

    categories: dict[int, int]
    origins: dict[str, int]
    rules: dict[str, int]
    total: int


def _count(session: Session, plan: _Plan, match: _Match | None) -> _Counts:
    """Counts per category (the sections, or the children of the chosen category), origin and Incoterm,
    each over the results as they would be without its own filter (but the category facet, which lists the
    chosen category's children); and the number of results. One pass over the matches, grouped by
    (category, origin, Incoterms), each count keeping the other facets' filters."""
    common = [c for name, c in plan.filters.items() if name not in _FACETED]
    if match is not None:
        common.append(match.anywhere)

    def count(*names: str) -> Any:
        kept = [plan.filters[n] for n in names if n in plan.filters]
        return func.count().filter(and_(*kept)) if kept else func.count()

    groups = session.execute(
        select(
            S.category_id,
            S.origin,
            S.incoterms,
            count("category", "incoterm"),
            count("category", "origin"),
            count(*_FACETED),
        )
        .where(*common)
        .group_by(S.category_id, S.origin, S.incoterms)
    ).all()
    by_id = {c.id: c for c in plan.categories}
    depth = len(plan.category.path.strip("/").split("/")) if plan.category else 0
    counts = _Counts({}, {}, {}, 0)
    for category_id, origin, offered, in_origin, in_rules, everything in groups:
        node = by_id.get(category_id)
        path = [int(part) for part in node.path.strip("/").split("/")] if node else []
        if everything and len(path) > depth:  # the category facet keeps its own filter: the chosen one's children
            counts.categories[path[depth]] = counts.categories.get(path[depth], 0) + everything
        if in_origin:
            counts.origins[origin] = counts.origins.get(origin, 0) + in_origin
        for rule in INCOTERMS:
            if in_rules and offered & incoterm_bit(rule):
                counts.rules[rule] = counts.rules.get(rule, 0) + in_rules
        counts.total += everything
    return counts


def _facets(counts: _Counts, plan: _Plan) -> dict[str, list[Facet]]:
    """The counts as facets: categories in the tree's order, origins most first, Incoterms in their order."""
    by_id = {c.id: c for c in plan.categories}
    category = sorted(
        (Facet(by_id[i].code, n, by_id[i]) for i, n in counts.categories.items() if i in by_id),
        key=lambda f: (f.category.position if f.category else 0, f.code),
    )
    origin = [Facet(code, n) for code, n in sorted(counts.origins.items(), key=lambda item: (-item[1], item[0]))]
    incoterm = [Facet(rule, counts.rules[rule]) for rule in INCOTERMS if rule in counts.rules]
    return {"category": category, "origin": origin, "incoterm": incoterm}
