"""The web benchmark: its seeding (the catalog import's bulk writer) writes what the app writes, and a tiny run
prints sane figures."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import select

from bench.bulk_seed import write_catalog
from marketplace.accounts.service import create_organization
from marketplace.catalog.models import Listing, ListingSearch
from marketplace.catalog.sample import EXPORTERS, ensure_subcategories, sample_listings
from marketplace.catalog.schemas import ListingIn
from marketplace.catalog.service import apply_listing, listing_data
from marketplace.platform import Platform
from tests.conftest import ROOT

pytestmark = pytest.mark.postgres


def test_bulk_seeded_listings_are_what_apply_listing_writes(pg_platform: Platform) -> None:
    profile = EXPORTERS[2]
    with pg_platform.db.session() as s:
        ensure_subcategories(s)
        orgs = [
            create_organization(
                s,
                pg_platform.keybox,
                pg_platform.ctx,
                name=f"{profile.name} {n}",
                kind="exporter",
                country=profile.country,
                currency=profile.currency,
                locale=profile.locale,
            )
            for n in (1, 2)
        ]
        buyer = create_organization(
            s,
            pg_platform.keybox,
            pg_platform.ctx,
            name="Buyer",
            kind="buyer",
            country="JP",
            currency="JPY",
            locale="ja",
        )
        rows = list(sample_listings(profile, 80, 5, audience=(buyer.slug,), draft_share=0.1, restricted_share=0.1))
        for row in rows:
            apply_listing(s, orgs[0], ListingIn.model_validate(row))
        ids = (orgs[0].id, orgs[1].id)
    written_ids = write_catalog(pg_platform.config.database_url, [(ids[1], rows[:50]), (ids[1], rows[50:])])
    assert len(written_ids) == len(rows) == len(set(written_ids))

    columns = ("sku", "category_id", "price_minor", "source_locale", "status", "visibility", "origin", "currency")
    with pg_platform.db.session() as s:
        written = {
            org: {x.sku: x for x in s.scalars(select(Listing).where(Listing.organization_id == org))} for org in ids[:2]
        }
        assert len(written[ids[1]]) == len(rows) == len(written[ids[0]])
        for sku, by_app in written[ids[0]].items():
            bulk = written[ids[1]][sku]
            assert listing_data(bulk) == listing_data(by_app)
            assert [getattr(bulk, c) for c in columns] == [getattr(by_app, c) for c in columns]
            assert (bulk.published_at is None) == (by_app.published_at is None)
        assert {x.visibility for x in written[ids[1]].values()} == {"public", "restricted"}
        searched = {r.listing_id: r for r in s.scalars(select(ListingSearch))}
        same = ("state", "category_id", "origin", "hs_code", "incoterms", "moq", "lead_time_days", "price_eur_micro")
        for sku, by_app in written[ids[0]].items():
            bulk, app = searched[written[ids[1]][sku].id], searched[by_app.id]
            assert [getattr(bulk, c) for c in (*same, "title_terms", "body_terms")] == [
                getattr(app, c) for c in (*same, "title_terms", "body_terms")
            ]
            assert (bulk.published_us == 0) == (app.published_us == 0)
        # the id sequence moved past the copied rows: the app's next listing gets a fresh id
        later = apply_listing(
            s, s.merge(orgs[0]), ListingIn.model_validate(next(sample_listings(profile, 1, 6, start=1000)))
        )[0]
        assert later.id > max(x.id for x in written[ids[1]].values())


@pytest.mark.anvil
def test_a_tiny_benchmark_run_prints_its_figures(postgres_url: str, anvil_installed: None) -> None:
    command = [sys.executable, "bench/web.py", "--listings", "300", "--seconds", "1", "--import-rows", "20"]
    command += ["--workers", "1", "--concurrency", "2"]  # the defaults (2 workers, 8 clients) in a quick run
    result = subprocess.run(
        [*command, "--database", postgres_url, "--json"], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout)
    assert set(figures) == {
        "listings",
        "search_p95_ms",
        "filtered_search_p95_ms",
        "detail_rps",
        "bare_rps",
        "detail_ratio",
        "import_rows_per_s",
        "first_search_p50_ms",
        "first_search_max_ms",
    }
    assert figures["listings"] == 320
    assert 0 < figures["first_search_p50_ms"] <= figures["first_search_max_ms"]
    assert 0 < figures["search_p95_ms"] < 30_000 and 0 < figures["filtered_search_p95_ms"] < 30_000
    assert figures["detail_rps"] > 0 and figures["bare_rps"] > 0 and figures["import_rows_per_s"] > 0
    assert figures["detail_ratio"] == pytest.approx(figures["detail_rps"] / figures["bare_rps"], abs=0.001)
    assert "errors 0" in result.stderr.splitlines()[-1]  # the bare endpoint answered every request
