"""Every table of the pages on a 390 px phone, in German and Japanese: a table's header cells stand over its
columns, no cell covers another or spills out of itself, and what does not fit scrolls inside the table's
own box (the page never gets wider than the phone) or is laid out as one card per row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from marketplace.accounts.service import issue_token
from marketplace.catalog.service import create_listing
from marketplace.platform import Platform
from marketplace.rfq.models import Quote
from marketplace.trades import actions
from marketplace.trades.models import Trade
from marketplace.worker import Worker
from tests.browser.conftest import serving
from tests.browser.test_catalog import rename
from tests.conftest import PASSWORD, Orgs
from tests.marketplace import flow

PHONE, HEIGHT = 390, 844

TABLE_PROBLEMS = """() => {
  const problems = [];
  const near = (a, b) => Math.abs(a - b) <= 1;
  document.querySelectorAll("main table").forEach((table, t) => {
    const name = `table ${t} (${table.rows[0].innerText.replace(/\\s+/g, " ").slice(0, 40)})`;
    const rows = [...table.rows].filter((row) => row.getClientRects().length);
    if (rows.every((row) => getComputedStyle(row).display === "table-row")) {  // not laid out as cards
      const columns = new Map();
      for (const row of rows) {
        let index = 0;
        for (const cell of row.cells) {
          if (cell.colSpan === 1) {
            const box = cell.getBoundingClientRect();
            if (!columns.has(index)) columns.set(index, []);
            columns.get(index).push(box);
          }
          index += cell.colSpan;
        }
      }
      for (const [index, boxes] of columns) {
        if (boxes.some((b) => !near(b.left, boxes[0].left) || !near(b.right, boxes[0].right))) {
          problems.push(`${name}: column ${index} is not aligned`);
        }
      }
    }
    rows.forEach((row, r) => {
      const cells = [...row.cells].filter((cell) => cell.getClientRects().length);
      const boxes = cells.map((cell) => cell.getBoundingClientRect());
      for (let a = 0; a < boxes.length; a++) {
        for (let b = a + 1; b < boxes.length; b++) {
          const wide = Math.min(boxes[a].right, boxes[b].right) - Math.max(boxes[a].left, boxes[b].left);
          const high = Math.min(boxes[a].bottom, boxes[b].bottom) - Math.max(boxes[a].top, boxes[b].top);
          if (wide > 1 && high > 1) problems.push(`${name}: row ${r}: cells ${a} and ${b} overlap`);
        }
      }
      cells.forEach((cell, c) => {
        if (cell.scrollWidth > cell.clientWidth + 1) problems.push(`${name}: row ${r}: cell ${c} spills out`);
      });
    });
  });
  return problems;
}"""


def look(page: Any, url: str, shot: Path) -> tuple[list[str], int]:
    """Open `url`, keep a screenshot; the problems of its tables and how wide the page scrolls."""
    page.goto(url)
    page.screenshot(path=str(shot), full_page=True)
    assert page.locator("main table").count(), f"{url} shows no table"
    return page.evaluate(TABLE_PROBLEMS), page.evaluate("document.scrollingElement.scrollWidth")


def signed_in(browser: Any, base: str, email: str, locale: str) -> Any:
    context = browser.new_context(viewport={"width": PHONE, "height": HEIGHT}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login?lang={locale}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{base}/dashboard?lang={locale}")  # signing in starts a new session: choose the language again
    return page


def test_every_table_is_usable_on_a_phone(
    browser: Any, platform: Platform, orgs: Orgs, worker: Worker, tmp_path: Path
) -> None:
    exporter, buyer, auditor = orgs.exporter(locale="en"), orgs.buyer(), orgs.auditor()
    slug = rename(platform, exporter, "Hanseatische Wälzlager-Handelsgesellschaft mbH & Co. KG")
    rename(platform, buyer, "横浜精密機械工業株式会社 調達本部")
    worker.drain()
    trade_id = flow.funded(platform, worker, exporter, buyer)
    flow.act(platform, worker, actions.mark_shipped, exporter, trade_id, "0x" + "ef" * 32)  # a document
    flow.act(platform, worker, actions.confirm_receipt, buyer, trade_id)
    worker.drain()
    with platform.db.session() as s:
        trade = s.get(Trade, trade_id)
        assert trade.batch.status == "anchored"
        reference = trade.reference
        texts = {
            "en": {"title": "Deep groove ball bearing 6205-2RS, sealed on both sides, C3 clearance"},
            "de": {"title": "Rillenkugellager 6205-2RS, beidseitig abgedichtet, Lagerluft C3"},
            "ja": {"title": "深溝玉軸受 6205-2RS 両側ゴムシール C3すきま"},
        }
        listing_id = create_listing(
            s, s.merge(exporter), flow.listing_in(sku="DGBB-6205-2RS-C3-SEALED", translations=texts, status="draft")
        ).id
        for user in (exporter, buyer):
            issue_token(s, s.merge(user), "ERP-Anbindung Produktionsplanung")
    quote_id = flow.quote(platform, exporter, buyer, sku="TBL-QUOTE")
    with platform.db.session() as s:
        rfq_id = s.get(Quote, quote_id).rfq_id
    pages = {
        exporter: [
            "/listings/mine",
            f"/s/{slug}",
            f"/s/{slug}/proofs/{reference}",
            f"/listings/{listing_id}/translations",
            f"/listings/{listing_id}",
            "/dashboard",
            "/trades/",
            f"/trades/{trade_id}",
            f"/rfqs/{rfq_id}",
            "/tokens",
        ],
        buyer: [f"/rfqs/{rfq_id}", "/dashboard", "/tokens"],
        auditor: ["/audit/"],
    }
    problems: dict[str, list[str]] = {}
    widths: dict[str, int] = {}
    with serving(platform) as base:
        for locale in ("de", "ja"):
            for user, paths in pages.items():
                page = signed_in(browser, base, user.email, locale)
                for n, path in enumerate(paths):
                    name = f"{locale} {user.email.split('@')[0]} {path}"
                    shot = tmp_path / f"{locale}-{user.email.split('@')[0]}-{n:02d}.png"
                    problems[name], widths[name] = look(page, base + path, shot)
                page.context.close()
    bad = [f"{name}: {problem}" for name, found in problems.items() for problem in found]
    assert not bad, "\n".join(bad)
    assert {name: width for name, width in widths.items() if width > PHONE + 1} == {}
