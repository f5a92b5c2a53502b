"""Buyer search over the catalog: words in the buyer's language against every translation, filters, facet
counts, four orders and keyset pages, over the search table (`catalog.search_index`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    and_,
    func,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organization
from marketplace.catalog.categories import CategoryNode, category_nodes
from marketplace.catalog.models import (
    INCOTERMS,
    SEARCH_PUBLIC,
    SEARCH_RESTRICTED,
    ListingAudience,
    ListingSearch,
)
from marketplace.catalog.schemas import SearchQuery
from marketplace.catalog.search_cache import remembered
from marketplace.catalog.search_index import FULLTEXT_TABLE, eur_micro, incoterm_bit, sync_pending
from marketplace.catalog.search_matches import (
    Groups,
    Mask,
    Matches,
    descending,
    fetch_matches,
    origin_code,
    origin_name,
    refresh_matches,
)
from marketplace.catalog.service import ListingView, view_listing
from marketplace.catalog.shown import read_listings
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
    category: CategoryNode | None = None


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
    """The rows containing every query term (`anywhere`), and whether a row's title contains them
    (`in_title`): both answered by the full-text index."""

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


def _matches(session: Session, terms: Terms) -> Matches:
    """The published listings holding every term, kept while the catalog is unchanged."""
    match = _matching(session, terms)
    return remembered(
        session,
        "words:" + json.dumps(terms),
        lambda: fetch_matches(session, match.anywhere, match.in_title),
        _size,
        lambda kept: refresh_matches(session, kept, match.anywhere, match.in_title),
    )


def _size(matches: Matches) -> int:
    return matches.nbytes


# -- filters ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Filter:
    """One condition of a search, as SQL on the search table and as a mask over words' matches."""

    sql: ColumnElement[bool]
    mask: Any  # Callable[[Matches], Mask]


def _audience(session: Session, viewer_org_id: int) -> np.ndarray:
    """The restricted listings shown to the viewer's organization (kept while the catalog is unchanged)."""

    def read() -> np.ndarray:
        ids = session.scalars(
            select(ListingAudience.listing_id).where(ListingAudience.organization_id == viewer_org_id)
        ).all()
        return np.array(sorted(ids), dtype=np.int32)

    return remembered(session, f"audience:{viewer_org_id}", read, lambda ids: ids.nbytes)


def _visible(session: Session, viewer_org_id: int | None) -> _Filter:
    """Published listings the viewer may see: public ones, and restricted ones of its own or for it."""
    if viewer_org_id is None:
        return _Filter(S.state == SEARCH_PUBLIC, Matches.public)
    audience = select(ListingAudience.listing_id).where(ListingAudience.organization_id == viewer_org_id)

    def mask(m: Matches) -> Mask:
        restricted = (m.state == SEARCH_RESTRICTED) & (
            (m.organization_id == viewer_org_id) | np.isin(m.listing_id, _audience(session, viewer_org_id))
        )
        return m.public() | restricted

    return _Filter(
        or_(
            S.state == SEARCH_PUBLIC,
            and_(S.state == SEARCH_RESTRICTED, or_(S.organization_id == viewer_org_id, S.listing_id.in_(audience))),
        ),
        mask,
    )


@dataclass
class _Plan:
    filters: dict[str, _Filter]
    category: CategoryNode | None
    categories: list[CategoryNode]

    def sql(self, *leaving_out: str) -> list[ColumnElement[bool]]:
        return [f.sql for name, f in self.filters.items() if name not in leaving_out]


