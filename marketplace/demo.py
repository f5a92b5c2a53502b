"""The demo story: one cross-border trade from catalog to an auditor's independent verification."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from web3 import Web3

from ledger.store import OutboxTx
from ledger.verify import Report, verify_bundle
from marketplace.accounts.models import Organization, Role, User
from marketplace.accounts.service import create_organization, create_user
from marketplace.catalog.models import Listing
from marketplace.catalog.schemas import ListingIn
from marketplace.catalog.service import create_listing, view_listing
from marketplace.demo_catalog import seed_catalog
from marketplace.platform import Platform
from marketplace.rfq.service import create_rfq, submit_quote
from marketplace.trades import actions
from marketplace.trades import service as trades
from marketplace.trades.models import Trade
from marketplace.validate import hs_display
from marketplace.worker import Worker

PASSWORD = "tradewind-demo"
STORY_SKU = "6204-2RS"
EXPORTER = "anna@hanseatic-bearings.example"
BUYER = "kenji@osaka-precision.example"
AUDITOR = "maria@harbour-audit.example"
ARBITER = "desk@arbitration.tradewind.example"
BILL_OF_LADING = (
    "BILL OF LADING HLCUHAM2611001\nShipper: Hanseatic Bearings GmbH, Hamburg\n"
    "Consignee: Osaka Precision K.K., Osaka\nVessel: CAPE TRADEWIND 611E\nPort of loading: Hamburg\n"
    "Port of discharge: Osaka\n5,000 pcs deep groove ball bearings 6204-2RS, HS 8482.10, 12 cartons\n"
)


def seed(platform: Platform) -> dict[str, int]:
    """Four organizations with a user each, the story's listing in three languages, and the demo catalog
    around it (marketplace.demo_catalog). Idempotent."""
    with platform.db.session() as session:
        existing = session.scalar(select(User).where(User.email == EXPORTER))
        if existing is not None:
            listing = session.scalar(
                select(Listing).where(Listing.organization_id == existing.organization_id, Listing.sku == STORY_SKU)
            )
        else:
            listing = _seed_story(session, platform)
        seed_catalog(session, platform, _user(session, BUYER).organization)
        return {"listing": listing.id}


def _seed_story(session: Any, platform: Platform) -> Listing:
    """The story's organizations, users and listing."""
    orgs: dict[str, Organization] = {}
    for key, name, kind, country, currency, locale, email, person in (
        ("exporter", "Hanseatic Bearings GmbH", "exporter", "DE", "EUR", "de", EXPORTER, "Anna Becker"),
        ("buyer", "Osaka Precision K.K.", "buyer", "JP", "JPY", "ja", BUYER, "Kenji Sato"),
        ("auditor", "Harbour Audit LLP", "auditor", "GB", "GBP", "en", AUDITOR, "Maria Lopez"),
        ("arbiter", "Tradewind Arbitration Desk", "arbiter", "SG", "USD", "en", ARBITER, "Arbitration Desk"),
    ):
        orgs[key] = create_organization(
            session,
            platform.keybox,
            platform.ctx,
            name=name,
            kind=kind,
            country=country,
            currency=currency,
            locale=locale,
        )
        create_user(session, orgs[key], email=email, name=person, password=PASSWORD, role=Role.ADMIN)
    exporter = session.scalar(select(User).where(User.email == EXPORTER))
    listing = create_listing(
        session,
        exporter,
        ListingIn.model_validate(
            {
                "sku": STORY_SKU,
                "hs_code": "8482.10",
                "unit": "PCE",
                "moq": 1000,
                "lead_time_days": 21,
                "stock": 48000,
                "price_tiers": [
                    {"min_quantity": 1000, "unit_price": "2.35"},
                    {"min_quantity": 10000, "unit_price": "2.12"},
                ],
                "incoterms": [{"rule": "FOB", "place": "Hamburg"}, {"rule": "CIF", "place": "Osaka"}],
                "source_locale": "de",
                "translations": {
                    "de": {
                        "title": "Rillenkugellager 6204-2RS",
                        "description": "Beidseitig abgedichtet, C3, 20×47×14 mm.",
                    },
                    "en": {
                        "title": "Deep groove ball bearing 6204-2RS",
                        "description": "Sealed both sides, C3, 20×47×14 mm.",
                    },
                    "ja": {"title": "深溝玉軸受 6204-2RS", "description": "両側シール、C3すきま、20×47×14 mm。"},
                },
            }
        ),
    )
    return listing


