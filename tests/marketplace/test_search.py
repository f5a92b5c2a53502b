"""Buyer search: words in the buyer's language against every translation, filters, facets, orders and
pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.catalog.schemas import ListingIn, SearchQuery, TranslationIn
from marketplace.catalog.search import SearchResult, search
from marketplace.catalog.search_matches import _first_kept
from marketplace.catalog.service import create_listing, set_translation
from marketplace.platform import Platform
from marketplace.validate import parse_form
from tests.conftest import Orgs

KEY = b"k" * 32
_n = itertools.count()


@pytest.fixture(params=["sqlite", "postgres"])
def plat(request) -> Platform:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        request.getfixturevalue("worker")
        return request.getfixturevalue("platform")
    return request.getfixturevalue("pg_platform")


def put(plat: Platform, exporter, texts: dict[str, tuple[str, str]], **fields: object) -> int:  # type: ignore[no-untyped-def]
    data = {
        "sku": f"S-{next(_n)}",
        "hs_code": "8482.10",
        "unit": "PCE",
        "moq": 100,
        "price_tiers": [{"min_quantity": 1, "unit_price": "10.00"}],
        "incoterms": [{"rule": "FOB", "place": "Hamburg"}],
        "translations": {loc: {"title": t, "description": d} for loc, (t, d) in texts.items()},
        **fields,
    }
    with plat.db.session() as s:
        return create_listing(s, s.merge(exporter), ListingIn.model_validate(data)).id


def find(
    plat: Platform, viewer: int | None = None, *, locale: str = "en", currency: str = "EUR", **args: str
) -> SearchResult:
    query = parse_form(SearchQuery, {k: str(v) for k, v in args.items()}, "en")
    with plat.db.session() as s:
        return search(s, query, viewer, plat.rates, locale, currency, KEY)


def ids(result: SearchResult) -> list[int]:
    return [v.listing.id for v in result.items]


def slug(plat: Platform, user) -> str:  # type: ignore[no-untyped-def]
    from marketplace.accounts.models import Organization

    with plat.db.session() as s:
        return s.get(Organization, user.organization_id).slug


def test_words_are_found_by_their_stem_in_every_translation(plat: Platform) -> None:
    exp = Orgs(plat).exporter()
    ex = slug(plat, exp)
    a = put(
        plat,
        exp,
        {"en": ("Deep groove ball bearing 6204", "Steel, sealed"), "de": ("Rillenkugellager", "Gehäuse aus Stahl")},
    )
    b = put(plat, exp, {"en": ("Copper cables", "By the metre"), "ja": ("銅ケーブル", "メートル単位")})
    c = put(plat, exp, {"zh": ("深沟球轴承", "钢制"), "en": ("Bearing housing", "")})
    assert set(ids(find(plat, q="bearings", exporter=ex))) == {a, c}
    assert ids(find(plat, q="cable", exporter=ex)) == [b]
    assert ids(find(plat, q="Gehäuses", lang="de", exporter=ex)) == [a]
    assert ids(find(plat, q="ケーブル", exporter=ex)) == [b]
    assert ids(find(plat, q="銅ケ", exporter=ex)) == [b]
    assert ids(find(plat, q="轴承", exporter=ex)) == [c]
    assert ids(find(plat, q="6204 steel", exporter=ex)) == [a]
    assert ids(find(plat, q="bear", exporter=ex)) != []  # the last word may be unfinished
    assert ids(find(plat, q="bearing copper", exporter=ex)) == []
    with plat.db.session() as s:
        set_translation(s, s.merge(exp), b, "de", TranslationIn(title="Kupferleitung", description=""))
    assert ids(find(plat, q="kupferleitungen", lang="de", exporter=ex)) == [b]


def test_filters_facets_and_currency(plat: Platform) -> None:
    exp = Orgs(plat).exporter()
    ex = slug(plat, exp)
    cheap = put(
        plat,
        exp,
        {"en": ("Valve", "")},
        origin="CN",
        moq=50,
        lead_time_days=10,
        hs_code="8481.80",
        price_tiers=[{"min_quantity": 1, "unit_price": "1.00"}],
        incoterms=[{"rule": "EXW", "place": "Ningbo"}],
    )
    mid = put(
        plat,
        exp,
        {"en": ("Valve", "")},
        origin="DE",
        moq=500,
        lead_time_days=30,
        price_tiers=[{"min_quantity": 1, "unit_price": "50.00"}],
    )
    dear = put(
        plat,
        exp,
        {"en": ("Valve", "")},
        origin="DE",
        moq=10,
        lead_time_days=60,
        hs_code="0902.10",
        price_tiers=[{"min_quantity": 1, "unit_price": "900.00"}],
        incoterms=[{"rule": "CIF", "place": "Kobe"}, {"rule": "EXW", "place": "Bremen"}],
    )
    assert set(ids(find(plat, exporter=ex, origin="DE"))) == {mid, dear}
    assert set(ids(find(plat, exporter=ex, hs="8481"))) == {cheap}
    assert set(ids(find(plat, exporter=ex, hs="84"))) == {cheap, mid}
    assert set(ids(find(plat, exporter=ex, incoterm="exw"))) == {cheap, dear}
    assert set(ids(find(plat, exporter=ex, moq_max=100))) == {cheap, dear}
    assert set(ids(find(plat, exporter=ex, lead_time_max=30))) == {cheap, mid}
    assert set(ids(find(plat, exporter=ex, category="XVI"))) == {cheap, mid}
    # 1,000 JPY is a few euros: only the 1 EUR valve is below it; the bounds are in the buyer's currency
    assert ids(find(plat, exporter=ex, currency="JPY", price_max="1000")) == [cheap]
    assert set(ids(find(plat, exporter=ex, currency="JPY", price_min="1000"))) == {mid, dear}
    result = find(plat, exporter=ex, origin="DE", incoterm="CIF")
    assert ids(result) == [dear]
    facets = {k: {f.code: f.count for f in v} for k, v in result.facets.items()}
    assert facets["origin"] == {"DE": 1}  # the origin facet counts without the origin filter: CIF only
    assert facets["incoterm"] == {"CIF": 1, "EXW": 1, "FOB": 1}  # without the Incoterm filter: both DE
    assert facets["category"] == {"II": 1}
    assert {f.code: f.count for f in find(plat, exporter=ex).facets["category"]} == {"XVI": 2, "II": 1}
    assert ids(find(plat, exporter=ex, sort="price")) == [cheap, mid, dear]
    assert ids(find(plat, exporter=ex, sort="lead_time")) == [cheap, mid, dear]
    assert ids(find(plat, exporter=ex, sort="newest")) == [dear, mid, cheap]


def test_pages_follow_each_other_without_gaps_or_repeats(plat: Platform) -> None:
    exp = Orgs(plat).exporter()
    ex = slug(plat, exp)
    made = {
        put(plat, exp, {"en": ("Flange bolt", "")}, price_tiers=[{"min_quantity": 1, "unit_price": f"{n % 3}.50"}])
        for n in range(7)
    }
    for sort in ("relevance", "price", "lead_time", "newest"):
        seen: list[int] = []
        cursor = None
        while True:
            page = find(plat, exporter=ex, q="bolts", sort=sort, limit=3, **({"cursor": cursor} if cursor else {}))
            seen += ids(page)
            cursor = page.next_cursor
            if not cursor:
                break
        assert sorted(seen) == sorted(made) and len(seen) == 7, sort


def test_only_published_listings_and_restricted_ones_for_their_audience(plat: Platform) -> None:
    orgs = Orgs(plat)
    exp, friend, other = orgs.exporter(), orgs.buyer(), orgs.buyer()
    ex = slug(plat, exp)
    public = put(plat, exp, {"en": ("Gasket", "")})
    put(plat, exp, {"en": ("Gasket", "")}, status="draft")
    put(plat, exp, {"en": ("Gasket", "")}, status="archived")
    secret = put(plat, exp, {"en": ("Gasket", "")}, visibility="restricted", audience=[slug(plat, friend)])
    assert ids(find(plat, None, exporter=ex, q="gasket")) == [public]
    assert ids(find(plat, other.organization_id, exporter=ex, q="gasket")) == [public]
    assert set(ids(find(plat, friend.organization_id, exporter=ex, q="gasket"))) == {public, secret}
    assert set(ids(find(plat, exp.organization_id, exporter=ex, q="gasket"))) == {public, secret}


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ("category=nope", "category"),
        ("incoterm=FOO", "incoterm"),
        ("currency=XXY", "currency"),
        ("origin=QQ", "origin"),
        ("moq_max=-1", "moq_max"),
        ("lead_time_max=abc", "lead_time_max"),
        ("price_max=1.5&currency=JPY", "price_max"),
        ("price_min=-3", "price_min"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=abc", "cursor"),
        ("hs=84a", "hs"),
        ("sort=cheapest", "sort"),
        ("exporter=nobody-here", "exporter"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(client, args: str, field: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/listings?{args}")
    assert response.status_code == 400, response.json
    assert response.json["error"]["field"] == field


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("price_min=-5", "price_min must be at least 0"),
        ("price_max=-0.5", "price_max must be at least 0"),
        ("moq_max=99999999999999999999999999", "moq_max must be at most 2147483647"),
        ("lead_time_max=99999999999999999999", "lead_time_max must be at most"),
        ("price_min=abc", 'price_min must be a decimal number written as text, such as "12.50"'),
    ],
)
def test_a_number_out_of_range_is_refused_as_such_not_as_not_a_number(client, args: str, message: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/listings?{args}")
    assert response.status_code == 400 and response.json["error"]["message"].startswith(message), response.json


def test_a_tampered_cursor_is_refused(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exp = orgs.exporter()
    ex = slug(platform, exp)
    for _ in range(3):
        put(platform, exp, {"en": ("Washer", "")})
    first = client.get(f"/api/v1/listings?exporter={ex}&limit=2&sort=price").json
    assert len(first["items"]) == 2 and first["next"]
    second = client.get(f"/api/v1/listings?exporter={ex}&limit=2&sort=price&cursor={first['next']}").json
    assert len(second["items"]) == 1 and second["next"] is None
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})
    forged = first["next"][:-2] + ("AA" if not first["next"].endswith("AA") else "BB")
    assert client.get(f"/api/v1/listings?exporter={ex}&cursor={forged}").status_code == 400
    assert client.get(f"/api/v1/listings?exporter={ex}&sort=newest&cursor={first['next']}").status_code == 400


def test_api_answers_items_facets_and_next_in_the_callers_currency(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exp = orgs.exporter()
    ex = slug(platform, exp)
    put(platform, exp, {"en": ("Roller chain", "")})
    body = client.get(f"/api/v1/listings?q=chains&exporter={ex}&currency=JPY").json
    assert set(body) == {"items", "facets", "next", "total", "hs_from_q"}
    item = body["items"][0]
    assert item["exporter"]["slug"] == ex and item["local_price"]["currency"] == "JPY"
    assert item["fx"]["source"].startswith("ECB")
    assert body["facets"]["category"][0]["code"] == "XVI"
    spec = client.get("/api/v1/openapi.json").json
    params = {p["name"] for p in spec["paths"]["/listings"]["get"]["parameters"]}
    assert {"q", "category", "price_min", "cursor", "lang"} <= params


@pytest.mark.parametrize("lang", ["en", "de", "ja"])
def test_search_page_renders_with_filters(client, platform, orgs: Orgs, lang: str) -> None:  # type: ignore[no-untyped-def]
    exp = orgs.exporter()
    ex = slug(platform, exp)
    put(platform, exp, {"en": ("Spindle nut", "")})
    page = client.get(f"/listings/?q=spindle&exporter={ex}&origin=DE&sort=price&lang={lang}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Spindle nut" in html and f"/s/{ex}" in html
    assert client.get(f"/listings/?moq_max=-4&lang={lang}").status_code == 400


def test_prices_beyond_the_reference_range_are_kept_and_searched_not_a_500(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    """Trillions of euros overflow a BIGINT of millionths: such prices are kept, sort last and filter as the
    highest reference price; bounds that large are answered, not a server error."""
    exp = orgs.exporter()
    ex = slug(platform, exp)
    huge = put(
        platform, exp, {"en": ("Cargo ship", "")}, price_tiers=[{"min_quantity": 1, "unit_price": "9999999999999.99"}]
    )
    small = put(platform, exp, {"en": ("Cargo net", "")})
    by_price = client.get(f"/api/v1/listings?exporter={ex}&sort=price").json["items"]
    assert [i["id"] for i in by_price] == [small, huge]
    for args in ("price_max=9223372036854.78", "price_min=999999999999999", "price_max=999999999999999&currency=JPY"):
        assert client.get(f"/api/v1/listings?exporter={ex}&{args}").status_code == 200, args
        assert client.get(f"/listings/?exporter={ex}&{args}").status_code == 200, args
    cheap = client.get(f"/api/v1/listings?exporter={ex}&price_max=100").json["items"]
    assert [i["id"] for i in cheap] == [small]


def test_unfinished_words_and_german_compounds_are_found(plat: Platform) -> None:
    exp = Orgs(plat).exporter()
    ex = slug(plat, exp)
    groove = put(plat, exp, {"de": ("Rillenkugellager 6204", "Edelstahlrohr als Gehäuse")})
    plain = put(plat, exp, {"de": ("Kugellager 6305", "")})
    other = put(plat, exp, {"en": ("Bearing housing", "")})
    assert set(ids(find(plat, q="Kugellager", lang="de", exporter=ex))) == {groove, plain}
    assert set(ids(find(plat, q="lager", lang="de", exporter=ex))) == {groove, plain}
    assert ids(find(plat, q="rohr", lang="de", exporter=ex)) == [groove]
    for typed in ("beari", "bearin", "bearing"):  # past the stem "bear", still being typed
        assert ids(find(plat, q=typed, exporter=ex)) == [other], typed
    assert ids(find(plat, q="rillen", lang="de", exporter=ex)) == [groove]
    assert set(ids(find(plat, q="Kugel", lang="de", exporter=ex))) == {groove, plain}  # a word being typed


def test_relevance_puts_title_matches_first_then_newest(plat: Platform) -> None:
    exp = Orgs(plat).exporter()
    ex = slug(plat, exp)
    in_title = put(plat, exp, {"en": ("Ball valve DN50", "")})
    in_body = put(plat, exp, {"en": ("Pipe fitting", "Fits any ball valve")})
    newer_title = put(plat, exp, {"en": ("Ball valve DN80", "")})
    result = find(plat, q="ball valve", exporter=ex)
    assert ids(result) == [newer_title, in_title, in_body]
    assert result.total == 3
    first = find(plat, q="ball valve", exporter=ex, limit=2)
    assert ids(first) == [newer_title, in_title] and first.total == 3
    assert ids(find(plat, q="ball valve", exporter=ex, limit=2, cursor=first.next_cursor)) == [in_body]


def _elsewhere(plat: Platform, exporter, title: str) -> int:  # type: ignore[no-untyped-def]
    """A listing created through another engine on the same database: another web process."""
    from marketplace.db import Database

    elsewhere = Database(plat.config.database_url)
    try:
        with elsewhere.session() as s:
            data = ListingIn.model_validate(
                {
                    "sku": f"S-{next(_n)}",
                    "hs_code": "7326.90",
                    "unit": "PCE",
                    "moq": 10,
                    "price_tiers": [{"min_quantity": 1, "unit_price": "1.00"}],
                    "incoterms": [{"rule": "FOB", "place": "Hamburg"}],
                    "translations": {"en": {"title": title, "description": ""}},
                }
            )
            return create_listing(s, s.merge(exporter), data).id
    finally:
        elsewhere.dispose()


def _counting(monkeypatch) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """How many times a search read its words' matches in full, and brought kept ones up to date."""
    import marketplace.catalog.search as searching
    import marketplace.catalog.search_matches as matching

    calls = {"read": 0, "refreshed": 0}
    fetch, refresh = searching.fetch_matches, searching.refresh_matches

    def read(*args):  # type: ignore[no-untyped-def]
        calls["read"] += 1
        return fetch(*args)

    def refreshed(*args):  # type: ignore[no-untyped-def]
        calls["refreshed"] += 1
        return refresh(*args)

    for module in (searching, matching):
        monkeypatch.setattr(module, "fetch_matches", read)
    monkeypatch.setattr(searching, "refresh_matches", refreshed)
    return calls


