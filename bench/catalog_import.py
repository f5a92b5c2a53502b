"""Catalog import throughput: a file of new products, checked and written in one transaction, on PostgreSQL.

    python bench/catalog_import.py --rows 50000 [--database postgresql+psycopg://...] [--json]

Without --database it creates a scratch database beside TRADEWIND_TEST_POSTGRES (default
postgresql://postgres@127.0.0.1:5432/test) and drops it afterwards. Prints rows, seconds and rows per
second of `import_rows` (the checking and writing, not reading the file), then of a second run of the same
rows (nothing changes)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid

from marketplace.accounts.models import Organization
from marketplace.catalog.bulk_import import import_rows
from marketplace.db import Database
from marketplace.platform import migrate

TARGET_SECONDS_50K = 60.0


def sample_rows(count: int) -> list[dict[str, str]]:
    """`count` products as an exporter's file has them: two price tiers, two Incoterms, two languages."""
    return [
        {
            "sku": f"BRG-{n:06d}",
            "hs_code": "8482.10",
            "origin": "DE",
            "unit": "PCE",
            "moq": "100",
            "lead_time_days": "30",
            "stock": str(n % 5000),
            "currency": "EUR",
            "price_tiers": f"1:{12 + n % 50}.50;100:{11 + n % 50}.90",
            "incoterms": "FOB Hamburg;CIF Yokohama",
            "visibility": "public",
            "title_en": f"Deep groove ball bearing type {n}",
            "description_en": "Sealed both sides, C3 clearance",
            "title_de": f"Rillenkugellager Typ {n}",
            "description_de": "Beidseitig abgedichtet, Lagerluft C3",
        }
        for n in range(count)
    ]


def scratch_database() -> tuple[str, str, str]:
    """(url of a new empty database, the server's admin URL, its name)."""
    import psycopg

    base = os.environ.get("TRADEWIND_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"tradewind_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + f"/{name}"
    return url.replace("postgresql://", "postgresql+psycopg://", 1), base, name


def drop_database(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(url: str, count: int) -> dict[str, float]:
    """Import `count` new rows into a fresh exporter of the database at `url`, then the same rows again."""
    migrate(url)
    database = Database(url)
    try:
        suffix = uuid.uuid4().hex[:8]
        with database.session() as session:
            org = Organization(
                name="Bench Exporter",
                kind="exporter",
                country="DE",
                currency="EUR",
                locale="en",
                slug=f"bench-{suffix}",
            )
            session.add(org)
        rows = sample_rows(count)
        started = time.perf_counter()
        with database.session() as session:
            report = import_rows(session, session.merge(org), rows)
        seconds = time.perf_counter() - started
        assert report.ok and report.created == count, report.summary()
        started = time.perf_counter()
        with database.session() as session:
            again = import_rows(session, session.merge(org), rows)
        unchanged_seconds = time.perf_counter() - started
        assert again.unchanged == count, again.summary()
    finally:
        database.dispose()
    return {
        "rows": count,
        "seconds": round(seconds, 2),
        "rows_per_s": round(count / seconds, 1),
        "unchanged_seconds": round(unchanged_seconds, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--database", help="a PostgreSQL URL to use (default: a scratch database, dropped after)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    scratch = None
    url = args.database
    if not url:
        url, base, name = scratch_database()
        scratch = (base, name)
    try:
        result = measure(url, args.rows)
    finally:
        if scratch:
            drop_database(*scratch)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['rows']} rows in {result['seconds']} s: {result['rows_per_s']} rows/s")
        print(f"the same rows again (unchanged): {result['unchanged_seconds']} s")
    limit = TARGET_SECONDS_50K * args.rows / 50_000
    return 0 if result["seconds"] <= limit else 1


if __name__ == "__main__":
    sys.exit(main())
