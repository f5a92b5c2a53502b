"""What `tradewind serve` and the WSGI entry run: the platform on its chain, the worker thread, and on the
embedded default a local Anvil node whose chain is kept in the instance folder.

The decision: CHAIN_RPC_URL set -> that node; not set -> a local node on 127.0.0.1:TRADEWIND_CHAIN_PORT with
its state in `<instance>/chain-state.json`, started here and stopped (state dumped) when serving ends."""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass, replace

from ledger.localnode import LocalNode
from marketplace.config import Config
from marketplace.platform import Platform, start
from marketplace.serve_lock import ServeLock
from marketplace.worker import Worker

WORKER_STOP_SECONDS = 30


@dataclass
class Serving:
    """A running platform with what serving started for it; `close()` stops them in order."""

    platform: Platform
    node: LocalNode | None
    lock: ServeLock
    worker: Worker | None = None
    thread: threading.Thread | None = None
    closed: bool = False

    @property
    def rpc_url(self) -> str:
        """The JSON-RPC URL of the chain this server settles on: what auditors pass to `tradewind verify`."""
        return self.platform.config.chain_rpc_url

    def start_worker(self, always: bool = False) -> None:
        """Run the worker in a thread: always with a local node of our own, else if asked (`--with-worker`)."""
        if self.node is not None or always:
            self.worker = Worker(self.platform)
            self.thread = self.worker.start_thread()

    def close(self) -> None:
        """Stop the worker, close the database, stop the local node (it dumps its chain), release the lock."""
        if self.closed:
            return
        self.closed = True
        if self.worker is not None and self.thread is not None:
            self.worker.stop()
            self.thread.join(WORKER_STOP_SECONDS)
        self.platform.close()
        if self.node is not None:
            self.node.stop()
        self.lock.release()


def start_serving(config: Config) -> Serving:
    """Lock the instance folder when it holds the data, start the local node on the embedded default, then the
    platform. Raises marketplace.serve_lock.InstanceInUse or ledger.errors.LedgerError with a clear message."""
    lock = ServeLock(config.instance_dir)
    if config.local_node or config.database_url.startswith("sqlite:"):
        lock.acquire("start another server on it")
    node = LocalNode(config.chain_state_file, config.chain_port) if config.local_node else None
    try:
        if node is not None:
            config = replace(config, chain_rpc_url=node.start())
        platform = start(config)
    except BaseException:
        if node is not None:
            node.stop()
        lock.release()
        raise
    serving = Serving(platform=platform, node=node, lock=lock)
    atexit.register(serving.close)
    return serving
