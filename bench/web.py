"""Web benchmark on PostgreSQL: seed N sample listings, serve the real app under gunicorn, measure.

    python bench/web.py                       # 100,000 listings into a fresh database tradewind_bench
    python bench/web.py --listings 1000000    # the million the targets are stated for
    python bench/web.py --database postgresql+psycopg://postgres@127.0.0.1:5432/other --json
                                              # a database given keeps its listings: seeded up to --listings
    python bench/web.py --database ... --instance DIR   # keep the keys and chain for the next run on it

It seeds with the catalog import's bulk writer (bench/bulk_seed.py: COPY), times the listing import on
generated rows, starts gunicorn (same settings for both apps) on a local Anvil node, searches each
keyword once (the first search of a word reads its matches from the database: `first_search_*_ms`)
and again from every connection, so that both workers keep them, then loads each
scenario for --seconds at --concurrency: keyword search (en/de/ja), search with three filters, the
listing page, the API listing, then the bare endpoint of bench/bare.py (one row by primary key: the
ceiling). The load generator runs on the same machine and takes CPU from the server: on a 2-core
machine the figures are lower bounds."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench.bulk_seed import plain_url, write_catalog  # noqa: E402
from bench.load import Result, run  # noqa: E402
from ledger.localnode import LocalNode  # noqa: E402
from marketplace.accounts.models import Organization  # noqa: E402
from marketplace.accounts.service import create_organization  # noqa: E402
from marketplace.catalog.bulk_export import file_row  # noqa: E402
from marketplace.catalog.bulk_import import import_rows  # noqa: E402
from marketplace.catalog.sample import EXPORTERS, Exporter, ensure_subcategories, sample_listings  # noqa: E402
from marketplace.config import Config  # noqa: E402
from marketplace.platform import Platform, start  # noqa: E402

DEFAULT_DATABASE = "tradewind_bench"
LISTINGS_PER_EXPORTER = 12_500
BUYER = "Osaka Precision K.K."
KEYWORDS = {
    "en": (
        "bearing",
        "ball bearings",
        "stainless steel",
        "power cable",
        "ball valve",
        "centrifugal pump",
        "LED lamp",
        "cotton yarn",
        "olive oil",
        "coffee beans",
        "green tea",
        "office desk",
        "seamless pipe",
        "hex bolt",
        "porcelain",
    ),
    "de": (
        "Kugellager",
        "Edelstahl",
        "Kugelhahn",
        "Kreiselpumpe",
        "Energiekabel",
        "Baumwollgarn",
        "Olivenöl",
        "Kaffeebohnen",
        "Stahlrohr",
        "Sechskantschraube",
        "Porzellan",
    ),
    "ja": (
        "軸受",
        "ステンレス",
        "ボールバルブ",
        "ポンプ",
        "電球",
        "綿糸",
        "緑茶",
        "コーヒー",
        "鋼管",
        "磁器",
        "ケーブル",
    ),
}
ORIGINS = ("DE", "JP", "CN", "IT", "IN", "BR", "TR", "VN")
RULES = ("FOB", "CIF", "EXW", "FCA")
NOTE = "load generator and gunicorn share this machine's {cores} cores: figures are lower bounds"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database() -> str:
    """Drop and create `tradewind_bench` on 127.0.0.1:5432 (psql tools, user postgres); its URL."""
    where = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
    subprocess.run(["dropdb", *where, "--if-exists", DEFAULT_DATABASE], check=True)
    subprocess.run(["createdb", *where, DEFAULT_DATABASE], check=True)
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{DEFAULT_DATABASE}"


def seed_organizations(platform: Platform, exporters: int) -> tuple[Organization, list[tuple[Exporter, int]]]:
    """The buyer restricted listings name, and `exporters` exporters (with their organization ids) cycling
    through the sample profiles."""
    with platform.db.session() as s:
        ensure_subcategories(s)

        def org(name: str, kind: str, country: str, currency: str, locale: str) -> Organization:
            found = s.scalar(select(Organization).where(Organization.name == name))
            return found or create_organization(
                s,
                platform.keybox,
                platform.ctx,
                name=name,
                kind=kind,
                country=country,
                currency=currency,
                locale=locale,
            )

        buyer = org(BUYER, "buyer", "JP", "JPY", "ja")
        sellers = []
        for k in range(exporters):
            profile = EXPORTERS[k % len(EXPORTERS)]
            name = profile.name if k < len(EXPORTERS) else f"{profile.name} ({k // len(EXPORTERS) + 1})"
            o = org(name, "exporter", profile.country, profile.currency, profile.locale)
            sellers.append((profile, o.id))
        s.expunge(buyer)
    return buyer, sellers


def seed_catalog(url: str, platform: Platform, listings: int, seed: int) -> dict[str, Any]:
    """`listings` sample listings written by the catalog import's bulk writer; the seeding's figures."""
    exporters = max(len(EXPORTERS), listings // LISTINGS_PER_EXPORTER)
    buyer, sellers = seed_organizations(platform, exporters)

    def batches() -> Iterator[tuple[int, Iterator[dict[str, Any]]]]:
        for k, (profile, seller) in enumerate(sellers):
            share = listings // exporters + (1 if k < listings % exporters else 0)
            rows = sample_listings(
                profile, share, seed + k, audience=(buyer.slug,), draft_share=0.02, restricted_share=0.02
            )
            yield seller, rows

    started = time.perf_counter()
    ids = write_catalog(url, batches(), lambda n: log(f"  seeded {n:,} listings"))
    seconds = time.perf_counter() - started
    log(f"Seeded {len(ids):,} listings of {exporters} exporters in {seconds:.1f} s ({len(ids) / seconds:,.0f}/s)")
    return {"seed_seconds": round(seconds, 1), "exporters": exporters}


def time_import(platform: Platform, rows: int, seed: int) -> tuple[float, str]:
    """Rows per second through the catalog import (`tradewind catalog import`), for `rows` generated rows
    of a new exporter, written in one transaction."""
    profile = EXPORTERS[0]
    table = [file_row(r) for r in sample_listings(profile, rows, seed)]
    with platform.db.session() as s:
        org = create_organization(
            s,
            platform.keybox,
            platform.ctx,
            name=f"Import Benchmark {seed} GmbH",
            kind="exporter",
            country=profile.country,
            currency=profile.currency,
            locale=profile.locale,
        )
        s.commit()
        started = time.perf_counter()
        report = import_rows(s, org, table)
        s.commit()
    seconds = time.perf_counter() - started
    if not report.ok or report.created != rows:
        raise RuntimeError(f"the import refused generated rows: {report.problems[:3]}")
    return rows / seconds, "catalog.bulk_import.import_rows"


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int, threads: int, ready: str) -> Iterator[int]:
    """gunicorn serving `app` on a free port until the block ends; waits for `ready` to answer 200."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app,
    ]
    logfile = Path(env["TRADEWIND_INSTANCE"]) / f"gunicorn-{port}.log"
    with open(logfile, "wb") as out:
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=10) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn {app} did not start:\n{logfile.read_text()[-3000:]}")
            time.sleep(0.3)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def keyword(rng: random.Random) -> tuple[str, str]:
    lang = rng.choice(tuple(KEYWORDS))
    return lang, rng.choice(KEYWORDS[lang])


