"""A search as pages and the API ask for it, before `search` runs it: the language of its words, and a
search box holding an HS code."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from werkzeug.datastructures import LanguageAccept

from marketplace.catalog.schemas import SearchQuery
from marketplace.catalog.search import SearchResult, search
from marketplace.catalog.textsearch import STEMMED
from marketplace.pricing.fx import RateProvider


def search_language(lang: str | None, accepted: LanguageAccept, fallback: str) -> str:
    """The language of a query's words: `lang` when the request names it, else the language the browser
    prefers (Accept-Language) among those with a stemmer, else `fallback` (the interface's)."""
    if lang:
        return lang
    named = LanguageAccept([(tag, quality) for tag, quality in accepted if tag != "*"])
    return named.best_match(STEMMED) or fallback


@dataclass(frozen=True)
class Searched:
    """The results, and the HS code the search box was read as (None: its words were searched)."""

    found: SearchResult
    hs_from_q: str | None = None


def run_search(
    session: Session,
    query: SearchQuery,
    viewer_org_id: int | None,
    rates: RateProvider,
    locale: str,
    currency: str,
    cursor_key: bytes,
) -> Searched:
    """`search`, with a query of an HS code alone (`q=8482.10`, `q=848210`) read as that code's filter. If no
    listing is under that code, the words are searched instead: four digits are as often a model number
    (a 6204 bearing) as an HS heading."""
    by_code = query.by_hs_code()
    if by_code is not None:
        found = search(session, by_code, viewer_org_id, rates, locale, currency, cursor_key)
        if found.total or found.items:
            return Searched(found, by_code.hs)
    return Searched(search(session, query, viewer_org_id, rates, locale, currency, cursor_key))
