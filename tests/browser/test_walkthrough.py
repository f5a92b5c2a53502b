"""One trade from RFQ to anchored settlement, clicked through the pages in a real browser (Chromium), by the
exporter, the buyer and the auditor; every page is looked at on a desktop and on a phone and must fit the phone."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.manifest import WELL_KNOWN_PATH, load_manifest
from ledger.verify import verify_bundle
from marketplace.accounts.models import Organization, User
from marketplace.platform import Platform
from tests.conftest import PASSWORD, Orgs

DESKTOP, PHONE = 1280, 390
HEIGHT = 844
PHONE_HEADER = 100  # px: the header leaves a phone's screen to the page
CHAIN_WAIT = 60.0  # seconds the worker gets to confirm one step


@dataclass
class Walk:
    """Pages seen on the way: a screenshot at each width, the phone's scroll width of each."""

    base: str
    shots: Path
    widths: dict[str, int] = field(default_factory=dict)
    headers: dict[str, int] = field(default_factory=dict)

    def person(self, browser: Any, user: User) -> Any:
        """A browser of its own for `user`, signed in through the login form."""
        page = browser.new_context(viewport={"width": PHONE, "height": HEIGHT}).new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{self.base}/login")
        page.fill("#email", user.email)
        page.fill("#password", PASSWORD)
        page.click("form.stack button")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    def look(self, page: Any, name: str) -> None:
        """Screenshot the page on a desktop, then on a phone, and note how wide it is on the phone."""
        for width in (DESKTOP, PHONE):
            page.set_viewport_size({"width": width, "height": HEIGHT})
            page.screenshot(path=str(self.shots / f"{len(self.widths):02d}-{name}-{width}.png"), full_page=True)
        assert page.evaluate("window.innerWidth") == PHONE
        self.widths[name] = page.evaluate("document.documentElement.scrollWidth")
        self.headers[name] = page.evaluate("Math.ceil(document.querySelector('header').getBoundingClientRect().height)")

    def too_wide(self) -> dict[str, int]:
        return {name: width for name, width in self.widths.items() if width > PHONE}

    def tall_headers(self) -> dict[str, int]:
        return {name: height for name, height in self.headers.items() if height > PHONE_HEADER}


def in_reach(page: Any, selector: str) -> Any:
    """The element, asserted to lie within the phone's width as the page opens (no sideways scrolling)."""
    element = page.locator(selector).first
    box = element.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE, f"{selector} is off screen on a phone: {box}"
    return element


def until(page: Any, selector: str) -> Any:
    """Reload until `selector` shows up: the worker confirms chain steps in the background."""
    deadline = time.monotonic() + CHAIN_WAIT
    while page.locator(selector).count() == 0:
        assert time.monotonic() < deadline, f"{selector} never appeared on {page.url}"
        time.sleep(0.3)
        page.reload()
    return page.locator(selector).first