def _plan(session: Session, q: SearchQuery, viewer_org_id: int | None, rates: RateProvider, currency: str) -> _Plan:
    """The query's filters by name (facets leave out their own)."""
    filters: dict[str, _Filter] = {"visible": _visible(session, viewer_org_id)}
    categories = category_nodes(session)
    chosen = None
    if q.category:
        chosen = next((c for c in categories if c.code == q.category), None)
        if chosen is None:
            raise Invalid("there is no category %(code)s", "category", code=q.category)
        ids = [c.id for c in categories if c.path.startswith(chosen.path)]
        filters["category"] = _Filter(S.category_id.in_(ids), lambda m: np.isin(m.category_id, ids))
    if q.origin:
        code = origin_code(q.origin)
        filters["origin"] = _Filter(S.origin == q.origin, lambda m: m.origin == code)
    if q.hs:
        prefix = q.hs
        filters["hs"] = _Filter(S.hs_code.startswith(prefix, autoescape=True), lambda m: m.hs_prefix(prefix))
    if q.incoterm:
        bit = incoterm_bit(q.incoterm)
        filters["incoterm"] = _Filter(S.incoterms.op("&")(bit) != 0, lambda m: (m.incoterms & bit) != 0)
    if q.moq_max is not None:
        moq_max = q.moq_max
        filters["moq_max"] = _Filter(S.moq <= moq_max, lambda m: m.moq <= moq_max)
    if q.lead_time_max is not None:
        lead_max = q.lead_time_max
        filters["lead_time_max"] = _Filter(S.lead_time_days <= lead_max, lambda m: m.lead_time_days <= lead_max)
    if q.price_min is not None or q.price_max is not None:
        rate = rates.rate(currency, "EUR")
        if q.price_min is not None:
            low = eur_micro(Money.parse(q.price_min, currency, "price_min"), rate)
            filters["price_min"] = _Filter(S.price_eur_micro >= low, lambda m: m.price_eur_micro >= low)
        if q.price_max is not None:
            high = eur_micro(Money.parse(q.price_max, currency, "price_max"), rate)
            filters["price_max"] = _Filter(S.price_eur_micro <= high, lambda m: m.price_eur_micro <= high)
    if q.exporter:
        org_id = session.scalar(select(Organization.id).where(Organization.slug == q.exporter))
        if org_id is None:
            raise Invalid("there is no exporter %(slug)s", "exporter", slug=q.exporter)
        filters["exporter"] = _Filter(S.organization_id == org_id, lambda m: m.organization_id == org_id)
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
    newest first within each tier. With words, the matches are read once and kept
    (`catalog.search_matches`); without, pages are read in the order's index and counts are kept."""
    sync_pending(session)
    plan = _plan(session, q, viewer_org_id, rates, currency)
    terms = query_terms(q.q or "", q.lang or locale)
    if (q.q or "").strip() and not terms:
        return SearchResult(items=[], facets=_empty_facets(), next_cursor=None)
    sort = q.sort if (q.sort != "relevance" or terms) else "newest"
    after = decode_cursor(cursor_key, q.cursor, sort) if q.cursor else None
    if terms:
        counts, rows = _search_matches(_matches(session, terms), plan, sort, after, q.limit + 1)
    else:
        asked = json.dumps(q.model_dump(exclude={"sort", "cursor", "limit", "q", "lang", "locale"}), default=str)
        counts = remembered(session, f"counts:{asked}:{viewer_org_id}:{currency}", lambda: _count(session, plan))
        rows = _browse(session, plan, sort, after, q.limit + 1) if counts.total else []
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    next_cursor = encode_cursor(cursor_key, [sort, *rows[-1]]) if more else None
    listings = read_listings(session.connection(), [i for _, _, i in rows], viewer_org_id)  # as they are now
    items = [view_listing(listings[i], locale, currency, rates) for _, _, i in rows if i in listings]
    return SearchResult(items=items, facets=_facets(counts, plan), next_cursor=next_cursor, total=counts.total)


_KEYS = {
    "relevance": S.published_us,
    "newest": S.published_us,
    "price": S.price_eur_micro,
    "lead_time": S.lead_time_days,
}


