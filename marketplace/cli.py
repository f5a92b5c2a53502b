"""The `tradewind` command: demo, serve, worker, verify, deployment, reset."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ledger import safejson
from ledger.bundle import INCLUSION_SCHEMA
from ledger.chain import connect
from ledger.errors import LedgerError
from ledger.verify import verify_bundle, verify_inclusion
from marketplace.config import Config, ConfigError
from marketplace.serve_lock import InstanceInUse, ServeLock


def _err(message: str) -> int:
    print(f"tradewind: error: {message}", file=sys.stderr)
    return 2


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the whole story; exit 0 only if the auditor's verification passes.

    Without --database it runs on a fresh temporary database and instance folder, removed afterwards. With
    --database the story stays in that database, so its wallet keys are sealed with the configured master key
    (TRADEWIND_MASTER_KEY, else the instance folder's): `serve` on the same database can open them."""
    from marketplace.demo import run_story
    from marketplace.platform import start

    scratch = None if args.database else Path(tempfile.mkdtemp(prefix="tradewind-demo-"))
    say = (lambda _line: None) if args.json else print
    try:
        where = {"instance_dir": scratch} if scratch else {}
        config = Config.from_env(chain_rpc_url=args.rpc or "", database_url=args.database or "", **where)
        platform = start(config)
        try:
            auditor_w3 = connect(args.rpc) if args.rpc else None  # a connection of the auditor's own
            result = run_story(platform, say, auditor_w3)
        finally:
            platform.close()
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        print(json.dumps(result.as_json(), indent=2))
    return 0 if result.report.ok else 1


def _interrupt(_signum: int, _frame: object) -> None:
    """SIGTERM ends `serve` as Ctrl-C does, so the worker, the database and the local node stop in order."""
    raise KeyboardInterrupt


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the web app and, on a chain of its own, the worker in a background thread."""
    from marketplace import create_app
    from marketplace.demo import ARBITER, AUDITOR, BUYER, EXPORTER, PASSWORD, seed_trade_in_progress
    from marketplace.serving import start_serving

    serving = start_serving(Config.from_env())
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        platform = serving.platform
        if args.demo:
            seed_trade_in_progress(platform)
            print(
                f"Demo users (password {PASSWORD!r}): exporter {EXPORTER}, buyer {BUYER}, auditor {AUDITOR}, "
                f"arbitration desk {ARBITER}"
            )
        serving.start_worker(always=args.with_worker)
        if serving.node is not None:
            print(f"Chain data kept in {serving.node.state_file} (`tradewind reset` starts afresh)")
        print(f"Chain RPC for auditors: {serving.rpc_url} (chain {platform.ctx.chain_id})", flush=True)
        print(f"Tradewind on http://{args.host}:{args.port}", flush=True)
        create_app(platform=platform).run(host=args.host, port=args.port, debug=False, use_reloader=False)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the shutdown short
        serving.close()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Relay, indexer and settlement batching against CHAIN_RPC_URL and DATABASE_URL."""
    from marketplace.platform import start
    from marketplace.worker import Worker

    config = Config.from_env()
    if not config.chain_rpc_url:
        return _err("the worker needs CHAIN_RPC_URL: on the embedded default, `tradewind serve` runs the worker itself")
    for name in ("marketplace", "ledger"):  # each pass that does something is logged
        logging.getLogger(name).setLevel(logging.INFO)
    worker = Worker(start(config))
    if args.once:
        print(worker.run_once())
        return 0
    logging.getLogger("marketplace.worker").info(
        "worker running: a pass every %g s; Ctrl-C stops it", config.worker_interval
    )
    worker.run_forever()
    return 0


def _names(pairs: list[str]) -> dict[str, str]:
    """`--name en=Ball bearings --name de=Kugellager` as {locale: name}."""
    from marketplace.catalog.schemas import TranslationQuery

    names: dict[str, str] = {}
    for pair in pairs:
        locale, sep, name = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"write each name as LOCALE=NAME, such as en=Ball bearings (not {pair!r})")
        try:
            names[TranslationQuery.model_validate({"locale": locale.strip()}).locale] = name.strip()
        except ValidationError:
            raise ValueError(f"{locale.strip()!r} is not a locale such as de or pt_BR") from None
    return names


