"""The catalog clicked through in a real browser (Chromium) on a 390 px phone: an exporter imports a file with
one bad row, fixes it, edits a translation and adds a picture; a buyer in Japan searches in Japanese, filters
by origin and by a price in yen, opens the listing and the exporter's storefront with its verified trade record.
Every page must fit the phone's width, with its controls in reach."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale
from babel.support import Translations
from PIL import Image, ImageDraw

from i18n import TRANSLATIONS
from marketplace.accounts.models import Organization, User
from marketplace.catalog.bulk_import import import_table
from marketplace.catalog.table import read_table
from marketplace.platform import Platform
from marketplace.pricing.money import Money
from marketplace.trades import actions
from marketplace.trades.models import Trade
from marketplace.worker import Worker
from tests.browser.conftest import serving
from tests.conftest import PASSWORD, Orgs
from tests.marketplace import flow

PHONE, HEIGHT = 390, 844
TIMEOUT_MS = 15_000

HEADER = ["sku", "category", "hs_code", "origin", "unit", "moq", "lead_time_days", "stock", "currency"]
HEADER += ["price_tiers", "incoterms", "visibility", "title_en", "description_en", "title_ja", "description_ja"]


def words(locale: str) -> Callable[[str], str]:
    """The interface's own translation of a message, to find controls by the label a user reads."""
    return Translations.load(TRANSLATIONS, [locale]).gettext


def counted(locale: str, singular: str, plural: str, num: int) -> str:
    """The interface's own plural message for `num`."""
    return Translations.load(TRANSLATIONS, [locale]).ngettext(singular, plural, num) % {"num": num}


@dataclass
class Phone:
    """Pages seen on a 390 px phone: a screenshot of each, and how wide each one scrolls."""

    base: str
    shots: Path
    widths: dict[str, int] = field(default_factory=dict)

    def person(self, browser: Any, user: User, locale: str) -> Any:
        """A browser of its own for `user` (its language `locale`), signed in through the login form."""
        context = browser.new_context(viewport={"width": PHONE, "height": HEIGHT}, locale=locale)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        t = words(locale.split("-")[0])
        page.goto(f"{self.base}/login")
        page.get_by_label(t("Email")).fill(user.email)
        page.get_by_label(t("Password")).fill(PASSWORD)
        page.locator("main").get_by_role("button", name=t("Log in")).click()
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    def look(self, page: Any, name: str) -> None:
        """Screenshot the whole page and note how wide it scrolls on the phone."""
        assert page.evaluate("window.innerWidth") == PHONE
        page.screenshot(path=str(self.shots / f"{len(self.widths):02d}-{name}.png"), full_page=True)
        self.widths[name] = page.evaluate("document.scrollingElement.scrollWidth")

    def too_wide(self) -> dict[str, int]:
        return {name: width for name, width in self.widths.items() if width > PHONE + 1}


def in_reach(locator: Any) -> Any:
    """The control, scrolled to, asserted visible and lying within the phone's width."""
    control = locator.first
    control.scroll_into_view_if_needed()
    box = control.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE + 1, f"{locator} off a phone's screen: {box}"
    return control


