"""The Alembic history builds exactly the schema the models declare."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from marketplace.catalog.search_index import FULLTEXT_TABLE
from marketplace.models import Base
from marketplace.platform import MIGRATIONS, migrate


def _modelled(name: str | None, kind: str, _parents: object) -> bool:
    """Everything but the database's own full-text index (SQLite's FTS5 table and its shadow tables),
    which the migrations build outside the models."""
    return not (kind == "table" and name is not None and name.split("_")[:2] == FULLTEXT_TABLE.split("_"))


def test_migrations_match_the_models(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'schema.sqlite'}"
    migrate(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": _modelled})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def _upgrade(url: str, revision: str) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, revision)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_listings_written_before_catalog_products_are_carried_over(tmp_path, request, backend: str) -> None:  # type: ignore[no-untyped-def]
    """A database with listings of the old shape (one price, one Incoterm, free-text unit, 4-digit HS code)
    upgrades without losing any of them: one tier from the MOQ, one offer, the HS section as category."""
    url = f"sqlite:///{tmp_path / 'old.sqlite'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    _upgrade(url, "0005")
    engine = create_engine(url)
    with engine.begin() as c:
        for n, name in ((1, "Hanseatic Bearings GmbH"), (2, "Hanseatic Bearings GmbH"), (3, "Ōsaka Trading K.K.")):
            c.execute(
                text(
                    "INSERT INTO organizations (id, name, kind, country, currency, locale, created_at)"
                    " VALUES (:i, :n, 'exporter', 'DE', 'EUR', 'de', CURRENT_TIMESTAMP)"
                ),
                {"i": n + 1000, "n": name},
            )
        c.execute(
            text(
                "INSERT INTO listings (id, organization_id, sku, hs_code, unit, moq, incoterm, incoterm_place,"
                " price_minor, currency, lead_time_days, active, created_at) VALUES"
                " (7001, 1001, 'OLD-1', '8482.10', 'pc', 500, 'FOB', 'Hamburg', 235, 'EUR', 21, :t, CURRENT_TIMESTAMP),"
                " (7002, 1001, 'OLD-2', '0902', 'kg', 10, 'CIF', 'Kobe', 1990, 'EUR', 7, :f, CURRENT_TIMESTAMP)"
            ),
            {"t": True, "f": False},
        )
        c.execute(
            text(
                "INSERT INTO listing_translations (listing_id, locale, title, description) VALUES"
                " (7001, 'en', 'Bearing', ''), (7001, 'de', 'Lager', ''), (7002, 'en', 'Green tea', '')"
            )
        )
    engine.dispose()
    _upgrade(url, "head")
    engine = create_engine(url)
    with engine.connect() as c:
        slugs = dict(c.execute(text("SELECT id, slug FROM organizations WHERE id > 1000")).all())
        rows = c.execute(
            text(
                "SELECT l.sku, l.hs_code, l.unit, l.origin, l.status, l.source_locale, c.code, t.min_quantity,"
                " t.unit_price_minor, o.rule, o.place FROM listings l JOIN categories c ON c.id = l.category_id"
                " JOIN price_tiers t ON t.listing_id = l.id JOIN incoterm_offers o ON o.listing_id = l.id"
                " ORDER BY l.sku"
            )
        ).all()
        sections = c.execute(text("SELECT count(*) FROM categories WHERE parent_id IS NULL")).scalar()
    engine.dispose()
    assert slugs == {1001: "hanseatic-bearings-gmbh", 1002: "hanseatic-bearings-gmbh-2", 1003: "osaka-trading-k-k"}
    assert [tuple(r) for r in rows] == [
        ("OLD-1", "848210", "PCE", "DE", "published", "de", "XVI", 500, 235, "FOB", "Hamburg"),
        ("OLD-2", "090200", "KGM", "DE", "archived", "en", "II", 10, 1990, "CIF", "Kobe"),
    ]
    assert sections == 21


def test_processes_starting_at_once_on_postgresql_migrate_in_turn(postgres_url: str) -> None:
    """gunicorn's workers each bring the schema up to date as they start: on PostgreSQL they take turns
    (an advisory lock), so every one starts, whichever migrates (two at once failed on a duplicate table)."""
    import subprocess
    import sys

    script = "import sys; from marketplace.platform import migrate; migrate(sys.argv[1])"
    starting = [
        subprocess.Popen([sys.executable, "-c", script, postgres_url], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    failures = [p.communicate(timeout=300)[1] for p in starting if p.wait(timeout=300) != 0]
    assert failures == []
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT changes FROM catalog_clock")).scalar_one() == 0
    engine.dispose()
