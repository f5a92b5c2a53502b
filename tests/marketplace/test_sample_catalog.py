"""The sample catalog: valid, realistic listings, the same every time; the demo seeds it once."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from marketplace.accounts.models import Organization
from marketplace.catalog.hs_sections import section_of
from marketplace.catalog.models import Category, Listing, ListingTranslation
from marketplace.catalog.sample import EXPORTERS, sample_listings
from marketplace.catalog.sample_families import BY_CODE
from marketplace.catalog.schemas import ListingIn
from marketplace.config import Config
from marketplace.demo import seed
from marketplace.platform import start

SCRIPT = {"ja": re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]"), "zh_Hans": re.compile(r"[\u4e00-\u9fff]")}


def test_sample_listings_are_valid_deterministic_and_filed_under_their_hs_section() -> None:
    for exporter in EXPORTERS:
        rows = list(sample_listings(exporter, 60, seed=3, audience=("a-buyer",), restricted_share=0.2))
        assert rows == list(sample_listings(exporter, 60, seed=3, audience=("a-buyer",), restricted_share=0.2))
        assert rows != list(sample_listings(exporter, 60, seed=4))
        assert len({r["sku"] for r in rows}) == len(rows)
        for row in rows:
            listing = ListingIn.model_validate(row)
            assert section_of(listing.hs_code) == BY_CODE[row["category"]].section
            assert listing.price_tiers[0].min_quantity <= listing.moq
            prices = [t.unit_price for t in listing.price_tiers]
            assert prices == sorted(prices, reverse=True)  # a bigger order never costs more per unit
            assert set(listing.translations) == set(exporter.languages)
            for locale, pattern in SCRIPT.items():
                if locale in listing.translations:
                    assert pattern.search(listing.translations[locale].title)
            places = {o.place for o in listing.incoterms if o.rule in ("CIF", "CFR", "DAP")}
            assert not places & set(exporter.ports)  # shipped abroad, not to the port it leaves from
        assert any(r["visibility"] == "restricted" for r in rows)


def test_the_demo_seeds_a_catalog_worth_searching_and_a_second_run_adds_nothing(tmp_path: Path) -> None:
    platform = start(Config(instance_dir=tmp_path, testing=True).resolved())
    try:
        seed(platform)
        with platform.db.session() as s:
            count = s.scalar(select(func.count(Listing.id)))
            assert count >= 300
            assert s.scalar(select(func.count(func.distinct(Listing.organization_id)))) >= 8
            assert set(s.scalars(select(func.distinct(Listing.origin)))) >= {"DE", "JP", "CN", "IT", "IN", "BR"}
            assert set(s.scalars(select(func.distinct(ListingTranslation.locale)))) >= {"en", "de", "ja", "zh_Hans"}
            assert s.scalar(select(func.count()).where(Listing.status == "draft"))
            assert s.scalar(select(func.count()).where(Listing.visibility == "restricted"))
            in_subcategories = select(func.count()).where(
                Listing.category_id == Category.id, Category.parent_id.isnot(None)
            )
            assert s.scalar(in_subcategories) >= count - 1
            currencies = set(
                s.scalars(select(func.distinct(Organization.currency)).where(Organization.kind == "exporter"))
            )
            assert {"EUR", "JPY", "CNY", "INR", "BRL"} <= currencies
        seed(platform)
        with platform.db.session() as s:
            assert s.scalar(select(func.count(Listing.id))) == count
    finally:
        platform.close()