def scenarios(ids: list[int]) -> dict[str, Callable[[random.Random], str]]:
    """Each scenario's request, drawn at random per request."""

    def search(rng: random.Random) -> str:
        lang, q = keyword(rng)
        return "/listings/?" + urlencode({"q": q, "lang": lang})

    def filtered(rng: random.Random) -> str:
        lang, q = keyword(rng)
        query = {"q": q, "lang": lang, "origin": rng.choice(ORIGINS), "incoterm": rng.choice(RULES)}
        query["moq_max"] = str(rng.choice((100, 500, 1000, 5000)))
        return "/listings/?" + urlencode(query)

    def detail(rng: random.Random) -> str:
        return f"/listings/{rng.choice(ids)}?lang={rng.choice(tuple(KEYWORDS))}"

    def api(rng: random.Random) -> str:
        lang, q = keyword(rng)
        return "/api/v1/listings?" + urlencode({"q": q, "lang": lang, "currency": "USD", "limit": 20})

    return {"search": search, "filtered search": filtered, "listing page": detail, "API listing": api}


def get(port: int, paths: list[str]) -> list[float]:
    """GET each path in turn on one connection; the milliseconds of each (a 200 is required)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    took = []
    for target in paths:
        started = time.perf_counter()
        conn.request("GET", target)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{target} answered {response.status}")
        took.append((time.perf_counter() - started) * 1000)
    conn.close()
    return took


def first_searches(port: int, concurrency: int) -> list[float]:
    """Each keyword searched for the first time, one after another (its matches are read from the
    database), then each again from `concurrency` connections at once, so that every worker process has
    read them before the scenarios measure: the milliseconds of the first searches."""
    paths = ["/listings/?" + urlencode({"q": q, "lang": lang}) for lang, words in KEYWORDS.items() for q in words]
    first = get(port, paths)
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda n: get(port, paths[n::concurrency] + paths), range(concurrency)))
    return first


def measure(
    url: str, rpc: str, instance: Path, ids: list[int], args: argparse.Namespace
) -> tuple[dict[str, Result], Result, list[float]]:
    """Each scenario against the app, then the bare endpoint, under the same gunicorn settings."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CHAIN_RPC_URL": rpc,
        "TRADEWIND_INSTANCE": str(instance),
        "TRADEWIND_INPROCESS_WORKER": "0",
        "PYTHONPATH": str(ROOT),
    }
    warmup = min(2.0, args.seconds / 2)
    results: dict[str, Result] = {}
    with gunicorn("marketplace.wsgi:app", env, args.workers, args.threads, f"/listings/{ids[0]}") as port:
        first = first_searches(port, args.concurrency)
        log(f"first search of each keyword: p50 {statistics.median(first):.0f} ms, max {max(first):.0f} ms")
        for name, path in scenarios(ids).items():
            run(name, "127.0.0.1", port, path, warmup, args.concurrency)
            results[name] = run(name, "127.0.0.1", port, path, args.seconds, args.concurrency, seed=args.seed)
            log(results[name].line())
    with gunicorn("bench.bare:app", env, args.workers, args.threads, f"/listing/{ids[0]}") as port:

        def bare_path(rng: random.Random) -> str:
            return f"/listing/{rng.choice(ids)}"

        run("bare", "127.0.0.1", port, bare_path, warmup, args.concurrency)
        bare = run("bare endpoint", "127.0.0.1", port, bare_path, args.seconds, args.concurrency, seed=args.seed)
        log(bare.line())
    return results, bare, first


