"""The `tradewind` command: demo, serve, worker, verify, reset."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from ledger.chain import connect
from ledger.errors import LedgerError
from ledger.verify import verify_bundle
from marketplace.config import Config


def _err(message: str) -> int:
    print(f"tradewind: error: {message}", file=sys.stderr)
    return 2


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the whole story on a fresh database; exit 0 only if the auditor's verification passes."""
    from marketplace.demo import run_story
    from marketplace.platform import start

    folder = Path(tempfile.mkdtemp(prefix="tradewind-demo-"))
    config = Config.from_env(instance_dir=folder, chain_rpc_url=args.rpc or "", database_url=args.database or "")
    say = (lambda _line: None) if args.json else print
    try:
        platform = start(config)
        try:
            auditor_w3 = connect(args.rpc) if args.rpc else None  # a connection of the auditor's own
            result = run_story(platform, say, auditor_w3)
        finally:
            platform.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(result.as_json(), indent=2))
    return 0 if result.report.ok else 1


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the web app; with the embedded chain, the worker runs in a background thread."""
    from ledger.chain import is_embedded
    from marketplace import create_app
    from marketplace.demo import ARBITER, AUDITOR, BUYER, EXPORTER, PASSWORD, seed_trade_in_progress
    from marketplace.platform import start
    from marketplace.worker import Worker

    platform = start(Config.from_env())
    if args.demo:
        seed_trade_in_progress(platform)
        print(
            f"Demo users (password {PASSWORD!r}): exporter {EXPORTER}, buyer {BUYER}, auditor {AUDITOR}, "
            f"arbitration desk {ARBITER}"
        )
    if is_embedded(platform.w3) or args.with_worker:
        Worker(platform).start_thread()
    app = create_app(platform=platform)
    print(f"Tradewind on http://{args.host}:{args.port} (chain {platform.ctx.chain_id})")
    app.run(host=args.host, port=args.port, debug=False, use_reloader=False)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Relay, indexer and settlement batching against CHAIN_RPC_URL and DATABASE_URL."""
    from marketplace.platform import start
    from marketplace.worker import Worker

    config = Config.from_env()
    if not config.chain_rpc_url:
        return _err("the worker needs CHAIN_RPC_URL: the in-process chain lives inside `tradewind serve`")
    worker = Worker(start(config))
    if args.once:
        print(worker.run_once())
        return 0
    worker.run_forever()
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Check a proof bundle against an RPC endpoint, with nothing from our database."""
    try:
        bundle = json.loads(Path(args.bundle).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return _err(f"cannot read bundle {args.bundle}: {exc}")
    if not isinstance(bundle, dict):
        return _err(f"{args.bundle} is not a proof bundle (expected a JSON object)")
    report = verify_bundle(bundle, connect(args.rpc))
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        for check in report.checks:
            print(f"[{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
        print("VERIFIED" if report.ok else "NOT VERIFIED")
    return 0 if report.ok else 1


def cmd_reset(args: argparse.Namespace) -> int:
    """Delete the embedded database (the in-process chain is gone after a restart anyway)."""
    config = Config.from_env()
    if not config.database_url.startswith("sqlite:///"):
        return _err("reset only removes the embedded SQLite database; drop other databases yourself")
    path = Path(config.database_url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    print(f"removed {path}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tradewind", description="Cross-border B2B trade with on-chain escrow.")
    sub = p.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run one trade end to end and verify its settlement")
    demo.add_argument("--rpc", help="Ethereum JSON-RPC URL (default: in-process EVM)")
    demo.add_argument("--database", help="database URL (default: a fresh temporary SQLite file)")
    demo.add_argument("--json", action="store_true", help="print one JSON object instead of the story")
    demo.set_defaults(func=cmd_demo)
    serve = sub.add_parser("serve", help="run the web app")
    serve.add_argument("--demo", action="store_true", help="seed demo organizations and a trade in progress")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--with-worker", action="store_true", help="run the worker in-process with an RPC node too")
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="run the relay and indexer loop")
    worker.add_argument("--once", action="store_true", help="one pass, then exit")
    worker.set_defaults(func=cmd_worker)
    verify = sub.add_parser("verify", help="verify a settlement proof bundle")
    verify.add_argument("bundle", help="path of the bundle JSON")
    verify.add_argument("--rpc", required=True, help="Ethereum JSON-RPC URL")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=cmd_verify)
    reset = sub.add_parser("reset", help="delete the embedded SQLite database")
    reset.set_defaults(func=cmd_reset)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except LedgerError as exc:
        return _err(str(exc))


if __name__ == "__main__":
    sys.exit(main())
