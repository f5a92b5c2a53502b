"""Malformed requests on every API route: each gets a 4xx with the error JSON and writes no row.

The explicit cases are those both trial reports found as 500s; Hypothesis adds bad values for every
field of every request body (wrong types, out of range, too long, control characters, non-ASCII digits,
unknown and missing fields) and bad query strings. The battery runs on SQLite and on PostgreSQL (where
varchar sizes, integer ranges and NUL were the 500s)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ledger.store import metadata
from marketplace.platform import Platform
from marketplace.pricing.money import AMOUNT
from tests.conftest import Orgs
from tests.marketplace import flow
from tests.marketplace.test_api import token

GENERATED = 150
BIG_IDS = ("0", "2147483648", "99999999999999999999", "٣", "１２", "-1", "1.5", "abc", "1e3")
HASH = "0x" + "ab" * 32
REQUIRED = {
    "listing": ("sku", "hs_code", "moq", "incoterms", "price_tiers", "translations"),
    "rfq": ("listing_id", "quantity"),
    "ship": ("document_hash",),
    "dispute": ("evidence_hash",),
    "settlement": ("buyer_amount",),
    "ruling": ("buyer_amount",),
}


@dataclass
class World:
    """Tokens of each party and the ids of a listing, an open RFQ with a quote, and a trade."""

    seller: dict[str, str]
    buyer: dict[str, str]
    desk: dict[str, str]
    listing: int
    rfq: int
    quote: int
    trade: int
    sent: list[str] = field(default_factory=list)


def make_world(app: Any, platform: Platform) -> World:
    orgs = Orgs(platform)
    exporter, buyer, desk = orgs.exporter(), orgs.buyer(), orgs.make("arbiter", locale="en", currency="USD")
    client = app.test_client()
    trade_id = flow.accepted(platform, exporter, buyer, sku="FUZZ-T")
    quote_id = flow.quote(platform, exporter, buyer, sku="FUZZ-Q")
    from marketplace.rfq.models import Quote

    with platform.db.session() as s:
        quote = s.get(Quote, quote_id)
        rfq_id, listing_id = quote.rfq_id, quote.rfq.listing_id
    tokens = token(client, exporter), token(client, buyer), token(client, desk)
    return World(*tokens, listing=listing_id, rfq=rfq_id, quote=quote_id, trade=trade_id)


def row_counts(platform: Platform) -> dict[str, int]:
    with platform.db.session() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in metadata.sorted_tables}


# -- the request bodies, valid, and what each field must be ------------------------------------------


def bodies(w: World) -> dict[str, tuple[str, dict[str, str], dict[str, Any], dict[str, str]]]:
    """route name -> (path, headers, a valid body, field -> kind)."""
    listing = {
        "sku": "FUZZ-NEW",
        "category": "XVI",
        "hs_code": "8482.10",
        "origin": "DE",
        "unit": "PCE",
        "moq": 10,
        "stock": 100,
        "incoterms": [{"rule": "FOB", "place": "Hamburg"}],
        "price_tiers": [{"min_quantity": 1, "unit_price": "3.50"}],
        "currency": "EUR",
        "lead_time_days": 30,
        "status": "published",
        "visibility": "public",
        "source_locale": "en",
        "translations": {"en": {"title": "Bearing", "description": "steel"}},
    }
    quote = {
        "unit_price": "1.05",
        "quantity": 500,
        "incoterm": "CIF",
        "incoterm_place": "Kobe",
        "lead_time_days": 20,
        "valid_days": 14,
        "note": "n",
        "payment_schedule": "30/70",
    }
    trade = f"/api/v1/trades/{w.trade}"
    return {
        "listing": (
            "/api/v1/listings",
            w.seller,
            listing,
            {
                "sku": "text64",
                "category": "category",
                "hs_code": "hs",
                "origin": "country",
                "unit": "unit",
                "moq": "int",
                "stock": "stock",
                "incoterms": "offers",
                "price_tiers": "tiers",
                "currency": "currency",
                "status": "status",
                "visibility": "visibility",
                "audience": "audience",
                "lead_time_days": "days3650",
                "translations": "translations",
            },
        ),
        "rfq": (
            "/api/v1/rfqs",
            w.buyer,
            {"listing_id": w.listing, "quantity": 500, "message": "m"},
            {"listing_id": "int", "quantity": "int", "message": "long"},
        ),
        "quote": (
            f"/api/v1/rfqs/{w.rfq}/quotes",
            w.seller,
            quote,
            {
                "unit_price": "amount",
                "quantity": "int",
                "incoterm": "incoterm",
                "incoterm_place": "text100",
                "lead_time_days": "days3650",
                "valid_days": "days365",
                "note": "long",
                "payment_schedule": "schedule",
            },
        ),
        "ship": (f"{trade}/ship", w.seller, {"document_hash": HASH}, {"document_hash": "hash"}),
        "dispute": (f"{trade}/dispute", w.buyer, {"evidence_hash": HASH}, {"evidence_hash": "hash"}),
        "settlement": (f"{trade}/settlement", w.buyer, {"buyer_amount": "1.00"}, {"buyer_amount": "amount"}),
        "ruling": (f"{trade}/ruling", w.desk, {"buyer_amount": "1.00"}, {"buyer_amount": "amount"}),
    }


def _spliced(*bad: str) -> st.SearchStrategy[str]:
    return st.builds(lambda a, c, b: a + c + b, st.text(max_size=4), st.sampled_from(bad), st.text(max_size=4))


NOT_TEXT = st.one_of(st.booleans(), st.integers(), st.floats(), st.lists(st.integers(), max_size=2), st.just({"a": 1}))
NOT_INT = st.one_of(
    st.booleans(),
    st.floats(),
    st.text(max_size=12),
    st.integers(min_value=2**31),
    st.integers(max_value=0),
    st.lists(st.integers(), max_size=2),
)
CONTROL = _spliced("\x00", "\x01", "\x1b", "\x7f", "\ud800", "\udfff")


def too_long(limit: int) -> st.SearchStrategy[str]:
    return st.builds(lambda c, n: c * n, st.sampled_from("xß漢"), st.integers(limit + 1, limit + 40))


def bad_text(limit: int) -> st.SearchStrategy[Any]:
    return st.one_of(NOT_TEXT, too_long(limit), CONTROL)


def bad_days(limit: int) -> st.SearchStrategy[Any]:
    return st.one_of(NOT_INT, st.integers(limit + 1, 2**40))


BAD_AMOUNT = st.one_of(
    st.integers(),
    st.floats(),
    st.booleans(),
    st.text(max_size=12).filter(lambda s: not AMOUNT.fullmatch(s.strip())),
    st.sampled_from(["1e30", "-1", "NaN", "Infinity", "١٢", "１２", "1_000", "12,50", "0x10", "9" * 16]),
)
BAD_KINDS: dict[str, st.SearchStrategy[Any]] = {
    "text64": st.one_of(bad_text(64), st.just("")),
    "text16": st.one_of(bad_text(16), st.just("")),
    "text100": bad_text(100),
    "schedule": st.one_of(bad_text(64), st.sampled_from(["30/60", "50", "x/y", "0/100", "1/1/1/1/1/1/94"])),
    "long": bad_text(10_000),
    "int": NOT_INT,
    "days365": bad_days(365),
    "days3650": bad_days(3650),
    "amount": BAD_AMOUNT,
    "hs": st.one_of(
        NOT_TEXT,
        st.text(max_size=14).filter(lambda s: not re.fullmatch(r"[0-9]{4}(\.?[0-9]{2}){0,3}", s.strip())),
        st.sampled_from(["٨٤٨٢.١٠", "８４８２", "8482.10.00.00.00", "8482", "0001.10", "7701.10", "9801.10"]),
    ),
    "country": st.one_of(NOT_TEXT, st.sampled_from(["", "ZZ", "DEU", "EU", "de1", "1"])),
    "unit": st.one_of(NOT_TEXT, st.sampled_from(["", "pc", "pieces", "XYZ", "KGMM"])),
    "category": st.one_of(NOT_TEXT, st.sampled_from(["", "XXII", "no-such-category"]), too_long(64)),
    "stock": st.one_of(st.booleans(), st.floats(), st.text(max_size=5), st.integers(max_value=-1), st.integers(2**31)),
    "status": st.one_of(NOT_TEXT, st.sampled_from(["", "deleted", "PUBLISHED "])),
    "visibility": st.one_of(NOT_TEXT, st.sampled_from(["", "private", "everyone"])),
    "audience": st.one_of(NOT_TEXT.filter(lambda v: v != []), st.just([123]), st.just(["no-such-buyer"])),
    "tiers": st.one_of(
        NOT_TEXT,
        st.just([]),
        st.just([{"min_quantity": 1}]),
        st.builds(lambda a: [{"min_quantity": 1, "unit_price": a}], BAD_AMOUNT),
        st.builds(lambda q: [{"min_quantity": q, "unit_price": "1.00"}], NOT_INT),
        st.just([{"min_quantity": 1, "unit_price": "1.00", "extra": 1}]),
    ),
    "offers": st.one_of(
        NOT_TEXT,
        st.just([]),
        st.just([{"rule": "FOB"}]),
        st.builds(
            lambda r: [{"rule": r, "place": "Kobe"}],
            st.text(max_size=5).filter(
                lambda s: (
                    s.strip().upper()
                    not in ("FOB", "CIF", "EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "CFR")
                )
            ),
        ),
        st.builds(lambda p: [{"rule": "FOB", "place": p}], st.one_of(bad_text(100), st.just(""))),
    ),
    "incoterm": st.one_of(NOT_TEXT, st.text(max_size=5).filter(lambda s: s.strip().upper() not in ("FOB", "CIF"))),
    "currency": st.one_of(NOT_TEXT, st.text(max_size=5).filter(lambda s: not re.fullmatch(r"[A-Za-z]{3}", s))),
    "hash": st.one_of(NOT_TEXT, st.text(max_size=70)),
    "translations": st.one_of(
        NOT_TEXT,
        st.just({"en": "text"}),
        st.just({}),
        st.just({"en": {"title": 123}}),
        st.just({"zz_ZZ": {"title": "x"}}),
        st.just({"de-": {"title": "x"}}),
        st.builds(lambda t: {"en": {"title": t}}, bad_text(200)),
        st.builds(lambda t: {"en": {"title": "x", "description": t}}, bad_text(10_000)),
    ),
}


# -- sending and checking -------------------------------------------------------------------------------


def check(response: Any, what: str) -> None:
    """A 4xx with the error JSON."""
    assert 400 <= response.status_code < 500, (what, response.status_code, response.get_data(as_text=True)[:300])
    error = response.get_json(silent=True)["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str) and "field" in error, what


def post_json(client: Any, path: str, headers: dict[str, str], payload: Any) -> Any:
    return client.post(path, headers={**headers, "Content-Type": "application/json"}, data=json.dumps(payload))


def explicit_cases(w: World) -> list[tuple[str, Callable[[Any], Any]]]:
    """The cases of the trial reports, and malformed bodies on every route that takes one."""
    routes = bodies(w)
    cases: list[tuple[str, Callable[[Any], Any]]] = []

    def field_case(route: str, key: str, value: Any) -> None:
        path, headers, valid, _ = routes[route]
        cases.append((f"{route}.{key}={value!r:.40}", lambda c: post_json(c, path, headers, {**valid, key: value})))

    def raw_case(name: str, path: str, headers: dict[str, str], data: bytes | str, content_type: str) -> None:
        cases.append((name, lambda c: c.post(path, headers={**headers, "Content-Type": content_type}, data=data)))

    for quantity in (3_000_000_000, 99999999999999999999999, 1e20, "500", 0, -5, True):
        field_case("rfq", "quantity", quantity)
    field_case("rfq", "listing_id", 2**63)
    field_case("rfq", "message", {"a": 1})
    field_case("rfq", "message", "x" * 1_000_000)
    for price in ("1e30", "1e1000", "99999999999999999999", 2.5, "٣", "１２", "1_000", 123, None, "0", "1.234"):
        field_case("listing", "price_tiers", [{"min_quantity": 1, "unit_price": price}])
    for key, value in (
        ("moq", 1e20),
        ("moq", 2**31),
        ("lead_time_days", 2**31),
        ("lead_time_days", 3651),
        ("sku", "S" * 500),
        ("sku", {"a": 1}),
        ("sku", "a\x00b"),
        ("sku", "\ud800"),
        ("unit", "u" * 200),
        ("incoterms", [{"rule": "FOB", "place": "p" * 101}]),
        ("incoterms", [{"rule": "FOB"}]),
        ("incoterms", "FOB Hamburg"),
        ("price_tiers", [{"min_quantity": 11, "unit_price": "1"}]),
        ("price_tiers", [{"min_quantity": 1, "unit_price": "1"}] * 2),
        ("category", "XXII"),
        ("origin", "ZZ"),
        ("audience", ["x"] * 500),
        ("currency", 123),
        ("currency", ["EUR"]),
        ("currency", "ZZZ"),
        ("hs_code", "٨٤٨٢.١٠"),
        ("hs_code", "８４８２"),
        ("translations", {"en": "text"}),
        ("translations", {"en": {"title": 123}}),
        ("translations", {"en": {"title": "t" * 100_000}}),
        ("translations", {"en": {"title": "x", "description": "d" * 1_000_000}}),
        ("translations", {"l" * 17: {"title": "x"}}),
        ("translations", {"en": {"title": "a\x00"}}),
        ("title", 123),
    ):
        field_case("listing", key, value)
    for key, value in (
        ("valid_days", 10**9),
        ("valid_days", 366),
        ("unit_price", "1e1000"),
        ("unit_price", 1.05),
        ("quantity", 2**31),
        ("note", "n" * 10_001),
        ("payment_schedule", "x" * 65),
        ("payment_schedule", "30/60"),
    ):
        field_case("quote", key, value)
    field_case("ship", "document_hash", "0x12")
    field_case("dispute", "evidence_hash", 12)
    field_case("settlement", "buyer_amount", "1e1000")
    field_case("ruling", "buyer_amount", -1)

    raw_case("listing price 1e1000 as a JSON number", *routes["listing"][:2], b'{"price": 1e1000}', "application/json")
    for route, (path, headers, valid, _) in routes.items():
        for name, data in (
            ("not JSON", b"{not json"),
            ("a JSON array", b"[1, 2]"),
            ("a JSON string", b'"text"'),
            ("empty", b""),
            ("deep", b"[" * 100_000 + b"]" * 100_000),
            ("2 MB", json.dumps({**valid, "pad": "x" * 2_000_000}).encode()),
            ("invalid UTF-8", b'{"a": "\xff\xfe"}'),
        ):
            raw_case(f"{route}: {name}", path, headers, data, "application/json")
        valid_json = json.dumps(valid)
        raw_case(f"{route}: valid JSON as text/plain", path, headers, valid_json, "text/plain")
        raw_case(f"{route}: no content type", path, headers, valid_json, "")
        form = "&".join(f"{k}={v}" for k, v in valid.items() if not isinstance(v, dict))
        raw_case(f"{route}: form-encoded", path, headers, form, "application/x-www-form-urlencoded")
        extra = {**valid, "a": 1}
        cases.append((f"{route}: unknown field", lambda c, p=path, h=headers, v=extra: post_json(c, p, h, v)))
        cases.append((f"{route}: without a token", lambda c, p=path, v=valid: post_json(c, p, {}, v)))
        cases.append(
            (f"{route}: a forged token", lambda c, p=path, v=valid: post_json(c, p, {"Authorization": "Bearer x"}, v))
        )
        for key in REQUIRED.get(route, ()):
            cases.append(
                (
                    f"{route}: without {key}",
                    lambda c, p=path, h=headers, v=valid, k=key: post_json(
                        c, p, h, {x: y for x, y in v.items() if x != k}
                    ),
                )
            )

    for query in ("locale=zz_ZZ", "locale=!!", "locale=de-", "locale=" + "x" * 300, "currency=123", "currency=€€€"):
        cases.append((f"listings?{query}", lambda c, q=query: c.get(f"/api/v1/listings?{query_of(q)}")))
    for bad in BIG_IDS:
        for method, path, headers in (
            ("get", f"/api/v1/listings/{bad}", {}),
            ("get", f"/api/v1/rfqs/{bad}", w.buyer),
            ("post", f"/api/v1/rfqs/{bad}/quotes", w.seller),
            ("post", f"/api/v1/quotes/{bad}/accept", w.buyer),
            ("get", f"/api/v1/trades/{bad}", w.buyer),
            ("post", f"/api/v1/trades/{bad}/fund", w.buyer),
            ("post", f"/api/v1/trades/{bad}/release", w.buyer),
            ("post", f"/api/v1/trades/{bad}/refund", w.seller),
            ("post", f"/api/v1/trades/{bad}/settlement/accept", w.seller),
            ("post", f"/api/v1/trades/{w.trade}/milestones/{bad}/release", w.buyer),
            ("get", f"/api/v1/trades/{bad}/bundle", w.buyer),
            ("get", f"/api/v1/trades/{bad}/documents/1", w.buyer),
            ("get", f"/api/v1/trades/{w.trade}/documents/{bad}", w.buyer),
            ("delete", f"/api/v1/tokens/{bad}", w.buyer),
        ):
            cases.append((f"{method} {path}", lambda c, m=method, p=path, h=headers: getattr(c, m)(p, headers=h)))
    for name, payload in (
        ("token: email as a number", {"email": 123, "password": "x"}),
        ("token: NUL in the email", {"email": "a\x00@example.com", "password": "x"}),
        ("token: days out of range", {"email": "a@example.com", "password": "x", "days": 10**9}),
        ("token: name too long", {"email": "a@example.com", "password": "x", "name": "n" * 101}),
    ):
        cases.append((name, lambda c, p=payload: post_json(c, "/api/v1/tokens", {}, p)))
    cases.append(("token list with a forged token", lambda c: c.get("/api/v1/tokens", headers={"Authorization": "x"})))
    cases.append(("GET on a POST route", lambda c: c.get("/api/v1/rfqs", headers=w.buyer)))
    cases.append(("PUT on a listing", lambda c: c.put(f"/api/v1/listings/{w.listing}", headers=w.seller)))
    return cases


def query_of(pair: str) -> str:
    from urllib.parse import quote

    key, _, value = pair.partition("=")
    return f"{key}={quote(value)}"


def run_battery(app: Any, platform: Platform) -> int:
    """Send every explicit case and GENERATED Hypothesis cases; returns how many requests were sent."""
    w = make_world(app, platform)
    client = app.test_client()
    before = row_counts(platform)
    cases = explicit_cases(w)
    for what, send in cases:
        check(send(client), what)
    assert row_counts(platform) == before, "an explicit case wrote a row"

    routes = bodies(w)
    sent = [len(cases)]

    @settings(
        max_examples=GENERATED,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def generated(data: st.DataObject) -> None:
        route = data.draw(st.sampled_from(sorted(routes)), label="route")
        path, headers, valid, kinds = routes[route]
        key = data.draw(st.sampled_from(sorted(kinds)), label="field")
        value = data.draw(BAD_KINDS[kinds[key]], label="value")
        check(post_json(client, path, headers, {**valid, key: value}), f"{route}.{key}={value!r:.60}")
        sent[0] += 1

    generated()

    @settings(max_examples=30, deadline=None, database=None)
    @given(locale=st.text(max_size=20), currency=st.text(max_size=6))
    def queries(locale: str, currency: str) -> None:
        from pydantic import ValidationError

        from marketplace.catalog.schemas import ViewerQuery

        try:
            ViewerQuery.model_validate({"locale": locale, "currency": currency})
        except ValidationError:
            check(client.get("/api/v1/listings", query_string={"locale": locale, "currency": currency}), locale)
            sent[0] += 1

    queries()
    assert row_counts(platform) == before, "a generated case wrote a row"
    return sent[0]


def test_malformed_requests_on_sqlite(app, platform) -> None:  # type: ignore[no-untyped-def]
    assert run_battery(app, platform) >= 150 + 100


def test_malformed_requests_on_postgres(pg_app, pg_platform) -> None:  # type: ignore[no-untyped-def]
    assert run_battery(pg_app, pg_platform) >= 150 + 100
