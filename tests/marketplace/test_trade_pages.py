"""What the trade, audit and listing pages show in each state and language: the deal id, paid milestones,
the split of a closed trade in currency, outcome words, translated statuses, actions and messages."""

from __future__ import annotations

import re
from decimal import Decimal

from babel.messages.pofile import read_po

from i18n import TRANSLATIONS
from ledger.merkle import Outcome
from marketplace import labels
from marketplace.accounts.models import OrgKind
from marketplace.pricing.fx import EcbRates
from marketplace.rfq.models import QuoteStatus, RfqStatus
from marketplace.trades import actions
from marketplace.trades.models import BatchStatus, DocumentKind, TradeStatus
from marketplace.trades.service import _EVENT_EFFECT
from tests.conftest import Orgs
from tests.marketplace import flow
from tests.marketplace.flow import act, funded
from tests.marketplace.test_api import token
from tests.marketplace.test_pages import login


def test_a_released_trade_shows_its_deal_id_and_every_milestone_paid(app, platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer(locale="en")
    worker.drain()
    trade_id = funded(platform, worker, exporter, buyer, schedule="30/70")
    act(platform, worker, actions.release_milestone, buyer, trade_id, 0)
    trade = act(platform, worker, actions.confirm_receipt, buyer, trade_id)
    client = app.test_client()
    login(client, buyer)
    page = client.get(f"/trades/{trade_id}?lang=en").text
    assert trade.terms_digest in page.split("Deal id", 1)[1].split("</tr>", 1)[0]
    assert page.count('<span class="badge released">paid</span>') == 2
    api = client.get(f"/api/v1/trades/{trade_id}", headers=token(client, buyer)).json
    assert api["milestones"]["paid"] == [True, True] and api["deal_id"] == trade.terms_digest


def test_the_split_of_a_ruling_is_shown_in_currency(app, platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    desk = orgs.make("arbiter", locale="en", currency="USD")
    worker.drain()
    trade_id = funded(platform, worker, exporter, buyer)  # 1000 m at EUR 2.00, settled in USD
    act(platform, worker, actions.dispute, buyer, trade_id, "0x" + "ab" * 32)
    trade = act(platform, worker, actions.rule, desk, trade_id, "1234.50")
    seller_cents = trade.totals.seller_amount // 10**4
    seller = Decimal(trade.totals.seller_amount).scaleb(-6).normalize()  # exact, below a cent too

    client = app.test_client()
    login(client, exporter)  # a German exporter
    page = client.get(f"/trades/{trade_id}").text
    assert "aufgeteilt nach Schiedsspruch" in page  # the outcome, in words
    assert "1.234,50\xa0$" in page  # to the buyer, formatted for the viewer
    assert f"{seller:,f}".replace(",", " ").replace(".", ",").replace(" ", ".") + "\xa0$" in page

    api = client.get(f"/api/v1/trades/{trade_id}", headers=token(client, exporter)).json
    assert api["totals"]["buyer"] == {"currency": "USD", "minor": 123450, "amount": "1234.50"}
    assert api["totals"]["seller"]["minor"] == seller_cents
    assert api["totals_token_units"]["buyer"] == str(1234_500000)
    assert api["totals_token_units"]["arbiter_fee"] == str(trade.totals.arbiter_fee)


def _dollars(text: str) -> Decimal:
    """An English dollar amount as the page shows it, such as `$1,396.50`, exactly."""
    return Decimal(text.replace("$", "").replace(",", ""))


def test_a_split_with_sub_cent_parts_adds_up_to_the_deposit(app, platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    desk = orgs.make("arbiter", locale="en", currency="USD")
    worker.drain()
    trade_id = funded(platform, worker, exporter, buyer, schedule="30/70")
    deposit = Decimal(flow.trade(platform, trade_id).terms.amount).scaleb(-6)
    client = app.test_client()
    login(client, exporter)
    paying = client.get(f"/trades/{trade_id}?lang=en").text
    tranches = [_dollars(m) for m in re.findall(r"<td>(\$[0-9,.]+)</td><td>", paying)]
    assert sum(tranches) == deposit, (tranches, deposit)  # every milestone to the last digit

    act(platform, worker, actions.dispute, buyer, trade_id, "0x" + "ab" * 32)
    trade = act(platform, worker, actions.rule, desk, trade_id, "400.00")
    assert trade.totals.seller_amount % 10**4 and trade.totals.arbiter_fee % 10**4  # parts below a cent
    page = client.get(f"/trades/{trade_id}?lang=en").text
    table = page.split('<table class="split">', 1)[1].split("</table>", 1)[0]
    parts = [_dollars(cell) for cell in re.findall(r"<td>([^<]+)</td>", table)]
    assert len(parts) == 4 and parts[0] == Decimal("400.00") and "$400.00" in table
    assert sum(parts) == deposit, (parts, deposit)


def test_the_audit_page_names_the_outcome_as_the_trade_page_does(app, platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer, auditor = orgs.exporter(), orgs.buyer(), orgs.auditor()
    worker.drain()
    trade_id = funded(platform, worker, exporter, buyer)
    act(platform, worker, actions.propose_settlement, exporter, trade_id, "500.00")
    act(platform, worker, actions.accept_settlement, buyer, trade_id)
    worker.drain()  # anchors the settlement
    client = app.test_client()
    login(client, auditor)
    trade_page = client.get(f"/trades/{trade_id}?lang=en").text
    reference = flow.trade(platform, trade_id).reference
    audit_row = client.get("/audit/").text.split(f">{reference}</td>", 1)[1].split("</tr>", 1)[0]
    assert "settled by agreement" in trade_page and "settled by agreement" in audit_row
    assert "resolved" not in audit_row
    audit = client.get("/audit/").text
    deployment = "--deployment http://localhost/.well-known/tradewind.json</code>"
    assert f"<code>tradewind verify bundle.json --rpc &lt;RPC URL&gt; {deployment}" in audit
    assert f"-proof.json --rpc &lt;RPC URL&gt; {deployment}" in trade_page


def test_statuses_actions_and_messages_speak_the_viewers_language(app, platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()  # German and Japanese
    worker.drain()
    trade_id = flow.accepted(platform, exporter, buyer)
    seller, customer = app.test_client(), app.test_client()
    login(seller, exporter)
    buyer_csrf = login(customer, buyer)
    assert '<span class="badge awaiting_funding">入金待ち</span>' in customer.get(f"/trades/{trade_id}").text
    german = seller.get(f"/trades/{trade_id}").text
    assert "Kupferkabel 3x2,5" in german  # the goods in the viewer's language, not the terms' English
    assert "<td>100\xa0%</td>" in german and "Schiedsgebühr 2\xa0%" in german  # percentages as Germans write them
    assert '<span class="badge">買い手</span>' in customer.get("/dashboard").text
    assert '<span class="badge">Exporteur</span>' in seller.get("/dashboard").text

    customer.post(f"/trades/{trade_id}/fund", data={"csrf_token": buyer_csrf})
    assert "チェーンへ送信中: 入金。" in customer.get(f"/trades/{trade_id}").text
    assert "Einzahlung" in seller.get("/trades/").text  # the pending action in the trades list
    again = customer.post(f"/trades/{trade_id}/fund", data={"csrf_token": buyer_csrf})
    assert again.status_code == 409 and "入金は既にチェーンへ送信中です" in again.text
    worker.drain()
    again = customer.post(f"/trades/{trade_id}/fund", data={"csrf_token": buyer_csrf})
    assert again.status_code == 409 and "取引が「入金済み」の間は入金はできません" in again.text
    api_error = customer.post(f"/api/v1/trades/{trade_id}/fund", headers=token(customer, buyer)).json
    assert api_error["error"]["message"] == "funding is not possible while the trade is funded"  # the API: English

    seller_csrf = login(seller, exporter)
    seller.post(f"/trades/{trade_id}/propose", data={"csrf_token": seller_csrf, "buyer_amount": "10.00"})
    proposing = seller.get(f"/trades/{trade_id}?lang=en").text
    assert "On its way to the chain: settlement proposal." in proposing
    worker.drain()
    customer.post(f"/trades/{trade_id}/accept", data={"csrf_token": buyer_csrf})
    accepting = customer.get(f"/trades/{trade_id}?lang=en").text
    assert "On its way to the chain: acceptance of the settlement." in accepting
    worker.drain()
    too_much = seller.post(f"/trades/{trade_id}/propose", data={"csrf_token": seller_csrf, "buyer_amount": "1"})
    assert too_much.status_code == 409 and "settlement proposal is not possible while the trade is resolved" in (
        too_much.text
    )


def test_the_rate_source_is_translated_and_same_currency_says_so(app, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    listing_id = flow.listing(platform, exporter, sku="RATE-1")
    anonymous = app.test_client()  # sees EUR, the listing's own currency
    for lang, words in (("en", "same currency, no conversion"), ("de", "gleiche Währung, keine Umrechnung")):
        page = anonymous.get(f"/listings/{listing_id}?lang={lang}").text
        assert words in page and "identity" not in page
    japanese = app.test_client()
    login(japanese, orgs.buyer())
    page = japanese.get(f"/listings/{listing_id}").text
    assert "欧州中央銀行（ECB）ユーロ参照レート" in page and "reference rates" not in page


def test_rates_are_written_as_the_viewer_writes_numbers(app, platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    worker.drain()
    listing_id = flow.listing(platform, exporter, sku="RATE-2")
    american = app.test_client()
    login(american, orgs.make("buyer", locale="de", currency="USD"))
    page = american.get(f"/listings/{listing_id}").text
    rate = platform.rates.rate("EUR", "USD").rate
    assert "." in str(rate)  # a rate with decimals, so the test can tell the two ways apart
    assert "umgerechnet mit den Euro-Referenzkursen der EZB vom" in page
    assert f"1 EUR = {str(rate).replace('.', ',')} USD" in page and f"= {rate} USD" not in page

    trade_id = funded(platform, worker, exporter, orgs.buyer(currency="USD"))
    seller = app.test_client()
    login(seller, exporter)
    trade_page = seller.get(f"/trades/{trade_id}").text
    fx = flow.trade(platform, trade_id).terms.details["fx"]
    assert f"1 EUR = {str(fx['rate']).replace('.', ',')} USD" in trade_page
    assert "Euro-Referenzkursen der EZB" in trade_page
    assert f"1 EUR = {fx['rate']} USD" in seller.get(f"/trades/{trade_id}?lang=en").text


def test_the_new_listing_form_names_its_languages_in_the_viewers_language(app, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, orgs.exporter())
    for lang, names in (
        ("de", ("Englisch", "Deutsch", "Japanisch")),
        ("ja", ("英語", "ドイツ語", "日本語")),
        ("en", ("English", "German", "Japanese")),
    ):
        page = client.get(f"/listings/new?lang={lang}").text
        assert all(f"<legend>{name}</legend>" in page for name in names), (
            lang,
            re.findall("<legend>.*?</legend>", page),
        )


def test_listing_text_follows_lang_at_once(app, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    listing_id = flow.listing(platform, orgs.exporter(), sku="LANG-1")
    client = app.test_client()
    assert "Kupferkabel" in client.get(f"/listings/{listing_id}?lang=de").text
    assert "Copper cable" in client.get(f"/listings/{listing_id}?lang=en").text
    assert "Kupferkabel" in client.get(f"/listings/{listing_id}?lang=de").text


def test_german_keeps_listing_and_quote_apart() -> None:
    """A listing is an "Artikel", a quote an "Angebot": never the same word for both."""
    with open(TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale="de")
    listings = [m for m in catalog if m.id and "listing" in str(m.id).lower()]
    assert listings and all("Angebot" not in str(m.string) for m in listings), [
        (m.id, m.string) for m in listings if "Angebot" in str(m.string)
    ]


def test_the_servers_own_errors_speak_the_pages_language(client) -> None:  # type: ignore[no-untyped-def]
    missing = client.get("/no-such-page?lang=ja")
    assert missing.status_code == 404 and "このページはありません。" in missing.text
    expired = client.post("/login?lang=de", data={"email": "a@b.example", "password": "x"})
    assert expired.status_code == 400 and "Das Formular ist abgelaufen" in expired.text
    api = client.get("/api/v1/no-such-thing?lang=ja")
    assert api.status_code == 404 and api.json["error"]["message"].startswith("The requested URL was not found")


def test_every_stored_code_has_words_to_show() -> None:
    """A new status, kind, outcome or action without words would break the pages that show it."""
    statuses = {s.value for enum in (RfqStatus, QuoteStatus, TradeStatus, BatchStatus) for s in enum}
    assert statuses <= labels.STATUS.keys()
    assert {k.value for k in OrgKind} <= labels.ORG_KIND.keys()
    assert {o.name.lower() for o in Outcome} <= labels.OUTCOME.keys()
    assert {k.value for k in DocumentKind} <= labels.DOCUMENT_KIND.keys()
    assert {a for _, _, done in _EVENT_EFFECT.values() for a in done} <= labels.ACTION.keys()
    assert EcbRates.source in labels.RATE_SOURCE