def cmd_category(args: argparse.Namespace) -> int:
    """Add a subcategory, or print the category tree (operators manage the tree)."""
    from marketplace.catalog.categories import add_category, category_tree
    from marketplace.db import Database
    from marketplace.errors import DomainError
    from marketplace.platform import migrate

    config = Config.from_env()
    migrate(config.database_url)
    db = Database(config.database_url)
    try:
        with db.session() as session:
            if args.action == "add":
                try:
                    names = _names(args.name or [])
                    category = add_category(session, parent=args.parent, code=args.code, names=names)
                except (DomainError, ValueError) as exc:
                    session.rollback()
                    return _err(str(exc))
                print(f"added {category.code} under {args.parent}")
                return 0
            for depth, category in category_tree(session):
                names = " | ".join(f"{locale}={name}" for locale, name in sorted(category.names.items()))
                print(f"{'  ' * depth}{category.code}\t{names}")
            return 0
    finally:
        db.dispose()


UNPINNED = 3  # every check passed, but nothing tied the bundle to the platform's deployment
PIN_HINT = "--deployment <site>/.well-known/tradewind.json"


def _read_bundle(path: str) -> dict[str, Any]:
    """The proof bundle in `path`, or the one inside `tradewind demo --json` output. Raises ValueError."""
    try:
        with Path(path).open("rb") as handle:
            document = safejson.loads(handle.read(safejson.MAX_BYTES + 1))
    except OSError as exc:
        raise ValueError(f"cannot read bundle {path}: {exc.strerror or exc}") from exc
    except safejson.JsonRejected as exc:
        raise ValueError(f"cannot read bundle {path}: {exc}") from exc
    if isinstance(document, dict) and "schema" not in document and isinstance(document.get("bundle"), dict):
        print(f"{path}: checking the proof bundle inside the demo's output", file=sys.stderr)
        document = document["bundle"]
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not a proof bundle (expected a JSON object)")
    return document


def cmd_verify(args: argparse.Namespace) -> int:
    """Check a proof bundle (or a storefront's public inclusion proof, which proves only that the settlement
    was anchored) against an RPC endpoint, with nothing from our database; with --deployment, also that it
    settled on the platform's own contracts and was anchored by the platform."""
    from ledger.manifest import load_manifest

    try:
        bundle = _read_bundle(args.bundle)
    except ValueError as exc:
        return _err(str(exc))
    manifest = load_manifest(args.deployment) if args.deployment else None
    check = verify_inclusion if bundle.get("schema") == INCLUSION_SCHEMA else verify_bundle
    report = check(bundle, connect(args.rpc), manifest)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        for check in report.checks:
            print(f"[{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
        if not report.ok:
            print("NOT VERIFIED")
        elif report.verified:
            print("VERIFIED")
        else:
            print(
                "CONSISTENT ONLY: every check passed, which proves the bundle is internally consistent with the "
                "chain, not that the settlement belongs to the platform (anyone can deploy copies of the "
                f"contracts). Pin it to the platform's deployment: {PIN_HINT}"
            )
    return 0 if report.verified else (UNPINNED if report.ok else 1)


def cmd_deployment(args: argparse.Namespace) -> int:
    """Print this installation's deployment manifest (what the web app serves at /.well-known/tradewind.json)."""
    from marketplace.manifest import recorded_manifest

    print(json.dumps(recorded_manifest(Config.from_env()).as_json(), indent=2))
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    """Delete the embedded SQLite database, the local node's chain state, the stored documents and listing
    pictures, unless a server uses them."""
    config = Config.from_env()
    if not config.database_url.startswith("sqlite:///"):
        return _err("reset only removes the embedded SQLite database; drop other databases yourself")
    lock = ServeLock(config.instance_dir)
    lock.acquire("reset its data")
    try:
        path = Path(config.database_url.removeprefix("sqlite:///"))
        for doomed in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), config.chain_state_file):
            if doomed.exists():
                doomed.unlink()
                print(f"removed {doomed}")
        for folder in (config.documents_dir, config.media_dir):
            if folder is not None and folder.is_dir():
                if folder.is_relative_to(config.instance_dir):
                    shutil.rmtree(folder)
                    print(f"removed {folder}")
                else:
                    print(f"kept {folder} (outside the instance folder): remove its files yourself")
    finally:
        lock.release()
    return 0


def cmd_catalog_reindex(args: argparse.Namespace) -> int:
    """Rebuild the search rows of every listing from the listings as stored (after bulk SQL writes)."""
    from marketplace.catalog.search_index import reindex_all
    from marketplace.db import Database
    from marketplace.platform import migrate

    config = Config.from_env().resolved()
    migrate(config.database_url)
    database = Database(config.database_url)
    try:
        with database.session() as session:
            written = reindex_all(session)
    finally:
        database.dispose()
    print(f"indexed {written} listings")
    return 0


def _catalog_org(session: Any, slug: str) -> Any:
    """The exporter organization `slug`, or a ValueError saying why not."""
    from sqlalchemy import select

    from marketplace.accounts.models import Organization, OrgKind

    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise ValueError(f"there is no organization {slug}")
    if org.kind != OrgKind.EXPORTER:
        raise ValueError(f"{slug} is not an exporter organization")
    return org


