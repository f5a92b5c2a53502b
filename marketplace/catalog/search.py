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
    tsquery: Any = None  # PostgreSQL's query, for conditions on rows walked in another index


def _matching(session: Session, terms: Terms) -> _Match:
    if session.get_bind().dialect.name == "postgresql":
        tsq = text("CAST(:tsq AS tsquery)").bindparams(tsq=_tsquery(terms))
        return _Match(
            literal_column("listing_search.terms").op("@@")(tsq),
            literal_column("listing_search.title_vector").op("@@")(tsq),
            tsq,
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
    asked = json.dumps([q.model_dump(exclude={"sort", "cursor", "limit", "q", "lang", "locale"}), terms], default=str)
    counts = remembered(
        session.get_bind().engine, f"{asked}:{viewer_org_id}:{currency}", lambda: _count(session, plan, match)
    )
    sort = q.sort if (q.sort != "relevance" or match) else "newest"
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
    pager = _Pager(session, list(plan.filters.values()), match, key, descending, counts.total)
    rows: list[tuple[int, Any, int]] = []
    for tier, conditions in tiers:
        if counts.total == 0 or (after is not None and tier > after[0]):
            continue
        position = None
        if after is not None and tier == after[0]:
            place, mark = tuple_(key, S.listing_id), (after[1], after[2])
            position = place < mark if descending else place > mark
        wanted = q.limit + 1 - len(rows)
        rows += [(tier, k, i) for i, k in pager.page(tier, conditions, position, wanted)]
        if len(rows) > q.limit:
            break
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    next_cursor = encode_cursor(cursor_key, [sort, *rows[-1]]) if more else None
    listings = _load([i for _, _, i in rows], session)
    items = [view_listing(listings[i], locale, currency, rates) for _, _, i in rows]
    return SearchResult(items=items, facets=_facets(counts, plan), next_cursor=next_cursor, total=counts.total)


WALK = 5_000
"""At most this many listings are walked in the order's index looking for a page of a common word's
matches, before the page is taken from the full-text index instead."""
COMMON = 2_000
"""Words with at least this many matches are paged by walking the order's index (a page is found within
the first few hundred listings); rarer ones from the full-text index (a few thousand matches at most to
sort), which never reads the order's index to its end for a page that does not fill."""


@dataclass
class _Pager:
    """Pages of one search in one order: by walking the order's index, filtering by the words (for common
    words, on PostgreSQL), else from the full-text index, sorted."""

    session: Session
    filters: list[ColumnElement[bool]]
    match: _Match | None
    key: Any
    descending: bool
    matches: int

    def page(
        self, tier: int, conditions: list[ColumnElement[bool]], position: ColumnElement[bool] | None, wanted: int
    ) -> list[tuple[int, Any]]:
        """(listing id, sort key) of up to `wanted` listings of the tier, after `position`."""
        placed = [*self.filters, *([position] if position is not None else [])]
        if self.match is not None and self.match.tsquery is not None and self.matches >= COMMON:
            walked = self._walk(tier if conditions else None, placed, wanted)
            if walked is not None:
                return walked
        words = [self.match.anywhere, *conditions] if self.match is not None else []
        ordered = self.key + 0 if self.match is not None else self.key  # with words: their index, not the order's
        order = (ordered.desc(), S.listing_id.desc()) if self.descending else (ordered.asc(), S.listing_id.asc())
        query = select(S.listing_id, self.key).where(*placed, *words).order_by(*order).limit(wanted)
        return [(i, k) for i, k in self.session.execute(query)]

    def _walk(self, tier: int | None, placed: list[ColumnElement[bool]], wanted: int) -> list[tuple[int, Any]] | None:
        """The page from the first `WALK` listings in the order's index (of the relevance tier `tier`, 1 for
        title matches), or None when they hold fewer."""
        assert self.match is not None
        order = (self.key.desc(), S.listing_id.desc()) if self.descending else (self.key.asc(), S.listing_id.asc())
        window = (
            select(
                S.listing_id.label("listing_id"),
                self.key.label("k"),
                literal_column("listing_search.terms").label("terms"),
                literal_column("listing_search.title_vector").label("title_vector"),
            )
            .where(*placed)
            .order_by(*order)
            .limit(WALK)
            .subquery("walked")
        )
        in_title = window.c.title_vector.op("@@")(self.match.tsquery)
        words = [window.c.terms.op("@@")(self.match.tsquery)]
        if tier is not None:
            words.append(in_title if tier else not_(in_title))
        found = [
            (i, k) for i, k in self.session.execute(select(window.c.listing_id, window.c.k).where(*words).limit(wanted))
        ]
        return found if len(found) == wanted else None


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
