"""The exporter's catalog API: replacing a listing, its translations, its own listings in every state, the
category tree; every refusal a 4xx that changes nothing; and every /api/v1 route in the OpenAPI document."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.catalog.categories import add_category
from marketplace.catalog.models import Category, Listing
from marketplace.catalog.service import listing_data
from tests.conftest import Orgs, org_of
from tests.marketplace import flow
from tests.marketplace.test_api import token


def _body(**fields: object) -> dict[str, object]:
    return flow.listing_in(**fields).model_dump(mode="json")


def _stored(platform, listing_id: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    with platform.db.session() as s:
        return listing_data(s.get(Listing, listing_id))


def test_put_replaces_a_listing_and_keeps_unchanged_children(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    h = token(client, exporter)
    listing_id = flow.listing(platform, exporter, sku="PUT-1")
    with platform.db.session() as s:
        tier_id = s.get(Listing, listing_id).tiers[0].id
    body = _body(
        sku="PUT-1",
        price_tiers=[{"min_quantity": 1, "unit_price": "1.25"}, {"min_quantity": 500, "unit_price": "1.10"}],
    )
    response = client.put(f"/api/v1/listings/{listing_id}", json=body, headers=h)
    assert response.status_code == 200, response.json
    assert [t["min_quantity"] for t in response.json["price_tiers"]] == [1, 500]
    with platform.db.session() as s:
        tiers = s.get(Listing, listing_id).tiers
        assert tiers[0].id == tier_id  # the first tier is the same row
        assert [str(t.unit_price_minor) for t in tiers] == ["125", "110"]
    # a new price at the same quantity, and the offers in another order: rows change in place
    offers = [{"rule": "FOB", "place": "Hamburg"}, {"rule": "CIF", "place": "Yokohama"}]
    body = _body(sku="PUT-1", price_tiers=[{"min_quantity": 1, "unit_price": "1.30"}], incoterms=offers[1:])
    assert client.put(f"/api/v1/listings/{listing_id}", json=body, headers=h).status_code == 200
    body = _body(sku="PUT-1", price_tiers=[{"min_quantity": 1, "unit_price": "1.30"}], incoterms=offers)
    response = client.put(f"/api/v1/listings/{listing_id}", json=body, headers=h)
    assert response.status_code == 200, response.json
    assert response.json["incoterms"] == offers
    with platform.db.session() as s:
        listing = s.get(Listing, listing_id)
        assert [(t.id, t.unit_price_minor) for t in listing.tiers] == [(tier_id, 130)]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"moq": "100"}, "moq"),
        ({"price_tiers": [{"min_quantity": 1, "unit_price": "1.255"}]}, "price_tiers.0.unit_price"),
        ({"category": "no-such-category"}, "category"),
        ({"incoterms": [{"rule": "XYZ", "place": "Hamburg"}]}, "incoterms.0.rule"),
        ({"currency": "ABC"}, "currency"),
        ({"unit": "pieces"}, "unit"),
        ({"audience": ["nobody-here"], "visibility": "restricted"}, "audience"),
    ],
)
def test_put_refuses_bad_input_and_writes_nothing(client, platform, orgs: Orgs, change, field) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    h = token(client, exporter)
    listing_id = flow.listing(platform, exporter, sku="BAD-1")
    before = _stored(platform, listing_id)
    body = {**_body(sku="BAD-1", moq=5), **change}
    response = client.put(f"/api/v1/listings/{listing_id}", json=body, headers=h)
    assert response.status_code == 400, response.json
    assert response.json["error"]["field"] == field
    assert _stored(platform, listing_id) == before


def test_put_is_for_the_owner_only(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    owner, other, buyer = orgs.exporter(), orgs.exporter(), orgs.buyer()
    listing_id = flow.listing(platform, owner, sku="OWN-1")
    body = _body(sku="OWN-1")
    assert client.put(f"/api/v1/listings/{listing_id}", json=body, headers=token(client, other)).status_code == 404
    assert client.put(f"/api/v1/listings/{listing_id}", json=body, headers=token(client, buyer)).status_code == 403
    assert client.put(f"/api/v1/listings/{listing_id}", json=body).status_code == 401


def test_translations_over_the_api(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer(locale="fr")
    h = token(client, exporter)
    listing_id = flow.listing(platform, exporter, sku="TR-1")
    shown = client.get(f"/api/v1/listings/{listing_id}?locale=fr").json
    assert shown["fallback"] is True and shown["locale"] == "de"  # the exporter's source language
    text = {"title": "Câble cuivre 3x2,5", "description": "Au mètre"}
    response = client.put(f"/api/v1/listings/{listing_id}/translations/fr-FR", json=text, headers=h)
    assert response.status_code == 200, response.json
    shown = client.get(f"/api/v1/listings/{listing_id}", headers=token(client, buyer)).json
    assert (shown["title"], shown["locale"], shown["fallback"]) == ("Câble cuivre 3x2,5", "fr_FR", False)
    assert (
        client.put(f"/api/v1/listings/{listing_id}/translations/fr_FR", json={"title": ""}, headers=h).status_code
        == 400
    )
    bad = client.put(f"/api/v1/listings/{listing_id}/translations/xx-nope!", json=text, headers=h)
    assert bad.status_code == 400 and bad.json["error"]["field"] == "locale"
    assert client.delete(f"/api/v1/listings/{listing_id}/translations/fr_FR", headers=h).status_code == 200
    assert client.delete(f"/api/v1/listings/{listing_id}/translations/fr_FR", headers=h).status_code == 404
    source = client.delete(f"/api/v1/listings/{listing_id}/translations/de", headers=h)
    assert source.status_code == 409  # the source language stays
    assert set(_stored(platform, listing_id)["translations"]) == {"en", "de"}


def test_my_listings_in_every_state(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, other = orgs.exporter(), orgs.exporter()
    h = token(client, exporter)
    for sku, status in (("M-1", "draft"), ("M-2", "published"), ("M-3", "archived")):
        assert client.post("/api/v1/listings", json=_body(sku=sku, status=status), headers=h).status_code == 201
    flow.listing(platform, other, sku="M-OTHER")
    mine = client.get("/api/v1/listings/mine", headers=h).json["listings"]
    assert [x["sku"] for x in mine] == ["M-3", "M-2", "M-1"]
    drafts = client.get("/api/v1/listings/mine?status=draft", headers=h).json["listings"]
    assert [x["sku"] for x in drafts] == ["M-1"]
    assert client.get("/api/v1/listings/mine?status=gone", headers=h).status_code == 400
    assert client.get("/api/v1/listings/mine", headers=token(client, orgs.buyer())).status_code == 403


def test_restricted_listing_is_hidden_from_other_buyers(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, chosen, other = orgs.exporter(), orgs.buyer(), orgs.buyer()
    slug = org_of(platform, chosen).slug
    h = token(client, exporter)
    created = client.post(
        "/api/v1/listings", json=_body(sku="R-1", visibility="restricted", audience=[slug]), headers=h
    )
    assert created.status_code == 201, created.json
    listing_id = created.json["id"]
    assert client.get(f"/api/v1/listings/{listing_id}", headers=token(client, chosen)).status_code == 200
    assert client.get(f"/api/v1/listings/{listing_id}", headers=token(client, other)).status_code == 404
    assert client.get(f"/api/v1/listings/{listing_id}").status_code == 404


def test_category_tree_in_the_requested_language(client, platform) -> None:  # type: ignore[no-untyped-def]
    with platform.db.session() as s:
        if s.scalar(select(Category.id).where(Category.code == "api-bearings")) is None:
            add_category(s, parent="XVI", code="api-bearings", names={"en": "Bearings", "ja": "軸受"})
    tree = client.get("/api/v1/categories?locale=ja").json["categories"]
    assert len(tree) == 21
    machinery = next(c for c in tree if c["code"] == "XVI")
    assert machinery["name"] == "機械類及び電気機器"
    assert {"code": "api-bearings", "name": "軸受", "hs_chapters": None, "children": []} in machinery["children"]
    english = client.get("/api/v1/categories").json["categories"]
    assert next(c for c in english if c["code"] == "XVI")["name"].startswith("Machinery")
    assert client.get("/api/v1/categories?locale=!!").status_code == 400


def test_every_api_route_is_in_the_openapi_document(app, client) -> None:  # type: ignore[no-untyped-def]
    document = client.get("/api/v1/openapi.json").json
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            operation = document["paths"].get(path, {}).get(method.lower())
            if operation is None:
                missing.append(f"{method} {rule.rule}")
                continue
            names = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            if names != set(re.findall(r"<(?:\w+:)?(\w+)>", rule.rule)):
                missing.append(f"{method} {rule.rule}: path parameters {names}")
            view = app.view_functions[rule.endpoint]
            if "catalog" in rule.endpoint and not hasattr(view, "request_schemas"):
                missing.append(f"{method} {rule.rule}: not declared with accepts(...)")
    assert not missing, missing
    upload = document["paths"]["/listings/{listing_id}/images"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["required"] == ["image"]
    put = document["paths"]["/listings/{listing_id}"]["put"]["requestBody"]["content"]["application/json"]
    assert put["schema"] == {"$ref": "#/components/schemas/ListingIn"}
    locale = document["paths"]["/listings/{listing_id}/translations/{locale}"]["put"]["parameters"]
    assert {"name": "locale", "in": "path", "required": True, "schema": {"type": "string"}}.items() <= locale[1].items()


def test_every_catalog_route_and_parameter_is_described_in_the_openapi_document(app, client) -> None:  # type: ignore[no-untyped-def]
    document = client.get("/api/v1/openapi.json").json
    undescribed = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("api.catalog_api.", "api.catalog_manage_api.", "api.storefront_api.")):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = document["paths"][path][method.lower()]
            if not operation.get("summary") or len(operation.get("description", "")) < 40:
                undescribed.append(f"{method} {path}")
            undescribed += [
                f"{method} {path} {p['in']} parameter {p['name']}"
                for p in operation["parameters"]
                if len(p.get("description", "")) < 10
            ]
    assert not undescribed, undescribed
    search = {p["name"]: p for p in document["paths"]["/listings"]["get"]["parameters"]}
    assert "show listings in" in search["locale"]["description"] and "`q`" in search["lang"]["description"]
    shown = 0
    for path, methods in document["paths"].items():  # the language listings are shown in is `locale` everywhere
        for method, operation in methods.items():
            names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
            if "currency" in names:
                shown += 1
                assert "locale" in names, f"{method} {path}"
            assert "lang" not in names or (path, method) == ("/listings", "get"), f"{method} {path}"
    assert shown >= 8


@pytest.mark.postgres
def test_editing_children_and_pictures_on_postgres(pg_app, pg_platform) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL checks unique keys per statement: tiers, offers, texts and pictures change in place there too."""
    from tests.marketplace.test_images import picture, upload

    client = pg_app.test_client()
    exporter, buyer = Orgs(pg_platform).exporter(), Orgs(pg_platform).buyer()
    h = token(client, exporter)
    slug = org_of(pg_platform, buyer).slug
    listing_id = client.post("/api/v1/listings", json=_body(sku="PG-1"), headers=h).json["id"]
    offers = [{"rule": "FOB", "place": "Hamburg"}, {"rule": "CIF", "place": "Yokohama"}]
    tiers = [{"min_quantity": 1, "unit_price": "1.40"}, {"min_quantity": 100, "unit_price": "1.20"}]
    for body in (
        _body(sku="PG-1", price_tiers=tiers, incoterms=offers),
        _body(sku="PG-1", price_tiers=tiers[:1], incoterms=offers[::-1], visibility="restricted", audience=[slug]),
        _body(sku="PG-2", price_tiers=[{"min_quantity": 1, "unit_price": "1.10"}], visibility="public"),
    ):
        response = client.put(f"/api/v1/listings/{listing_id}", json=body, headers=h)
        assert response.status_code == 200, response.json
        assert _stored(pg_platform, listing_id) | {"category": None, "origin": None} == {
            **body,
            "category": None,
            "origin": None,
            "currency": "EUR",
            "source_locale": "de",
            "stock": None,
            "lead_time_days": 30,
            "status": "published",
        }
    text = {"title": "Câble"}
    assert client.put(f"/api/v1/listings/{listing_id}/translations/fr", json=text, headers=h).status_code == 200
    assert client.delete(f"/api/v1/listings/{listing_id}/translations/fr", headers=h).status_code == 200
    first = upload(client, listing_id, h, picture("PNG", (64, 64), "red"))
    assert first.status_code == 201, first.json
    assert upload(client, listing_id, h, picture("PNG", (64, 64), "red")).status_code == 200
    assert client.delete(f"/api/v1/listings/{listing_id}/images/{first.json['id']}", headers=h).status_code == 204


def test_every_listing_route_takes_the_language_to_show_as_locale(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter(locale="en")
    h = token(client, exporter)
    listing_id = flow.listing(platform, exporter, sku="LANG-1")  # "Copper cable 3x2.5", "Kupferkabel 3x2,5"
    ex = org_of(platform, exporter).slug
    german = "Kupferkabel 3x2,5"
    assert [i["title"] for i in client.get(f"/api/v1/listings?exporter={ex}&locale=de").json["items"]] == [german]
    assert client.get(f"/api/v1/listings/{listing_id}?locale=de").json["title"] == german
    mine = client.get("/api/v1/listings/mine?locale=de", headers=h).json["listings"]
    assert [m["title"] for m in mine] == [german]
    text = {"title": "Câble cuivre 3x2,5"}
    changed = client.put(f"/api/v1/listings/{listing_id}/translations/fr?locale=de", json=text, headers=h)
    assert changed.status_code == 200 and changed.json["title"] == german
    assert client.get(f"/api/v1/listings/{listing_id}", headers=h).json["title"] == "Copper cable 3x2.5"
    assert client.get(f"/api/v1/listings?exporter={ex}&locale=!!").json["error"]["field"] == "locale"
