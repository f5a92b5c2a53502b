"""Server-rendered pages: a person logs in, browses, negotiates and settles; forms need CSRF."""

from __future__ import annotations

import hashlib
import io
import re

from ledger.manifest import Manifest
from ledger.verify import verify_bundle
from marketplace.trades import actions
from tests.conftest import PASSWORD, Orgs
from tests.marketplace import flow


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def login(client, user) -> str:  # type: ignore[no-untyped-def]
    """Log in through the form; returns the CSRF token of the new session."""
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_of(client.get("/login").text)}
    )
    assert response.status_code == 302
    return csrf_of(client.get("/dashboard").text)


def test_a_form_without_its_csrf_token_is_refused(client, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    user = orgs.buyer()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400 and "Reload the page" in response.text
    assert client.get("/dashboard").status_code == 302  # not logged in


def test_wrong_password_shows_an_error(client, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    user = orgs.buyer()
    response = client.post(
        "/login", data={"email": user.email, "password": "nope", "csrf_token": csrf_of(client.get("/login").text)}
    )
    assert response.status_code == 401 and "wrong email or password" in response.text


def test_trade_through_the_pages(app, platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    listing_id = flow.listing(platform, exporter, sku="PAGE-1", price="4.00")
    seller, customer = app.test_client(), app.test_client()
    seller_csrf, buyer_csrf = login(seller, exporter), login(customer, buyer)

    page = customer.get(f"/listings/{listing_id}")
    assert page.status_code == 200
    assert "Copper cable" in page.text or "Kupferkabel" in page.text
    assert "￥" in page.text and "ECB" in page.text  # the buyer's currency, with the rate's source

    response = customer.post("/rfqs/", data={"listing_id": listing_id, "quantity": 300, "csrf_token": buyer_csrf})
    rfq_path = response.headers["Location"]
    response = seller.post(f"{rfq_path}/quotes", data={"unit_price": "3.80", "csrf_token": seller_csrf})
    assert response.status_code == 302
    rfq_page = customer.get(rfq_path).text
    assert "改ざんなし" in rfq_page  # the buyer reads Japanese: history intact
    quote_id = re.search(r"/rfqs/quotes/(\d+)/accept", rfq_page).group(1)
    trade_path = customer.post(f"/rfqs/quotes/{quote_id}/accept", data={"csrf_token": buyer_csrf}).headers["Location"]
    assert "エスクローに入金" in customer.get(trade_path).text  # "Fund escrow"

    customer.post(f"{trade_path}/fund", data={"csrf_token": buyer_csrf})
    assert "チェーンへ送信中" in customer.get(trade_path).text
    worker.drain()
    bill = io.BytesIO(b"%PDF-1.4 BILL OF LADING 42")
    seller.post(
        f"{trade_path}/ship",
        data={"csrf_token": seller_csrf, "document": (bill, "bl.pdf")},
        content_type="multipart/form-data",
    )
    worker.drain()
    assert "0x" + hashlib.sha256(b"%PDF-1.4 BILL OF LADING 42").hexdigest() in seller.get(trade_path).text
    customer.post(f"{trade_path}/release", data={"csrf_token": buyer_csrf})
    worker.drain()
    final = customer.get(trade_path).text
    assert "badge released" in final and "証明バンドルをダウンロード" in final
    assert "--deployment http://localhost/.well-known/tradewind.json" in final  # how to pin the check
    bundle = customer.get(f"{trade_path}/bundle.json")
    assert bundle.headers["Content-Disposition"].startswith("attachment")
    published = Manifest.from_json(customer.get("/.well-known/tradewind.json").json)
    assert verify_bundle(bundle.json, platform.w3, published).verified

    auditor = app.test_client()
    login(auditor, orgs.auditor())
    audit = auditor.get("/audit/")
    assert audit.status_code == 200 and "proof bundle" in audit.text
    assert customer.get("/audit/").status_code == 403  # buyers are not auditors


def test_shipping_without_a_document_is_refused(app, platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    worker.drain()
    trade_id = flow.accepted(platform, exporter, buyer)
    with platform.db.session() as s:
        actions.fund(s, s.merge(buyer), trade_id, platform.ctx)
    worker.drain()
    seller = app.test_client()
    csrf = login(seller, exporter)
    response = seller.post(f"/trades/{trade_id}/ship", data={"csrf_token": csrf, "document_hash": "0x12"})
    assert response.status_code == 400 and "Dokument anhängen" in response.text  # a German exporter
    assert flow.trade(platform, trade_id).pending_action is None


def test_the_interface_speaks_the_visitors_language(client) -> None:  # type: ignore[no-untyped-def]
    assert "ログイン" in client.get("/login", headers={"Accept-Language": "ja-JP,ja;q=0.9"}).text
    assert "Anmelden" in client.get("/login?lang=de").text
    assert "Anmelden" in client.get("/login").text  # the choice is remembered
    assert "Log in" in client.get("/login?lang=en").text


def test_right_to_left_locales_are_marked() -> None:
    from i18n import direction, ui_locale

    assert direction("ar") == "rtl" and direction("de") == "ltr"
    assert ui_locale("de-AT") == "de" and ui_locale("xx") == "en"


def test_dispute_and_ruling_through_the_pages(app, platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer, desk = orgs.exporter(), orgs.buyer(), orgs.make("arbiter", locale="en", currency="USD")
    worker.drain()
    trade_id = flow.accepted(platform, exporter, buyer)
    with platform.db.session() as s:
        actions.fund(s, s.merge(buyer), trade_id, platform.ctx)
    worker.drain()
    customer, arbiter = app.test_client(), app.test_client()
    buyer_csrf, desk_csrf = login(customer, buyer), login(arbiter, desk)
    page = customer.get(f"/trades/{trade_id}").text
    assert f'action="/trades/{trade_id}/dispute"' in page
    statement = io.BytesIO(b"The bearings arrived rusted.")
    customer.post(
        f"/trades/{trade_id}/dispute",
        data={"csrf_token": buyer_csrf, "evidence": (statement, "s.txt")},
        content_type="multipart/form-data",
    )
    worker.drain()
    desk_page = arbiter.get(f"/trades/{trade_id}").text
    assert "badge disputed" in desk_page and f'action="/trades/{trade_id}/rule"' in desk_page
    assert f'action="/trades/{trade_id}/rule"' not in customer.get(f"/trades/{trade_id}").text
    response = arbiter.post(f"/trades/{trade_id}/rule", data={"csrf_token": desk_csrf, "buyer_amount": "12.34"})
    assert response.status_code == 302
    worker.drain()
    assert flow.trade(platform, trade_id).outcome == "ruled"
    refused = customer.post(f"/trades/{trade_id}/rule", data={"csrf_token": buyer_csrf, "buyer_amount": "1"})
    assert refused.status_code == 403


def test_the_seller_opens_an_open_rfq_with_its_quote_form_in_every_language(app, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    listing_id = flow.listing(platform, exporter, sku="PAGE-RFQ")
    customer, seller = app.test_client(), app.test_client()
    buyer_csrf = login(customer, buyer)
    login(seller, exporter)
    rfq_path = customer.post(
        "/rfqs/", data={"listing_id": listing_id, "quantity": 300, "csrf_token": buyer_csrf}
    ).headers["Location"]
    for lang, label in (("en", "Payment schedule (%)"), ("de", "Zahlungsplan (%)"), ("ja", "支払スケジュール(%)")):
        page = seller.get(f"{rfq_path}?lang={lang}")
        assert page.status_code == 200, lang
        assert label in page.text and 'name="unit_price"' in page.text
