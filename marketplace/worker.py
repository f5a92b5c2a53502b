"""The background worker: relay the outbox, index events, apply them to trades, anchor settlements."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from ledger.chain import dev_fund
from ledger.contracts import ESCROW, REGISTRY, bind
from ledger.indexer import Indexer
from ledger.relay import Relay
from marketplace.platform import OPERATOR_GAS_WEI, Platform
from marketplace.trades.actions import run_timeouts
from marketplace.trades.service import anchor_pending, apply_chain_events, surface_failures

log = logging.getLogger(__name__)


@dataclass
class Pass:
    """What one pass did."""

    mined: int
    failed: int
    events: int
    timeouts: int
    batch: int | None
    sent: int = 0
    reorged: int = 0
    waiting: int = 0  # transactions still in flight

    @property
    def busy(self) -> bool:
        return bool(
            self.mined or self.failed or self.events or self.timeouts or self.batch or self.sent or self.reorged
        )

    def summary(self) -> str:
        """One log line: what the pass did."""
        return (
            f"worker pass: {self.sent} sent, {self.mined} mined, {self.failed} failed, {self.reorged} reorged, "
            f"{self.events} events, {self.timeouts} timeouts, batch {self.batch or '-'}, {self.waiting} in flight"
        )


class Worker:
    """Runs the chain-side loop for one platform."""

    def __init__(self, platform: Platform, anchor: bool = True) -> None:
        self.platform = platform
        self.anchor = anchor
        contracts = platform.ctx.contracts
        self.relay = Relay(platform.w3, platform.db.sessions, platform.signer)
        self.indexer = Indexer(
            platform.w3,
            {
                ESCROW: bind(platform.w3, ESCROW, contracts.escrow),
                REGISTRY: bind(platform.w3, REGISTRY, contracts.registry),
            },
            start_block=contracts.start_block,
            confirmations=platform.config.confirmations,
        )
        self._stop = threading.Event()

    def run_once(self) -> Pass:
        """Relay, index, apply, queue due timeouts, and batch settled trades for anchoring."""
        if self.platform.ctx.dev_faucet:  # a development chain: keep the operator's faucet and anchoring going,
            # with room for a burst of new organizations (each gets 1 ETH of gas) within one pass
            dev_fund(self.platform.w3, self.platform.ctx.operator, 10 * OPERATOR_GAS_WEI, below=OPERATOR_GAS_WEI)
        sent = self.relay.run_once()
        chain_time = int(self.platform.w3.eth.get_block("latest")["timestamp"])
        with self.platform.db.session() as session:
            indexed = self.indexer.poll(session)
            apply_chain_events(session, indexed.added + indexed.removed)
            surface_failures(session)
            timeouts = run_timeouts(session, self.platform.ctx, chain_time)
            batch = anchor_pending(session, self.platform.ctx) if self.anchor else None
            batch_id = batch.id if batch else None
        done = Pass(
            sent.mined,
            sent.failed,
            len(indexed.added),
            len(timeouts),
            batch_id,
            sent=sent.sent,
            reorged=sent.reorged,
            waiting=sent.waiting,
        )
        if done.busy:
            log.info("%s", done.summary())
        return done

    def drain(self, max_passes: int = 20, wait: float = 0.2) -> None:
        """Run passes until nothing is left to do and nothing is in flight (demo and tests)."""
        for _ in range(max_passes):
            done = self.run_once()
            if not done.busy and not done.waiting:
                return
            if not done.busy:
                time.sleep(wait)  # transactions in flight: give the chain a moment

    def run_forever(self, interval: float | None = None) -> None:
        """Loop until `stop()`; errors are logged and retried, never fatal."""
        interval = interval if interval is not None else self.platform.config.worker_interval
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("worker pass failed; retrying")
            self._stop.wait(interval)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="tradewind-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
