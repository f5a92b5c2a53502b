"""WSGI entry point for gunicorn: `gunicorn marketplace.wsgi:app`.

Without CHAIN_RPC_URL this process starts the embedded default's local Anvil node (chain kept in the instance
folder, stopped with the process) and runs the worker itself, so run one gunicorn worker process. Against a
node of your own, run `tradewind worker` beside it (or set TRADEWIND_INPROCESS_WORKER=1)."""

import os

from marketplace import create_app
from marketplace.config import Config
from marketplace.serving import start_serving

serving = start_serving(Config.from_env())
serving.start_worker(always=os.environ.get("TRADEWIND_INPROCESS_WORKER") == "1")
print(f"Chain RPC for auditors: {serving.rpc_url}", flush=True)
app = create_app(platform=serving.platform)
