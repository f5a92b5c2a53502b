"""The catalog search on a 390 px phone in German: the filters panel stays folded for a currency and a page size,
German plurals are found for a German browser, the number of results is shown, a refused filter is marked on the
search page itself, an HS code typed in the search box finds the listings under it, and switching the language
keeps the search."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from marketplace.platform import Platform
from tests.browser.conftest import serving
from tests.browser.test_catalog import PHONE, TIMEOUT_MS, Phone, in_reach, words
from tests.conftest import Orgs
from tests.marketplace.test_search import put

HEIGHT = 844


def test_a_german_buyer_searches_refines_mistypes_a_filter_and_switches_language_on_a_phone(
    browser: Any, platform: Platform, orgs: Orgs, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    exporter = orgs.exporter()
    put(platform, exporter, {"de": ("Kugellager aus Edelstahl", "Dichtungen beidseitig")}, moq=200)
    put(platform, exporter, {"en": ("Deep groove ball bearing 6204", "")}, moq=1000)
    put(platform, exporter, {"en": ("Spindle unit 8482 series", "")}, hs_code="8466.93")
    de, en = words("de"), words("en")

    with serving(platform) as site:
        phone = Phone(site, tmp_path)
        context = browser.new_context(viewport={"width": PHONE, "height": HEIGHT}, locale="de-DE")
        buyer = context.new_page()
        buyer.set_default_timeout(TIMEOUT_MS)
        filters = buyer.locator("details.filters")
        moq = buyer.get_by_label(de("Minimum order at most"))

        # A currency and a page size are no filters: the panel stays folded.
        buyer.goto(f"{site}/listings/?currency=JPY&limit=5")
        expect(buyer.get_by_role("heading", level=1)).to_have_text(de("Catalog"))
        assert filters.get_attribute("open") is None
        expect(moq).to_be_hidden()
        phone.look(buyer, "folded")

        # German plurals, found for a German browser; how many were found.
        search = in_reach(buyer.get_by_role("searchbox", name=de("Search")))
        search.fill("Kugellagern Edelstahl")
        search.press("Enter")
        results = buyer.get_by_role("region", name=de("Results"))
        expect(results.get_by_role("link", name="Kugellager aus Edelstahl")).to_be_visible()
        expect(buyer.get_by_role("status")).to_have_text(re.compile(r"^\d[\d.]* Artikel$"))
        phone.look(buyer, "german-plural")

        # A minimum order below 1: the search page again, the field marked in German, no results.
        buyer.get_by_text(de("Filters"), exact=True).click()
        in_reach(moq).fill("-1")
        with buyer.expect_response(lambda r: "moq_max=-1" in r.url) as answer:
            in_reach(buyer.get_by_role("button", name=de("Search"))).click()
        assert answer.value.status == 400
        message = "„Mindestbestellmenge höchstens“ muss größer als 0 sein"
        expect(buyer.get_by_role("alert")).to_contain_text(message)
        expect(moq).to_have_attribute("aria-invalid", "true")
        expect(moq).to_have_value("-1")
        expect(buyer.locator("#moq_max-error")).to_have_text(message)
        expect(buyer.get_by_role("searchbox", name=de("Search"))).to_have_value("Kugellagern Edelstahl")
        expect(results.get_by_role("article")).to_have_count(0)
        expect(buyer.get_by_text(de("Nothing was changed."))).to_have_count(0)
        in_reach(buyer.locator("#moq_max-error"))
        phone.look(buyer, "refused-filter")

        # Corrected, the search runs with the filter; the panel shows it.
        moq.fill("500")
        in_reach(buyer.get_by_role("button", name=de("Search"))).click()
        expect(results.get_by_role("link", name="Kugellager aus Edelstahl")).to_be_visible()
        assert filters.get_attribute("open") is not None

        # An HS code in the search box: the listings under it, said so, with the way back to words.
        search = in_reach(buyer.get_by_role("searchbox", name=de("Search")))
        search.fill("8482.10")
        search.press("Enter")
        note = de("The search box holds an HS code: these are the listings under %(code)s.") % {"code": "8482.10"}
        expect(buyer.get_by_text(note)).to_be_visible()
        expect(results.get_by_role("link", name="Kugellager aus Edelstahl")).to_be_visible()
        expect(results.get_by_role("link", name="Spindle unit 8482 series")).to_have_count(0)
        expect(results.get_by_role("link", name="Deep groove ball bearing 6204")).to_have_count(0)  # MOQ 1000
        phone.look(buyer, "hs-code")

        # English: the same page, the same search.
        in_reach(buyer.get_by_role("link", name="English")).click()
        expect(buyer.get_by_role("heading", level=1)).to_have_text(en("Catalog"))
        query = set(buyer.url.split("?", 1)[1].split("&"))
        assert {"q=8482.10", "moq_max=500", "currency=JPY", "limit=5", "lang=en"} <= query, buyer.url
        expect(buyer.get_by_role("searchbox", name=en("Search"))).to_have_value("8482.10")
        note = en("The search box holds an HS code: these are the listings under %(code)s.") % {"code": "8482.10"}
        expect(buyer.get_by_text(note)).to_be_visible()
        results = buyer.get_by_role("region", name=en("Results"))
        expect(results.get_by_role("link", name="Kugellager aus Edelstahl")).to_be_visible()
        phone.look(buyer, "english")
        context.close()

    assert not phone.too_wide(), f"pages wider than a {PHONE} px phone: {phone.too_wide()}"
    print(f"scroll widths at {PHONE} px: {phone.widths}; screenshots in {tmp_path}")


def test_a_storefront_counts_its_listings_and_names_a_refused_parameter_in_japanese_on_a_phone(
    browser: Any, platform: Platform, orgs: Orgs, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    exporter = orgs.exporter()
    with platform.db.session() as s:
        from marketplace.accounts.models import Organization

        slug = s.get(Organization, exporter.organization_id).slug
    for n in range(3):
        put(platform, exporter, {"en": (f"Ball bearing 620{n}", ""), "ja": (f"深溝玉軸受 620{n}", "")})
    ja = words("ja")

    with serving(platform) as site:
        phone = Phone(site, tmp_path)
        context = browser.new_context(viewport={"width": PHONE, "height": HEIGHT}, locale="ja-JP")
        buyer = context.new_page()
        buyer.set_default_timeout(TIMEOUT_MS)
        buyer.goto(f"{site}/s/{slug}?q=軸受")
        expect(buyer.get_by_role("status")).to_have_text("3件")
        expect(buyer.get_by_role("link", name="深溝玉軸受 6201")).to_be_visible()
        phone.look(buyer, "storefront-count")

        # A parameter its form does not show (a link from elsewhere): named above the form, by its label.
        with buyer.expect_response(lambda r: "lead_time_max" in r.url) as answer:
            buyer.goto(f"{site}/s/{slug}?q=軸受&lead_time_max=0")
        assert answer.value.status == 400
        alert = buyer.get_by_role("alert")
        expect(alert).to_contain_text(ja("The search was not run:"))
        expect(alert).to_contain_text("「" + ja("Lead time at most (days)") + "」")
        expect(buyer.get_by_role("link", name="深溝玉軸受 6201")).to_have_count(0)
        expect(buyer.get_by_role("searchbox", name=ja("Search this exporter’s listings"))).to_have_value("軸受")
        phone.look(buyer, "storefront-refused")
        context.close()

    assert not phone.too_wide(), f"pages wider than a {PHONE} px phone: {phone.too_wide()}"