def test_matches_are_kept_until_the_catalog_clock_moves(plat: Platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A search's matches are read once and kept: a write through this process shows at once; one through
    another process shows once FRESH_SECONDS have passed, because its commit moved the catalog clock; a
    change that did not move the clock does not show until then. On PostgreSQL kept matches are brought
    up to date from the rows written since, not read again."""
    from marketplace.catalog import search_cache

    calls = _counting(monkeypatch)
    exp = Orgs(plat).exporter()
    ex = slug(plat, exp)
    first = put(plat, exp, {"en": ("Hose clamp", "")})
    assert find(plat, q="clamp", exporter=ex).total == 1
    assert find(plat, q="clamp", exporter=ex, sort="price").total == 1 and calls["read"] == 1  # kept
    second = _elsewhere(plat, exp, "Hose clamp, wide")
    assert ids(find(plat, q="clamp", exporter=ex)) == [first] and calls["read"] == 1  # within FRESH_SECONDS
    monkeypatch.setattr(search_cache, "FRESH_SECONDS", 0.0)
    seen = find(plat, q="clamp", exporter=ex)
    assert set(ids(seen)) == {first, second} and seen.total == 2
    postgres = plat.db.engine.dialect.name == "postgresql"
    assert calls == ({"read": 1, "refreshed": 1} if postgres else {"read": 2, "refreshed": 1})
    assert find(plat, q="clamp", exporter=ex).total == 2 and sum(calls.values()) == 2 + (not postgres)  # unchanged
    with plat.db.engine.begin() as c:  # a change that bypasses the writers: the clock stays
        c.exec_driver_sql(f"UPDATE listing_search SET moq = 999999 WHERE listing_id = {second}")
    assert find(plat, q="clamp", exporter=ex, moq_max=1000).total == 2
    third = put(plat, exp, {"en": ("Hose clamp, narrow", "")})  # a write through this process
    again = find(plat, q="clamp", exporter=ex)
    assert set(ids(again)) == {first, second, third} and again.total == 3
    assert calls["read"] == (1 if postgres else 3)


def test_one_reading_of_the_clock_serves_every_kept_search(plat: Platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Once FRESH_SECONDS have passed, the first search reads the catalog clock; the others, of other words,
    take that reading while it is fresh: not one round trip per kept entry. A change elsewhere still shows
    once the reading is older than FRESH_SECONDS."""
    import time

    from sqlalchemy import event

    from marketplace.catalog import search_cache

    exp = Orgs(plat).exporter()
    ex = slug(plat, exp)
    words = ["clamp", "valve", "hinge", "bolt"]
    for word in words:
        put(plat, exp, {"en": (f"Steel {word}", "")})
        assert find(plat, q=word, exporter=ex).total == 1
    readings: list[str] = []

    def seen(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if "catalog_clock" in statement:
            readings.append(statement)

    event.listen(plat.db.engine, "before_cursor_execute", seen)
    try:
        monkeypatch.setattr(search_cache, "FRESH_SECONDS", 0.5)
        time.sleep(0.6)
        for word in words:
            assert find(plat, q=word, exporter=ex).total == 1
        assert len(readings) == 1
        _elsewhere(plat, exp, "Steel clamp, wide")
        assert find(plat, q="clamp", exporter=ex).total == 1 and len(readings) == 1  # the reading is fresh
        time.sleep(0.6)
        assert find(plat, q="clamp", exporter=ex).total == 2 and len(readings) == 2
    finally:
        event.remove(plat.db.engine, "before_cursor_execute", seen)


def test_kept_matches_brought_up_to_date_are_what_a_new_process_reads(plat: Platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Listings archived, reworded out of the words, reworded into them and added in another process: the
    kept matches, brought up to date, give the results and counts a process reading afresh gives."""
    from marketplace.catalog import search_cache
    from marketplace.catalog.schemas import ListingIn as In
    from marketplace.catalog.service import listing_data, update_listing
    from marketplace.db import Database

    exp = Orgs(plat).exporter()
    ex = slug(plat, exp)
    kept = [put(plat, exp, {"en": (f"Chain sprocket {n}", "")}, origin="DE" if n % 2 else "IT") for n in range(4)]
    other = put(plat, exp, {"en": ("Roller chain", "")})
    before = find(plat, q="sprocket", exporter=ex)
    assert before.total == 4
    elsewhere = Database(plat.config.database_url)
    try:
        with elsewhere.session() as s:
            user = s.merge(exp)

            def change(listing_id: int, **changes: object) -> None:
                from marketplace.catalog.models import Listing

                data = listing_data(s.get(Listing, listing_id)) | changes
                update_listing(s, user, listing_id, In.model_validate(data))

            change(kept[0], status="archived")
            change(kept[1], translations={"en": {"title": "Chain guard", "description": ""}})
            change(other, translations={"en": {"title": "Roller chain with sprocket", "description": ""}})
        added = _elsewhere(plat, exp, "Sprocket hub")
    finally:
        elsewhere.dispose()
    monkeypatch.setattr(search_cache, "FRESH_SECONDS", 0.0)
    for args in ({}, {"origin": "DE"}, {"sort": "price"}):
        now = find(plat, q="sprocket", exporter=ex, **args)
        fresh = Database(plat.config.database_url)  # another engine: nothing kept
        try:
            with fresh.session() as s:
                query = parse_form(SearchQuery, {"q": "sprocket", "exporter": ex, **args}, "en")
                anew = search(s, query, None, plat.rates, "en", "EUR", KEY)
        finally:
            fresh.dispose()
        assert ids(now) == ids(anew) and now.total == anew.total and now.facets_json("en") == anew.facets_json("en")
    assert set(ids(find(plat, q="sprocket", exporter=ex))) == {kept[2], kept[3], other, added}


def test_requests_missing_the_same_words_at_once_read_them_once(plat: Platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Threads that search the same new words at the same moment wait for one read of their matches."""
    import threading
    import time

    import marketplace.catalog.search as searching

    reads: list[int] = []
    fetch = searching.fetch_matches

    def slow(*args):  # type: ignore[no-untyped-def]
        reads.append(1)
        time.sleep(0.3)
        return fetch(*args)

    monkeypatch.setattr(searching, "fetch_matches", slow)
    exp = Orgs(plat).exporter()
    ex = slug(plat, exp)
    made = put(plat, exp, {"en": ("Worm gear", "")})
    start = threading.Barrier(4)
    found: list[list[int]] = []

    def one() -> None:
        start.wait()
        found.append(ids(find(plat, q="worm gear", exporter=ex)))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == [[made]] * 4 and len(reads) == 1


def test_word_pages_follow_the_databases_order_in_every_sort(plat: Platform) -> None:
    """Pages of a word's matches, ordered in memory, are the listings in the order the search table's
    indexes give (title matches first for relevance), each once, across cursors."""
    from sqlalchemy import select

    from marketplace.catalog.models import ListingSearch as S

    exp = Orgs(plat).exporter()
    ex = slug(plat, exp)
    in_title, in_body = [], []
    for n in range(9):
        texts = {"en": (f"Flange {n}", "")} if n % 3 else {"en": ("Gasket", f"fits flange {n}")}
        tiers = [{"min_quantity": 1, "unit_price": f"{(n * 7) % 5 + 1}.00"}]
        made = put(plat, exp, texts, price_tiers=tiers, lead_time_days=(n * 5) % 4 + 1)
        (in_title if n % 3 else in_body).append(made)
    put(plat, exp, {"en": ("Hose", "")})

    def pages(sort: str) -> list[int]:
        seen: list[int] = []
        cursor = None
        while True:
            args = {"q": "flange", "sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = find(plat, exporter=ex, **args)
            seen += ids(page)
            cursor = page.next_cursor
            if not cursor:
                return seen

    def ordered(among: list[int], *order) -> list[int]:  # type: ignore[no-untyped-def]
        with plat.db.session() as s:
            return list(s.scalars(select(S.listing_id).where(S.listing_id.in_(among)).order_by(*order)))

    newest = (S.published_us.desc(), S.listing_id.desc())
    assert pages("relevance") == ordered(in_title, *newest) + ordered(in_body, *newest)
    everything = in_title + in_body
    assert pages("newest") == ordered(everything, *newest)
    assert pages("price") == ordered(everything, S.price_eur_micro, S.listing_id)
    assert pages("lead_time") == ordered(everything, S.lead_time_days, S.listing_id)
    assert len(set(pages("price"))) == 9


def test_words_stemmed_by_two_threads_at_once_get_their_own_stems() -> None:
    """An import job indexes while requests search: a stemmer keeps the word it works on, so each thread has
    its own (a shared one mixed up words, and sometimes failed with an IndexError)."""
    import sys
    import threading

    from marketplace.catalog.textsearch import _word_terms

    stems = ["rillenkugellager", "kugellagern", "edelstahlrohre", "sechskantschrauben", "baumwollgarne"]
    words = [stems[n % len(stems)] for n in range(5_000)]
    expected = {w: _word_terms(w, "de") for w in stems}
    wrong: list[str] = []

    def stem(part: list[str]) -> None:
        try:
            wrong.extend(w for w in part if _word_terms(w, "de") != expected[w])
        except Exception as exc:
            wrong.append(repr(exc))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=stem, args=(words[i::2],)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert wrong == []


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(0, 5000),
    density=st.floats(0, 1),
    wanted=st.integers(1, 120),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_page_is_the_first_kept_matches_in_order(size: int, density: float, wanted: int, seed: int) -> None:
    """A page looks at a growing window of the order, not at every match: the same listings as looking at all."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(size).astype(np.int32)
    kept = rng.random(size) < density
    assert _first_kept(order, kept, wanted).tolist() == order[kept[order]][:wanted].tolist()
