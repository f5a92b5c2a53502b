"""WSGI entry point for gunicorn: `gunicorn marketplace.wsgi:app`.

On the embedded chain (no CHAIN_RPC_URL) the worker runs in this process, so run one gunicorn worker
process; against a node, run `tradewind worker` beside it (or set TRADEWIND_INPROCESS_WORKER=1)."""

import os

from ledger.chain import is_embedded
from marketplace import create_app
from marketplace.config import Config
from marketplace.platform import start
from marketplace.worker import Worker

_platform = start(Config.from_env())
if is_embedded(_platform.w3) or os.environ.get("TRADEWIND_INPROCESS_WORKER") == "1":
    Worker(_platform).start_thread()
app = create_app(platform=_platform)
