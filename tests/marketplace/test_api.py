"""The JSON API: the full trade through HTTP, and clear errors that change nothing."""

from __future__ import annotations

from ledger.verify import verify_bundle
from tests.conftest import PASSWORD, Orgs


def token(client, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_full_trade_over_the_api(client, platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    seller_h, buyer_h = token(client, exporter), token(client, buyer)
    listing = client.post(
        "/api/v1/listings",
        headers=seller_h,
        json={
            "sku": "API-1",
            "hs_code": "8482.10",
            "unit": "PCE",
            "moq": 10,
            "incoterms": [{"rule": "FOB", "place": "Hamburg"}],
            "price_tiers": [{"min_quantity": 1, "unit_price": "3.50"}, {"min_quantity": 100, "unit_price": "3.20"}],
            "translations": {
                "en": {"title": "Bearing", "description": "steel"},
                "ja": {"title": "軸受", "description": "鋼"},
            },
        },
    )
    assert listing.status_code == 201, listing.json
    seen = client.get(f"/api/v1/listings/{listing.json['id']}", headers=buyer_h).json
    assert seen["title"] == "軸受" and seen["local_price"]["currency"] == "JPY"
    assert seen["price"] == {"currency": "EUR", "minor": 320, "amount": "3.20", "text": "€3.20"}  # "from"
    assert [t["unit_price"]["amount"] for t in seen["price_tiers"]] == ["3.50", "3.20"]
    rfq = client.post("/api/v1/rfqs", headers=buyer_h, json={"listing_id": listing.json["id"], "quantity": 400})
    assert rfq.status_code == 201
    prefilled = client.post(f"/api/v1/rfqs/{rfq.json['id']}/quotes", headers=seller_h, json={})
    assert prefilled.status_code == 201, prefilled.json  # the tier for 400 pieces
    assert prefilled.json["unit_price"]["minor"] == 320 and prefilled.json["incoterm"] == "FOB"
    quote = client.post(f"/api/v1/rfqs/{rfq.json['id']}/quotes", headers=seller_h, json={"unit_price": "3.25"})
    assert quote.status_code == 201 and quote.json["total"]["minor"] == 130000
    trade = client.post(f"/api/v1/quotes/{quote.json['id']}/accept", headers=buyer_h)
    assert trade.status_code == 201 and trade.json["status"] == "awaiting_funding"
    trade_id = trade.json["id"]

    assert client.post(f"/api/v1/trades/{trade_id}/fund", headers=buyer_h).json["pending_action"] == "fund"
    worker.drain()
    assert client.get(f"/api/v1/trades/{trade_id}", headers=buyer_h).json["status"] == "funded"
    shipped = client.post(f"/api/v1/trades/{trade_id}/ship", headers=seller_h, json={"document_hash": "0x" + "ab" * 32})
    assert shipped.status_code == 202
    worker.drain()
    assert client.post(f"/api/v1/trades/{trade_id}/release", headers=buyer_h).status_code == 202
    worker.drain()
    final = client.get(f"/api/v1/trades/{trade_id}", headers=seller_h).json
    assert final["status"] == "released" and final["anchored"] and final["document_hash"] == "0x" + "ab" * 32
    bundle = client.get(f"/api/v1/trades/{trade_id}/bundle", headers=buyer_h).json
    assert verify_bundle(bundle, platform.w3, platform.ctx.manifest).verified


def test_errors_are_json_with_a_code_and_change_nothing(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    seller_h, buyer_h = token(client, exporter), token(client, buyer)

    malformed = client.post(
        "/api/v1/listings", headers={**seller_h, "Content-Type": "application/json"}, data="{not json"
    )
    assert malformed.status_code == 400
    assert malformed.json["error"]["code"] == "invalid" and "JSON object" in malformed.json["error"]["message"]

    missing = client.post("/api/v1/rfqs", json={"listing_id": 1, "quantity": 1})
    assert missing.status_code == 401 and missing.json["error"]["code"] == "unauthenticated"

    wrong_role = client.post("/api/v1/listings", headers=buyer_h, json={"sku": "x"})
    assert wrong_role.status_code == 403

    bad = client.post(
        "/api/v1/listings",
        headers=seller_h,
        json={
            "sku": "B-1",
            "hs_code": "8482.10",
            "moq": 1,
            "incoterms": [{"rule": "FOB", "place": "Hamburg"}],
            "price_tiers": [{"min_quantity": 1, "unit_price": 2.5}],
            "translations": {"en": {"title": "x"}},
        },
    )
    assert bad.status_code == 400 and bad.json["error"]["field"] == "price_tiers.0.unit_price"
    assert client.get("/api/v1/listings", headers=seller_h).json["items"] == [] or all(
        item["sku"] != "B-1" for item in client.get("/api/v1/listings").json["items"]
    )

    assert client.get("/api/v1/trades/999999", headers=buyer_h).status_code == 404
    assert client.post("/api/v1/tokens", json={"email": buyer.email, "password": "wrong"}).status_code == 401


def test_dispute_and_ruling_over_the_api(client, platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer, desk = orgs.exporter(), orgs.buyer(), orgs.make("arbiter", locale="en", currency="USD")
    worker.drain()
    seller_h, buyer_h, desk_h = token(client, exporter), token(client, buyer), token(client, desk)
    listing = client.post(
        "/api/v1/listings",
        headers=seller_h,
        json={
            "sku": "DSP-1",
            "hs_code": "8482.10",
            "moq": 1,
            "incoterms": [{"rule": "CIF", "place": "Kobe"}],
            "price_tiers": [{"min_quantity": 1, "unit_price": "10.00"}],
            "translations": {"en": {"title": "Bearing"}},
        },
    ).json
    rfq = client.post("/api/v1/rfqs", headers=buyer_h, json={"listing_id": listing["id"], "quantity": 100}).json
    quote = client.post(
        f"/api/v1/rfqs/{rfq['id']}/quotes", headers=seller_h, json={"unit_price": "9.00", "payment_schedule": "40/60"}
    ).json
    assert quote["payment_schedule_bps"] == [4000, 6000]
    trade_id = client.post(f"/api/v1/quotes/{quote['id']}/accept", headers=buyer_h).json["id"]
    client.post(f"/api/v1/trades/{trade_id}/fund", headers=buyer_h)
    worker.drain()
    paid = client.post(f"/api/v1/trades/{trade_id}/milestones/1/release", headers=buyer_h)
    assert paid.status_code == 202
    worker.drain()
    assert client.get(f"/api/v1/trades/{trade_id}", headers=buyer_h).json["milestones"]["paid"] == [True, False]

    bad = client.post(f"/api/v1/trades/{trade_id}/dispute", headers=buyer_h, json={"evidence_hash": "nope"})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "evidence_hash"
    assert (
        client.post(
            f"/api/v1/trades/{trade_id}/dispute", headers=buyer_h, json={"evidence_hash": "0x" + "cd" * 32}
        ).status_code
        == 202
    )
    worker.drain()
    assert (
        client.post(f"/api/v1/trades/{trade_id}/ruling", headers=seller_h, json={"buyer_amount": "1.00"}).status_code
        == 403
    )
    ruled = client.post(f"/api/v1/trades/{trade_id}/ruling", headers=desk_h, json={"buyer_amount": "100.00"})
    assert ruled.status_code == 202, ruled.json
    worker.drain()
    final = client.get(f"/api/v1/trades/{trade_id}", headers=desk_h).json
    assert final["outcome"] == "ruled" and final["totals"]["buyer"] == {
        "currency": "USD",
        "minor": 10000,
        "amount": "100.00",
    }
    remaining_after_milestone = int(final["terms"]["amount"]) - int(final["terms"]["amount"]) * 4000 // 10_000
    fee = remaining_after_milestone * 200 // 10_000
    assert int(final["totals_token_units"]["arbiter_fee"]) == fee


def test_deeply_nested_json_is_a_400_not_a_crash(client) -> None:  # type: ignore[no-untyped-def]
    deep = "[" * 80_000 + "]" * 80_000
    response = client.post("/api/v1/tokens", data=deep, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid"


def test_a_number_with_thousands_of_digits_is_a_400(client, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    body = '{"sku": "X", "hs_code": "8482.10", "moq": 1' + "0" * 5000 + "}"
    response = client.post(
        "/api/v1/listings", data=body, headers={**token(client, orgs.exporter()), "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid"