def catalog_file(path: Path, rows: list[dict[str, str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def product(sku: str, origin: str, tiers: str, en: str, ja: str, hs_code: str = "8482.10") -> dict[str, str]:
    return {
        "sku": sku,
        "category": "",
        "hs_code": hs_code,
        "origin": origin,
        "unit": "PCE",
        "moq": "100",
        "lead_time_days": "21",
        "stock": "5000",
        "currency": "EUR",
        "price_tiers": tiers,
        "incoterms": "FOB Hamburg;CIF Yokohama",
        "visibility": "public",
        "title_en": en,
        "description_en": f"{en}, packed by 50",
        "title_ja": ja,
        "description_ja": f"{ja}、50個入り",
    }


def picture(path: Path) -> Path:
    """A real PNG photo stand-in: 800 x 600, a gradient and a ring."""
    image = Image.new("RGB", (800, 600))
    draw = ImageDraw.Draw(image)
    for y in range(600):
        draw.line([(0, y), (800, y)], fill=(20 + y // 5, 90, 140))
    draw.ellipse([250, 150, 550, 450], outline=(230, 230, 230), width=40)
    image.save(path, "PNG")
    return path


def anchored_settlement(platform: Platform, worker: Worker, exporter: User, buyer: User) -> None:
    """One trade of the exporter settled by agreement and anchored on chain: its verified trade record."""
    worker.drain()
    trade_id = flow.funded(platform, worker, exporter, buyer)
    flow.act(platform, worker, actions.propose_settlement, exporter, trade_id, "500.00")
    flow.act(platform, worker, actions.accept_settlement, buyer, trade_id)
    worker.drain()
    with platform.db.session() as s:
        assert s.get(Trade, trade_id).batch.status == "anchored"


def products(n: int) -> list[dict[str, str]]:
    """Four products of exporter `n` (in their model numbers too): three bearings (one from Italy, one cheap) and
    a spindle unit."""
    return [
        product(f"BRG-{n}-6205", "DE", "1:50.00;100:45.00", f"Ball bearing 6205-{n}", f"深溝玉軸受 6205-{n}"),
        product(f"BRG-{n}-30205", "IT", "1:60.00", f"Tapered roller bearing 30205-{n}", f"円すいころ軸受 30205-{n}"),
        product(f"BRG-{n}-NK20", "DE", "1:5.00", f"Needle roller bearing NK20-{n}", f"針状ころ軸受 NK20-{n}"),
        product(f"SPN-{n}-90", "DE", "1:50.00", f"Spindle unit 90-{n}", f"主軸ユニット 90-{n}", hs_code="8466.93"),
    ]


def rename(platform: Platform, user: User, name: str) -> str:
    """Give the user's organization a name as long as real ones are; returns its slug."""
    with platform.db.session() as s:
        org = s.get(Organization, user.organization_id)
        org.name = name
        return org.slug


def test_an_exporter_imports_a_catalog_with_a_bad_row_fixes_it_and_edits_a_product_on_a_phone(
    browser: Any, platform: Platform, orgs: Orgs, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    exporter = orgs.exporter(locale="en", currency="EUR")
    rename(platform, exporter, "Hanseatische Wälzlager-Handelsgesellschaft mbH & Co. KG")
    rows = products(exporter.organization_id)
    wanted, skus = rows[0], [r["sku"] for r in rows]
    bad_file = catalog_file(tmp_path / "catalog-bad.csv", [wanted, {**rows[1], "hs_code": "9912.34"}, *rows[2:]])
    good_file = catalog_file(tmp_path / "catalog.csv", rows)
    en = words("en")
    file_label = en("CSV (UTF-8) or XLSX file, one product per row")

    with serving(platform) as site:
        phone = Phone(site, tmp_path)
        seller = phone.person(browser, exporter, "en-GB")

        # The file with a bad row: the row's error, and nothing imported.
        seller.get_by_role("link", name=en("Import catalog")).first.click()
        expect(seller).to_have_url(re.compile(r"/listings/import$"))
        phone.look(seller, "import")
        seller.get_by_label(file_label).set_input_files(bad_file)
        in_reach(seller.get_by_role("button", name=en("Import"))).click()
        expect(seller.get_by_text(re.compile(r"^row 3, column hs_code: \S"))).to_be_visible()
        expect(seller.get_by_text(en("Nothing was imported."))).to_be_visible()
        phone.look(seller, "import-bad-row")
        seller.get_by_role("link", name=en("My listings")).first.click()
        expect(seller.get_by_role("heading", level=1)).to_have_text(en("My listings"))
        phone.look(seller, "my-listings-before")
        for sku in skus:
            expect(seller.get_by_text(sku)).to_have_count(0)

        # Fixed, it imports: the counts; My listings shows the products.
        seller.goto(f"{site}/listings/import")
        seller.get_by_label(file_label).set_input_files(good_file)
        in_reach(seller.get_by_role("button", name=en("Import"))).click()
        expect(seller.get_by_text(en("Imported."), exact=True)).to_be_visible()
        expect(seller.get_by_text("4 created, 0 updated, 0 unchanged")).to_be_visible()
        phone.look(seller, "import-done")
        seller.get_by_role("link", name=en("My listings")).first.click()
        for sku in skus:
            expect(seller.get_by_role("row").filter(has_text=sku)).to_have_count(1)
        phone.look(seller, "my-listings")

        # The Japanese title of one product, edited on its translations page.
        row = seller.get_by_role("row").filter(has_text=wanted["sku"])
        in_reach(row.get_by_role("link", name=en("Translations"))).click()
        phone.look(seller, "translations")
        japanese = seller.get_by_role("row").filter(has_text="(ja)")
        in_reach(japanese.get_by_role("link", name=en("Edit"))).click()
        new_title = "深溝玉軸受 6205-2RS 両側ゴムシール"
        seller.get_by_label(en("Title")).fill(new_title)
        phone.look(seller, "translation-ja")
        in_reach(seller.get_by_role("button", name=en("Save translation"))).click()
        expect(japanese).to_contain_text(new_title)

        # A picture, uploaded on the edit page, shows on the listing's page.
        seller.get_by_role("link", name=en("Edit listing")).click()
        upload = seller.get_by_label(en("Add a picture (JPEG, PNG or WebP, at most 5 MB)"))
        upload.set_input_files(picture(tmp_path / "bearing.png"))
        in_reach(seller.get_by_role("button", name=en("Upload"))).click()
        first_picture = en("Picture %(number)s") % {"number": 1}
        expect(seller.get_by_role("img", name=first_picture)).to_be_visible()
        phone.look(seller, "edit-listing")
        in_reach(seller.get_by_role("link", name=en("View the listing"))).click()
        shown = seller.get_by_role("img", name=first_picture)
        expect(shown).to_be_visible()
        assert shown.evaluate("img => img.complete && img.naturalWidth") > 0, "the picture did not load"
        phone.look(seller, "listing-exporter")
        seller.goto(seller.url + "?lang=ja")
        expect(seller.get_by_role("heading", level=1)).to_contain_text(new_title)
        phone.look(seller, "listing-ja")

    assert not phone.too_wide(), f"pages wider than a {PHONE} px phone: {phone.too_wide()}"
    print(f"scroll widths at {PHONE} px: {phone.widths}")


def test_a_buyer_in_japan_searches_in_japanese_filters_in_yen_and_opens_a_storefront_on_a_phone(
    browser: Any, platform: Platform, orgs: Orgs, worker: Worker, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    exporter = orgs.exporter(locale="en", currency="EUR")
    buyer = orgs.buyer()  # reads Japanese, pays in yen
    exporter_name = "Hanseatische Wälzlager-Handelsgesellschaft mbH & Co. KG"
    slug = rename(platform, exporter, exporter_name)
    anchored_settlement(platform, worker, exporter, buyer)
    rows = products(exporter.organization_id)
    with platform.db.session() as s:
        report = import_table(
            s, s.get(Organization, exporter.organization_id), read_table(catalog_file(tmp_path / "catalog.csv", rows))
        )
        assert report.ok and report.created == 4, report.as_json()
    titles = [r["title_ja"] for r in rows]
    wanted, italian, cheap, spindle = titles
    rate = platform.rates.rate("EUR", "JPY")
    low, high = (int(rate.convert(Money.parse(v, "EUR")).amount) for v in ("30", "55"))
    ja = words("ja")

    with serving(platform) as site:
        phone = Phone(site, tmp_path)
        customer = phone.person(browser, buyer, "ja-JP")

        # A two-character query in Japanese finds the three bearings and not the spindle unit.
        customer.get_by_role("link", name=ja("Catalog")).first.click()
        phone.look(customer, "catalog")
        search = in_reach(customer.get_by_role("searchbox", name=ja("Search")))
        search.fill("軸受")
        search.press("Enter")
        expect(customer).to_have_url(re.compile(r"[?&]q=%E8%BB%B8%E5%8F%97"))
        results = customer.get_by_role("region", name=ja("Results"))
        found = {title: results.get_by_role("link", name=title, exact=True) for title in titles}
        for title in (wanted, italian, cheap):
            expect(found[title]).to_be_visible()
        expect(found[spindle]).to_have_count(0)
        phone.look(customer, "search")

        # Made in Germany (the origin facet), between 30 and 55 euros in yen: one bearing left.
        origins = customer.get_by_role("navigation", name=ja("Origin"))
        in_reach(origins.get_by_role("link", name=Locale("ja").territories["DE"])).click()
        expect(customer).to_have_url(re.compile(r"[?&]origin=DE"))
        expect(found[italian]).to_have_count(0)
        price_from = customer.get_by_label(ja("Unit price from (%(currency)s)") % {"currency": "JPY"})
        if not price_from.is_visible():
            customer.get_by_text(ja("Filters"), exact=True).click()
        in_reach(price_from).fill(str(low))
        customer.get_by_label(ja("Unit price up to (%(currency)s)") % {"currency": "JPY"}).fill(str(high))
        phone.look(customer, "search-filters")
        in_reach(customer.get_by_role("button", name=ja("Search"))).click()
        expect(customer).to_have_url(re.compile(rf"[?&]price_max={high}"))
        assert {"q=%E8%BB%B8%E5%8F%97", "origin=DE", f"price_min={low}"} <= set(customer.url.split("?")[1].split("&"))
        expect(found[wanted]).to_be_visible()
        for title in (italian, cheap, spindle):
            expect(found[title]).to_have_count(0)
        phone.look(customer, "search-filtered")

        # The listing in Japanese and yen, with the seller's own price.
        in_reach(found[wanted]).click()
        expect(customer.get_by_role("heading", level=1)).to_have_text(wanted)
        listing = customer.locator("main")
        yen = rate.convert(Money.parse("45.00", "EUR")).format("ja")
        expect(listing.locator(".price")).to_contain_text(ja("from %(price)s") % {"price": yen})  # "￥7,906～"
        expect(listing).to_contain_text(Money.parse("45.00", "EUR").format("ja"))
        phone.look(customer, "listing-buyer")

        # The exporter's storefront, with its verified trade record.
        in_reach(listing.get_by_role("link", name=exporter_name)).click()
        expect(customer).to_have_url(re.compile(rf"/s/{slug}$"))
        expect(customer.get_by_role("heading", level=1)).to_have_text(exporter_name)
        record = customer.locator("#record")
        settlements = ("%(num)s settlement anchored on chain", "%(num)s settlements anchored on chain")
        expect(record).to_contain_text(counted("ja", *settlements, 1))
        phone.look(customer, "storefront")
        in_reach(record.get_by_role("link", name=ja("proof"))).click()
        expect(customer.get_by_role("heading", level=1)).to_contain_text(ja("Settlement proof"))
        phone.look(customer, "settlement-proof")

    assert not phone.too_wide(), f"pages wider than a {PHONE} px phone: {phone.too_wide()}"
    print(f"scroll widths at {PHONE} px: {phone.widths}")