def test_one_trade_from_rfq_to_anchored_settlement_in_the_browser(
    browser: Any, site: str, orgs: Orgs, platform: Platform, tmp_path: Path
) -> None:
    walk = Walk(site, tmp_path)
    exporter = orgs.exporter(locale="en", currency="EUR")
    buyer = orgs.buyer()  # reads Japanese, pays in yen
    auditor = orgs.auditor()
    rename(platform, exporter, "Hanseatische Wälzlager-Handelsgesellschaft mbH & Co. KG")
    rename(platform, buyer, "横浜精密機械工業株式会社 調達本部")
    seller, customer, desk = (walk.person(browser, u) for u in (exporter, buyer, auditor))
    sku = f"DGBB6204{exporter.organization_id}2RSC3SEALEDDEEPGROOVEBALLBEARINGLOT"  # no break opportunity

    # The exporter publishes a listing.
    seller.goto(f"{site}/dashboard")
    walk.look(seller, "exporter-dashboard")
    seller.click('header a[href="/listings/new"]')
    walk.look(seller, "new-listing")
    for name, value in {
        "#sku": sku,
        "#hs_code": "8482.10",
        "#moq": "100",
        "#price_tiers": "100:4.00;1000:3.90",
        "#incoterms": "FOB Hamburg-Waltershof/EurogateContainerTerminalHamburgBurchardkai;CIF Yokohama",
        "#title_en": "Deep groove ball bearing 6204-2RS",
        "#title_ja": "深溝玉軸受 6204-2RS",
        "#description_en": "Sealed, C3 clearance",
    }.items():
        seller.fill(name, value)
    seller.click("form.stack .actions button")
    seller.wait_for_url(re.compile(r"/listings/\d+$"))
    listing_path = seller.url.removeprefix(site)

    # A visitor who is not signed in sees it too.
    visitor = browser.new_page(viewport={"width": PHONE, "height": HEIGHT})
    visitor.goto(f"{site}{listing_path}")
    assert visitor.locator(f'a[href^="/login?next={listing_path}"]').count() == 1
    walk.look(visitor, "listing-visitor")
    visitor.close()

    # The buyer finds it in the catalog and sends an RFQ.
    customer.goto(f"{site}/listings/")
    walk.look(customer, "catalog")
    customer.click(f'a[href="{listing_path}"]')
    assert "深溝玉軸受" in customer.inner_text("h1")
    walk.look(customer, "listing")
    customer.fill("#quantity", "300")
    customer.click('form[action="/rfqs/"] button')
    customer.wait_for_url(re.compile(r"/rfqs/\d+$"))
    rfq_path = customer.url.removeprefix(site)

    # The exporter quotes, 30 % on shipment and 70 % on receipt.
    seller.goto(f"{site}/dashboard")
    walk.look(seller, "exporter-dashboard-rfq")
    seller.click(f'a[href="{rfq_path}"]')
    walk.look(seller, "rfq-quote-form")
    seller.fill("#unit_price", "3.80")
    seller.fill("#payment_schedule", "30/70")
    seller.click(f'form[action="{rfq_path}/quotes"] button')
    seller.locator("table td.mono").wait_for()  # the revision and its hash

    # The buyer accepts and funds the escrow.
    customer.goto(f"{site}{rfq_path}")
    walk.look(customer, "rfq-with-quote")
    in_reach(customer, 'form[action*="/accept"] button').click()
    customer.wait_for_url(re.compile(r"/trades/\d+$"))
    trade_path = customer.url.removeprefix(site)
    walk.look(customer, "trade-to-fund")
    customer.click(f'form[action="{trade_path}/fund"] button')
    until(customer, "h1 .badge.funded")
    walk.look(customer, "trade-funded")

    # The exporter marks it shipped with the bill of lading.
    seller.goto(f"{site}{trade_path}")
    bill = tmp_path / "bill-of-lading.pdf"
    bill.write_bytes(b"%PDF-1.4 BILL OF LADING HAMBURG-YOKOHAMA 42")
    seller.set_input_files("#document", str(bill))
    walk.look(seller, "trade-to-ship")
    seller.click(f'form[action="{trade_path}/ship"] button')
    until(seller, "h1 .badge.shipped")
    walk.look(seller, "trade-shipped")

    # The buyer pays the first milestone, then confirms receipt and releases the rest.
    customer.goto(f"{site}{trade_path}")
    customer.select_option(f'form[action="{trade_path}/milestone"] select', "1")
    customer.click(f'form[action="{trade_path}/milestone"] button')
    until(customer, f'form[action="{trade_path}/release"] button').click()
    until(customer, "h1 .badge.released")
    assert customer.locator("td .badge.released").count() == 2  # both milestones shown paid

    # The settlement gets anchored; the buyer downloads its proof bundle, which verifies on the chain.
    download_link = until(customer, f'a[href="{trade_path}/bundle.json"]')
    walk.look(customer, "trade-anchored")
    with customer.expect_download() as download:
        download_link.click()
    bundle = json.loads(Path(download.value.path()).read_text())
    assert verify_bundle(bundle, platform.w3, load_manifest(site + WELL_KNOWN_PATH)).verified

    # The auditor sees it among the anchored settlements.
    desk.goto(f"{site}/audit/")
    walk.look(desk, "audit")
    in_reach(desk, f'a[href="{trade_path}/bundle.json"]')
    customer.goto(f"{site}/trades/")
    walk.look(customer, "trades-list")
    customer.goto(f"{site}/dashboard")
    walk.look(customer, "buyer-dashboard")
    customer.goto(f"{site}/tokens")
    customer.click('form[action="/tokens"] button')
    customer.locator("#new-token .mono").wait_for()  # shown once, a long unbroken string
    walk.look(customer, "tokens")
    for lang in ("de", "ja"):  # the exporter switches language: the longest words must fit too
        seller.goto(f"{site}{rfq_path}?lang={lang}")
        walk.look(seller, f"rfq-{lang}")
        seller.goto(f"{site}{trade_path}?lang={lang}")
        walk.look(seller, f"trade-{lang}")

    keep_shots(tmp_path)
    assert not walk.too_wide(), f"pages wider than a {PHONE} px phone: {walk.too_wide()}"
    assert not walk.tall_headers(), f"headers taller than {PHONE_HEADER} px on a phone: {walk.tall_headers()}"
    print(f"scroll widths at {PHONE} px: {walk.widths}\nheader heights: {walk.headers}")


def rename(platform: Platform, user: User, name: str) -> None:
    """Give the user's organization a name as long as real ones are."""
    with platform.db.session() as s:
        s.get(Organization, user.organization_id).name = name


def keep_shots(folder: Path) -> None:
    """Copy the screenshots to TRADEWIND_SHOTS when set, to look at them after the run."""
    target = os.environ.get("TRADEWIND_SHOTS")
    if target:
        shutil.copytree(folder, target, dirs_exist_ok=True)