def _browse(
    session: Session, plan: _Plan, sort: str, after: tuple[int, Any, int] | None, wanted: int
) -> list[tuple[int, Any, int]]:
    """Up to `wanted` (tier, sort key, listing id) of the listings passing the filters, after the cursor
    mark `after`, in the order's index."""
    key = _KEYS[sort]
    conditions = plan.sql()
    if after is not None:
        place, mark = tuple_(key, S.listing_id), (after[1], after[2])
        conditions.append(place < mark if descending(sort) else place > mark)
    order = (key.desc(), S.listing_id.desc()) if descending(sort) else (key.asc(), S.listing_id.asc())
    query = select(S.listing_id, key).where(*conditions).order_by(*order).limit(wanted)
    return [(0, k, i) for i, k in session.execute(query)]


def _search_matches(
    matches: Matches, plan: _Plan, sort: str, after: tuple[int, Any, int] | None, wanted: int
) -> tuple[_Counts, list[tuple[int, Any, int]]]:
    """The counts, and up to `wanted` (tier, sort key, listing id) after the cursor mark `after`, of the
    words' `matches` passing the filters."""
    masks = {name: f.mask(matches) for name, f in plan.filters.items()}
    everyone = matches.everyone()

    def kept(leaving_out: str | None = None) -> Mask:
        chosen = [m for name, m in masks.items() if name != leaving_out]
        return chosen[0] if len(chosen) == 1 else np.logical_and.reduce([everyone, *chosen])

    results = kept()
    counts = _tally(
        plan,
        matches.groups([kept(name) if name in masks else results for name in ("origin", "incoterm")] + [results]),
    )
    shown = results & matches.after(sort, after) if after is not None else results
    return counts, matches.page(sort, shown, wanted)


def _empty_facets() -> dict[str, list[Facet]]:
    return {"category": [], "origin": [], "incoterm": []}


_FACETED = ("category", "origin", "incoterm")


_RULE_BITS = tuple((rule, incoterm_bit(rule)) for rule in INCOTERMS)


@dataclass
class _Counts:
    """What a search counts: results per category id, origin and Incoterm, and in all."""

    categories: dict[int, int]
    origins: dict[str, int]
    rules: dict[str, int]
    total: int


def _count(session: Session, plan: _Plan) -> _Counts:
    """The counts of a search without words: one pass over the listings passing the filters but the
    facets' own, grouped by (category, origin, Incoterms), each count keeping the other facets' filters."""

    def count(*names: str) -> Any:
        kept = [plan.filters[n].sql for n in names if n in plan.filters]
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
        .where(*plan.sql(*_FACETED))
        .group_by(S.category_id, S.origin, S.incoterms)
    ).all()
    return _tally(plan, Groups.of_rows([tuple(g) for g in groups], 3))


def _tally(plan: _Plan, groups: Groups) -> _Counts:
    """Counts per category (the sections, or the children of the chosen category), origin and Incoterm
    from `groups` counting the results without the origin filter, without the Incoterm filter and with
    every filter: each facet counts the results as they would be without its own filter, but the category
    facet, which lists the chosen category's children."""
    in_origin, in_rules, everything = groups.counts
    counts = _Counts({}, {}, {}, int(everything.sum()))
    depth = len(plan.category.path.strip("/").split("/")) if plan.category else 0
    paths = {c.id: c.path.strip("/").split("/") for c in plan.categories}
    for category_id, n in _sums(groups.category_id, everything):
        path = paths.get(category_id, [])
        if len(path) > depth:  # the category facet keeps its own filter: the chosen one's children
            shown = int(path[depth])
            counts.categories[shown] = counts.categories.get(shown, 0) + n
    counts.origins = {origin_name(code): n for code, n in _sums(groups.origin, in_origin)}
    for rule, bit in _RULE_BITS:
        n = int(in_rules[(groups.incoterms & bit) != 0].sum())
        if n:
            counts.rules[rule] = n
    return counts


def _sums(values: np.ndarray, weights: np.ndarray) -> list[tuple[int, int]]:
    """(value, sum of its weights) of each distinct value whose weights sum above 0."""
    kept = weights > 0
    distinct, where = np.unique(values[kept], return_inverse=True)
    sums = np.bincount(where, weights=weights[kept], minlength=len(distinct)).astype(np.int64)
    return list(zip(distinct.tolist(), sums.tolist(), strict=True))


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