def _user(session: Any, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


@dataclass
class StoryResult:
    """What the demo did, as `--json` prints it."""

    chain_id: int
    contracts: dict[str, str]
    deployment: dict[str, Any]
    deal_id: str
    transactions: dict[str, str | None]
    settlement_root: str
    bundle: dict[str, Any]
    report: Report

    def as_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "contracts": self.contracts,
            "deployment": self.deployment,
            "deal_id": self.deal_id,
            "transactions": self.transactions,
            "settlement_root": self.settlement_root,
            "bundle": self.bundle,
            "verified": self.report.verified,
            "checks": self.report.as_json()["checks"],
        }


def _tx_line(w3: Web3, tx_hash: str | None) -> str:
    if not tx_hash:
        return "-"
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    return f"{tx_hash} (block {receipt['blockNumber']}, gas {receipt['gasUsed']:,})"


def run_story(platform: Platform, say: Callable[[str], None], auditor_w3: Web3 | None = None) -> StoryResult:
    """Run the whole story, printing each step through `say`."""
    ctx, w3 = platform.ctx, platform.w3
    worker = Worker(platform)
    say(f"Chain {ctx.chain_id}: TradeEscrow {ctx.contracts.escrow}")
    say(f"  SettlementRegistry {ctx.contracts.registry}, stablecoin tUSD {ctx.contracts.token}")
    ids = seed(platform)
    worker.drain()  # faucet: gas and test stablecoins for the new wallets

    with platform.db.session() as s:
        exporter, buyer = _user(s, EXPORTER), _user(s, BUYER)
        listing = s.get(Listing, ids["listing"])
        seller_view = view_listing(listing, "de", "EUR", platform.rates)
        say(
            f"1. {exporter.organization.name} ({exporter.organization.country}) lists "
            f"\u201c{seller_view.title}\u201d at {seller_view.price.format('de')}/{listing.unit}, "
            f"MOQ {listing.moq}, {listing.offer}, HS {hs_display(listing.hs_code)}"
        )
        buyer_view = view_listing(listing, buyer.organization.locale, buyer.organization.currency, platform.rates)
        say(
            f"2. {buyer.organization.name} ({buyer.organization.country}) sees \u201c{buyer_view.title}\u201d at "
            f"{buyer_view.local_price.format('ja')}/{listing.unit} (ECB {buyer_view.rate.base}/"
            f"{buyer_view.rate.quote} {buyer_view.rate.rate} of {buyer_view.rate.source_date})"
        )
        rfq = create_rfq(s, buyer, listing_id=listing.id, quantity=5000, message="Delivery to Osaka, please.")
        say(f"3. {buyer.name} sends RFQ #{rfq.id} for {rfq.quantity:,} {listing.unit}")
        quote = submit_quote(
            s, exporter, rfq.id, unit_price="2.20", note="Volume price for 5,000 pcs", payment_schedule="30/70"
        )
        say(
            f"4. {exporter.name} quotes {quote.unit_price.format('de')}/{listing.unit}, total "
            f"{quote.total.format('de')}, 30% against shipping documents and 70% on receipt "
            f"(revision {quote.revision}, hash {quote.hash[:18]}…)"
        )
        trade = trades.accept_quote(s, buyer, quote.id, ctx=ctx, keybox=platform.keybox, rates=platform.rates)
        money = trades.amounts(trade)
        jpy = platform.rates.rate(money["quote"].currency, "JPY").convert(money["quote"])
        fx = trade.terms.details["fx"]
        say(
            f"5. {buyer.name} accepts: trade {trade.reference}, {money['quote'].format('de')} = {jpy.format('ja')}"
            f" = {money['settlement'].format('en')} in tUSD (ECB {fx['base']}/{fx['quote']} {fx['rate']} of "
            f"{fx['source_date']}); terms digest {trade.terms_digest}"
        )
        trade_id = trade.id
        actions.fund(s, buyer, trade_id, ctx)
    worker.drain()

    with platform.db.session() as s:
        trade = s.get(Trade, trade_id)
        paid = trades.amounts(trade)["settlement"].format("en")
        say(
            f"6. {trade.buyer.name} funds escrow with {paid} in tUSD ({trade.terms.amount:,} base units): "
            f"open {_tx_line(w3, trade.open_tx)} -> {trade.status}"
        )
        doc_hash = actions.document_hash(BILL_OF_LADING.encode())
        actions.mark_shipped(s, _user(s, EXPORTER), trade_id, ctx, doc_hash)
    worker.drain()

    with platform.db.session() as s:
        trade = s.get(Trade, trade_id)
        say(
            f"7. {trade.seller.name} ships, bill of lading SHA-256 {trade.document_hash}: "
            f"{_tx_line(w3, trade.ship_tx)} -> {trade.status}"
        )
        actions.release_milestone(s, _user(s, BUYER), trade_id, ctx, 0)
    worker.drain()

    with platform.db.session() as s:
        trade = s.get(Trade, trade_id)
        first = trade.terms.tranches[0]
        milestone_tx = s.scalar(select(OutboxTx.tx_hash).where(OutboxTx.reference == f"trade:{trade_id}:milestone"))
        say(
            f"8. {trade.buyer.name} releases milestone 1 against the shipping documents: {first:,} base units to "
            f"{trade.seller.name}: {_tx_line(w3, milestone_tx)}"
        )
        actions.confirm_receipt(s, _user(s, BUYER), trade_id, ctx)
    worker.drain()

    with platform.db.session() as s:
        trade = s.get(Trade, trade_id)
        say(
            f"9. {trade.buyer.name} confirms receipt; escrow pays the remaining {trade.terms.tranches[1]:,} base "
            f"units to {trade.seller.name}: release {_tx_line(w3, trade.close_tx)} -> {trade.status}"
        )
        batch = trade.batch
        say(f"10. Settlement anchored: batch #{batch.id}, root {batch.root}, anchor {_tx_line(w3, batch.anchor_tx)}")
        bundle = trades.proof_bundle(trade, ctx)
        transactions = {
            "open": trade.open_tx,
            "ship": trade.ship_tx,
            "milestone": milestone_tx,
            "release": trade.close_tx,
            "anchor": batch.anchor_tx,
        }
        deal_id, root = trade.terms_digest, batch.root

    report = verify_bundle(bundle, auditor_w3 or w3, ctx.manifest)
    say(
        "11. Auditor verifies the proof bundle against the chain and the platform's published deployment "
        "(/.well-known/tradewind.json), without our database:"
    )
    for check in report.checks:
        say(f"    [{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    say("VERIFIED" if report.verified else "VERIFICATION FAILED")
    return StoryResult(
        ctx.chain_id, ctx.contracts.as_json(), ctx.manifest.as_json(), deal_id, transactions, root, bundle, report
    )


def seed_trade_in_progress(platform: Platform) -> None:
    """For `serve --demo`: one accepted and funded trade, so every page has something to show."""
    with platform.db.session() as s:
        if s.scalar(select(Trade)) is not None:
            return
        ids = seed(platform)
        exporter, buyer = _user(s, EXPORTER), _user(s, BUYER)
        rfq = create_rfq(s, buyer, listing_id=ids["listing"], quantity=2000)
        quote = submit_quote(s, exporter, rfq.id, unit_price="2.30")
        trade = trades.accept_quote(s, buyer, quote.id, ctx=platform.ctx, keybox=platform.keybox, rates=platform.rates)
        actions.fund(s, buyer, trade.id, platform.ctx)
