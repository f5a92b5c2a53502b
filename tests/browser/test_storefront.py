"""The storefront, a settlement proof and the profile form on a 390 px phone, in Japanese and German:
nothing wider than the screen."""

from __future__ import annotations

from typing import Any

from marketplace.trades import actions
from tests.browser.conftest import serving
from tests.conftest import PASSWORD, Orgs, org_of
from tests.marketplace import flow

PHONE, HEIGHT = 390, 844
DOC = "0x" + "ef" * 32


def test_storefront_pages_fit_a_phone(browser: Any, platform, worker, tmp_path) -> None:  # type: ignore[no-untyped-def]
    orgs = Orgs(platform)
    exporter, buyer = orgs.exporter(), orgs.buyer()
    worker.drain()
    trade_id = flow.funded(platform, worker, exporter, buyer)
    flow.act(platform, worker, actions.mark_shipped, exporter, trade_id, DOC)
    flow.act(platform, worker, actions.confirm_receipt, buyer, trade_id)
    worker.drain()
    reference, slug = flow.trade(platform, trade_id).reference, org_of(platform, exporter).slug
    widths: dict[str, int] = {}
    with serving(platform) as base:
        for locale in ("ja", "de"):
            context = browser.new_context(viewport={"width": PHONE, "height": HEIGHT}, locale=locale)
            page = context.new_page()
            page.goto(f"{base}/login?lang={locale}")
            page.fill("#email", exporter.email)
            page.fill("#password", PASSWORD)
            page.locator("main form button").click()
            page.wait_for_url(lambda url: "/login" not in url)
            for name, path in [
                ("storefront", f"/s/{slug}"),
                ("proof", f"/s/{slug}/proofs/{reference}"),
                ("profile", "/org/profile"),
            ]:
                page.goto(base + path)
                page.screenshot(path=str(tmp_path / f"{locale}-{name}.png"), full_page=True)
                widths[f"{locale} {name}"] = page.evaluate("document.scrollingElement.scrollWidth")
            assert page.locator("#founded_year").is_visible()
            context.close()
    assert {name: width for name, width in widths.items() if width > PHONE + 1} == {}