def _catalog_db() -> Any:
    from marketplace.db import Database
    from marketplace.platform import migrate

    config = Config.from_env()
    config.instance_dir.mkdir(parents=True, exist_ok=True)
    migrate(config.database_url)
    return Database(config.database_url)


def cmd_catalog_import(args: argparse.Namespace) -> int:
    """Check every row of a CSV or XLSX file, then write them all in one transaction (or nothing)."""
    from rich.progress import Progress

    from marketplace.catalog.bulk_import import import_table
    from marketplace.catalog.table import TableError, read_table

    try:
        table = read_table(args.file)
    except OSError as exc:
        return _err(f"cannot read {args.file}: {exc.strerror or exc}")
    except TableError as exc:
        print(f"{args.file}: {exc.message}", file=sys.stderr)
        print("nothing was imported", file=sys.stderr)
        return 1
    database = _catalog_db()
    try:
        with database.session() as session, Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
            try:
                org = _catalog_org(session, args.org)
            except ValueError as exc:
                return _err(str(exc))
            task = bar.add_task("checking", total=len(table.rows))

            def progress(done: int, total: int) -> None:
                if done >= total and bar.tasks[task].description == "checking":
                    bar.update(task, description="writing", completed=0)
                bar.update(task, completed=done, total=total or 1)

            report = import_table(session, org, table, dry_run=args.dry_run, progress=progress)
            if not report.ok or args.dry_run:
                session.rollback()
    finally:
        database.dispose()
    for problem in report.problems:
        print(problem.text(), file=sys.stderr)
    hidden = report.bad_rows - len({p.row for p in report.problems if p.row is not None})
    if hidden > 0:
        print(f"... and {hidden} more bad rows", file=sys.stderr)
    print(report.summary())
    return 0 if report.ok else 1


def cmd_catalog_export(args: argparse.Namespace) -> int:
    """Write an exporter's listings in the import format (CSV or XLSX by the file's extension)."""
    from marketplace.catalog.bulk_export import export_rows
    from marketplace.catalog.table import TableError, file_format, write_table

    try:
        file_format(args.file)
    except TableError as exc:
        return _err(exc.message)
    database = _catalog_db()
    try:
        with database.session() as session:
            try:
                org = _catalog_org(session, args.org)
            except ValueError as exc:
                return _err(str(exc))
            header, rows = export_rows(session, org)
    finally:
        database.dispose()
    write_table(args.file, args.file, header, rows)
    print(f"{len(rows)} listings written to {args.file}")
    return 0