def listing_count(url: str) -> int:
    """Listings already in the database (a database given with --database is topped up, not reseeded)."""
    import psycopg

    with psycopg.connect(plain_url(url)) as conn:
        return int(conn.execute("SELECT count(*) FROM listings").fetchone()[0])  # type: ignore[index]


def public_ids(url: str, limit: int = 200_000) -> list[int]:
    """Ids of published public listings (a random sample of at most `limit`), for the detail requests."""
    import psycopg

    with psycopg.connect(plain_url(url)) as conn:
        rows = conn.execute(
            "SELECT id FROM listings WHERE status = 'published' AND visibility = 'public' ORDER BY random() LIMIT %s",
            (limit,),
        ).fetchall()
    return [r[0] for r in rows]


def _interrupt(_signum: int, _frame: object) -> None:
    """SIGTERM stops the benchmark as Ctrl-C does: gunicorn and the node are stopped on the way out."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000, help="listings to seed (default 100,000)")
    parser.add_argument("--database", help=f"PostgreSQL URL (default: a fresh {DEFAULT_DATABASE} on 127.0.0.1)")
    parser.add_argument(
        "--instance",
        help="instance folder (keys and chain) kept for the next run on the same --database (default: a fresh one)",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="load per scenario (default 20)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--import-rows", type=int, default=20_000, help="rows for the import timing (default 20,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    if args.listings < 1 or args.seconds <= 0 or args.concurrency < 1 or args.import_rows < 1:
        parser.error("--listings, --seconds, --concurrency and --import-rows must be positive")

    url = args.database or fresh_database()
    if not url.startswith("postgresql"):
        parser.error("--database must be a PostgreSQL URL (postgresql+psycopg://...)")
    instance = Path(args.instance) if args.instance else Path(tempfile.mkdtemp(prefix="tradewind-bench-"))
    instance.mkdir(parents=True, exist_ok=True)
    node = LocalNode(instance / "chain-state.json", free_port())
    try:
        rpc = node.start()
        platform = start(Config.from_env(database_url=url, chain_rpc_url=rpc, instance_dir=instance))
        try:
            present = listing_count(url) if args.database else 0
            if present >= args.listings:
                log(f"Seeding skipped: the database already holds {present:,} listings")
                seeded = {"seed_seconds": 0.0, "exporters": 0}
            else:
                seeded = seed_catalog(url, platform, args.listings - present, args.seed + present)
            import_rate, import_path = time_import(platform, args.import_rows, args.seed)
            log(f"Import: {import_rate:,.0f} rows/s through {import_path} ({args.import_rows:,} rows)")
        finally:
            platform.close()
        ids = public_ids(url)
        results, bare, first = measure(url, rpc, instance, ids, args)
    finally:
        node.stop()
        if not args.instance:
            shutil.rmtree(instance, ignore_errors=True)

    note = NOTE.format(cores=os.cpu_count())
    detail = results["listing page"]
    figures = {
        "listings": max(args.listings, present) + args.import_rows,
        "search_p95_ms": round(results["search"].percentile(95), 1),
        "filtered_search_p95_ms": round(results["filtered search"].percentile(95), 1),
        "detail_rps": round(detail.rps, 1),
        "bare_rps": round(bare.rps, 1),
        "detail_ratio": round(detail.rps / bare.rps, 3) if bare.rps else 0.0,
        "import_rows_per_s": round(import_rate, 1),
        "first_search_p50_ms": round(statistics.median(first), 1),
        "first_search_max_ms": round(max(first), 1),
    }
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"{figures['listings']:,} listings, seeded in {seeded['seed_seconds']} s; {note}")
    print(
        f"gunicorn: {args.workers} workers x {args.threads} threads; concurrency {args.concurrency}, {args.seconds} s"
    )
    for result in [*results.values(), bare]:
        print(result.line())
    for name in ("search", "filtered search"):
        print(f"slowest {name} requests:")
        for ms, target in results[name].slowest[:5]:
            print(f"  {ms:8.1f} ms  {target}")
    print(
        f"detail/bare: {figures['detail_ratio']:.0%} (target >= 50%); search p95 {figures['search_p95_ms']} ms "
        f"(target <= 50); filtered p95 {figures['filtered_search_p95_ms']} ms (target <= 80); "
        f"import {figures['import_rows_per_s']:,} rows/s through {import_path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