def cmd_catalog_template(args: argparse.Namespace) -> int:
    """Write the import file's header and an example row."""
    from marketplace.catalog.bulk_export import template_rows
    from marketplace.catalog.table import TableError, write_table

    try:
        write_table(args.file, args.file, *template_rows())
    except TableError as exc:
        return _err(exc.message)
    print(f"template written to {args.file}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tradewind", description="Cross-border B2B trade with on-chain escrow.")
    sub = p.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run one trade end to end and verify its settlement")
    demo.add_argument("--rpc", help="Ethereum JSON-RPC URL (default: in-process EVM)")
    demo.add_argument(
        "--database",
        help="database URL to keep the story in, its keys sealed with the configured master key, so that `serve` "
        "can use it afterwards (default: a fresh temporary SQLite file)",
    )
    demo.add_argument("--json", action="store_true", help="print one JSON object instead of the story")
    demo.set_defaults(func=cmd_demo)
    serve = sub.add_parser(
        "serve",
        help="run the web app",
        description=(
            "Run the web app. Without CHAIN_RPC_URL it starts a local Anvil node on 127.0.0.1:TRADEWIND_CHAIN_PORT "
            "(default 8545) whose chain is kept in the instance folder (TRADEWIND_INSTANCE, default ./instance) "
            "beside the SQLite database, so a restart keeps every organization, trade and settlement; it prints "
            "that node's RPC URL for auditors and runs the worker in a background thread. With CHAIN_RPC_URL it "
            "uses that node and leaves the worker to `tradewind worker`. Ctrl-C or SIGTERM stops it cleanly."
        ),
    )
    serve.add_argument("--demo", action="store_true", help="seed demo organizations and a trade in progress")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address the web app listens on (default: %(default)s; 0.0.0.0 for all)"
    )
    serve.add_argument("--port", type=int, default=5000, help="port the web app listens on (default: %(default)s)")
    serve.add_argument(
        "--with-worker",
        action="store_true",
        help="also run the worker in-process when CHAIN_RPC_URL is set (it always does on the embedded default)",
    )
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="run the relay and indexer loop")
    worker.add_argument("--once", action="store_true", help="one pass, then exit")
    worker.set_defaults(func=cmd_worker)
    verify = sub.add_parser(
        "verify",
        help="verify a settlement proof bundle",
        description="Check a proof bundle against any Ethereum node, without the platform's database. Exit 0: "
        "verified and pinned to the deployment; 1: a check failed; 2: unusable input; 3: every check passed but "
        "no --deployment was given, so only internal consistency is proven.",
    )
    verify.add_argument(
        "bundle",
        help="path of the bundle JSON (or of `tradewind demo --json` output, or of a storefront's public proof)",
    )
    verify.add_argument("--rpc", required=True, help="Ethereum JSON-RPC URL")
    verify.add_argument(
        "--deployment",
        metavar="FILE-or-URL",
        help="the platform's deployment manifest (<site>/.well-known/tradewind.json): the bundle's chain, contracts, "
        "token and anchorer must be the ones it lists",
    )
    verify.add_argument("--json", action="store_true", help="print the checks as one JSON object")
    verify.set_defaults(func=cmd_verify)
    deployment = sub.add_parser(
        "deployment",
        help="print this installation's deployment manifest",
        description="Print the deployment manifest (chain id, escrow, registry, token, anchorers, start block) "
        "recorded in DATABASE_URL (default: the instance folder's SQLite file); with CHAIN_RPC_URL, for that "
        "node's chain after checking the contracts are there. Deploys nothing. Exit 2 when nothing is recorded.",
    )
    deployment.set_defaults(func=cmd_deployment)
    catalog = sub.add_parser(
        "catalog",
        help="import or export an exporter's catalog (CSV or XLSX); rebuild the search index",
        description="One row per product, upserted by SKU. See README.md, section Catalog import.",
    )
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True)
    importing = catalog_sub.add_parser(
        "import",
        help="check a catalog file and write it",
        description="Check every row, then create new SKUs and update changed ones in one transaction. Exit 0: "
        "imported (or, with --dry-run, valid); 1: bad rows or a bad file, each reported as `row N, column C: "
        "reason`, and nothing written; 2: unusable arguments.",
    )
    importing.add_argument("file", help="a .csv (UTF-8) or .xlsx file")
    importing.add_argument("--org", required=True, help="the exporter organization's slug")
    importing.add_argument("--dry-run", action="store_true", help="only check the file; write nothing")
    importing.set_defaults(func=cmd_catalog_import)
    exporting = catalog_sub.add_parser("export", help="write an exporter's listings in the import format")
    exporting.add_argument("--org", required=True, help="the exporter organization's slug")
    exporting.add_argument("file", help="a .csv or .xlsx file to write")
    exporting.set_defaults(func=cmd_catalog_export)
    template = catalog_sub.add_parser("template", help="write a template file: the header and an example row")
    template.add_argument("file", help="a .csv or .xlsx file to write")
    template.set_defaults(func=cmd_catalog_template)
    reset = sub.add_parser(
        "reset",
        help="delete the embedded SQLite database and chain state",
        description="Delete the instance folder's SQLite database and the local node's chain state. Refuses while "
        "a server runs on the instance folder.",
    )
    reset.set_defaults(func=cmd_reset)
    category = sub.add_parser(
        "category",
        help="list or add catalog categories",
        description="The category tree of DATABASE_URL: the 21 Harmonized System sections and the subcategories "
        "operators add under them.",
    )
    actions = category.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="print the tree: code and names per locale").set_defaults(func=cmd_category)
    add = actions.add_parser("add", help="add a subcategory")
    add.add_argument("--parent", required=True, metavar="CODE", help="the code of the category above it")
    add.add_argument("--code", required=True, metavar="CODE", help="letters, digits and hyphens: ball-bearings")
    add.add_argument(
        "--name", action="append", metavar="LOCALE=NAME", help="a name per locale (en required): --name en=Bearings"
    )
    add.set_defaults(func=cmd_category)
    reindex = catalog_sub.add_parser(
        "reindex",
        help="rebuild the search index of every listing",
        description="Rewrite every listing's search row (terms, filters, reference price in EUR at today's ECB "
        "rate) in DATABASE_URL; needed after listings were written by plain SQL.",
    )
    reindex.set_defaults(func=cmd_catalog_reindex)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (LedgerError, ConfigError, InstanceInUse) as exc:
        return _err(str(exc))
    except KeyboardInterrupt:  # Ctrl-C: every step commits as it goes, so there is nothing to undo
        print("tradewind: stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
