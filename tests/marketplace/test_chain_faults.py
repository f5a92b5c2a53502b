"""The marketplace over a real Anvil node when the chain side misbehaves: the faucet racing a wallet's
first send, node outages and refusals during trades, reorgs of trades and anchors, a refused anchor,
database connections closed by the server, and what the worker tells its operator."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import psycopg
from sqlalchemy import select, text

from ledger.relay import REASON_NO_GAS, REASON_REFUSED
from ledger.store import OutboxTx, Sender, TxStatus
from marketplace.accounts.models import User
from marketplace.config import Config
from marketplace.db import Database
from marketplace.demo import BUYER, seed_trade_in_progress
from marketplace.platform import Platform, start
from marketplace.trades import actions
from marketplace.trades import service as trades
from marketplace.trades.models import BatchStatus, SettlementBatch, Trade, TradeStatus
from marketplace.worker import Worker
from tests.conftest import Orgs, anvil_node
from tests.marketplace import flow
from tests.rpc_proxy import rpc_proxy

SHIPPED_DOC = "0x" + "ab" * 32


@contextmanager
def platform_on(folder: Path, rpc_url: str, database_url: str = "") -> Iterator[Platform]:
    platform = start(
        Config(instance_dir=folder, testing=True, chain_rpc_url=rpc_url, database_url=database_url).resolved()
    )
    try:
        yield platform
    finally:
        platform.close()


def funded_trade(platform: Platform, worker: Worker) -> tuple[User, User, int]:
    orgs = Orgs(platform)
    exporter, buyer = orgs.exporter(), orgs.buyer()
    worker.drain()
    trade_id = flow.accepted(platform, exporter, buyer)
    with platform.db.session() as s:
        actions.fund(s, s.merge(buyer), trade_id, platform.ctx)
    worker.drain()
    assert flow.trade(platform, trade_id).status == TradeStatus.FUNDED
    return exporter, buyer, trade_id


def outbox(platform: Platform, reference: str) -> list[OutboxTx]:
    with platform.db.session() as s:
        return list(s.scalars(select(OutboxTx).where(OutboxTx.reference == reference).order_by(OutboxTx.id)))


def nonces_agree(platform: Platform, address: str) -> bool:
    with platform.db.session() as s:
        stored = s.scalar(select(Sender.next_nonce).where(Sender.address == address))
    return stored == platform.w3.eth.get_transaction_count(address, "pending")


def set_balance(platform: Platform, address: str, wei: int) -> None:
    platform.w3.provider.make_request("anvil_setBalance", [address, hex(wei)])


def test_the_faucets_gas_is_mined_before_a_new_wallet_sends(tmp_path, postgres_url: str) -> None:  # type: ignore[no-untyped-def]
    """`serve --demo` then `worker`: the buyer's approve must not go out before its gas is mined, even
    when the operator's rows are in another worker's hands (here: its sender row locked)."""
    with anvil_node() as url, platform_on(tmp_path, url, postgres_url) as platform:
        seed_trade_in_progress(platform)  # faucet rows and the buyer's fund rows, all queued at once
        worker = Worker(platform)
        plain = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(plain) as other_worker:
            other_worker.execute(
                "INSERT INTO chain_senders (chain_id, address, next_nonce) VALUES (%s, %s, 0)",
                (platform.ctx.chain_id, platform.ctx.operator),
            )
            other_worker.commit()
            other_worker.execute("SELECT id FROM chain_senders WHERE address = %s FOR UPDATE", (platform.ctx.operator,))
            worker.run_once()
            with platform.db.session() as s:
                buyer = s.scalar(select(User).where(User.email == BUYER))
                trade = trades.trades_for(s, buyer)[0]
                assert (trade.pending_action, trade.last_error) == ("fund", None)
            assert {r.status for r in outbox(platform, f"trade:{trade.id}:fund")} == {TxStatus.PENDING}
        worker.drain()  # the lock is gone: faucet first, then the buyer's approve and open
        done = flow.trade(platform, trade.id)
        assert (done.status, done.last_error) == (TradeStatus.FUNDED, None)


def test_an_outage_while_shipping_leaves_the_trade_waiting_then_ships(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with anvil_node() as url, rpc_proxy(url) as proxy, platform_on(tmp_path, proxy.url) as platform:
        worker = Worker(platform)
        exporter, _, trade_id = funded_trade(platform, worker)
        proxy.fail_next("eth_sendRawTransaction", 503, times=20)
        with platform.db.session() as s:
            actions.mark_shipped(s, s.merge(exporter), trade_id, platform.ctx, SHIPPED_DOC)
        worker.run_once()
        waiting = flow.trade(platform, trade_id)
        assert (waiting.pending_action, waiting.last_error) == ("ship", None)
        assert [r.status for r in outbox(platform, f"trade:{trade_id}:ship")] == [TxStatus.SIGNED]

        proxy.faults.clear()
        worker.drain()
        assert flow.trade(platform, trade_id).status == TradeStatus.SHIPPED


def test_users_see_a_short_reason_never_the_nodes_url_and_a_refused_wallet_keeps_working(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with anvil_node() as url, rpc_proxy(url) as proxy, platform_on(tmp_path, proxy.url) as platform:
        worker = Worker(platform)
        exporter, buyer, trade_id = funded_trade(platform, worker)
        secret = "https://rpc.example.net/v3/k3y0123456789 at 10.1.2.3:8545"
        proxy.fail_next("eth_sendRawTransaction", {"code": -32000, "message": f"rejected by {secret}"})
        with platform.db.session() as s:
            actions.mark_shipped(s, s.merge(exporter), trade_id, platform.ctx, SHIPPED_DOC)
        worker.drain()
        refused = flow.trade(platform, trade_id)
        assert (refused.failed_action, refused.last_error) == ("ship", REASON_REFUSED)
        assert refused.pending_action is None
        assert secret in outbox(platform, f"trade:{trade_id}:ship")[0].error  # kept for operators

        with platform.db.session() as s:  # the seller tries again: its wallet is not blocked
            actions.mark_shipped(s, s.merge(exporter), trade_id, platform.ctx, SHIPPED_DOC)
        worker.drain()
        assert flow.trade(platform, trade_id).status == TradeStatus.SHIPPED
        assert nonces_agree(platform, refused.terms.seller)

        # a wallet without gas: the buyer's release is refused, the reason says so, and once it has gas
        # again its next transaction is mined (no nonce left behind)
        set_balance(platform, refused.terms.buyer, 0)
        with platform.db.session() as s:
            actions.confirm_receipt(s, s.merge(buyer), trade_id, platform.ctx)
        worker.drain()
        no_gas = flow.trade(platform, trade_id)
        assert (no_gas.failed_action, no_gas.last_error) == ("release", REASON_NO_GAS)
        set_balance(platform, refused.terms.buyer, 10**18)
        with platform.db.session() as s:
            actions.confirm_receipt(s, s.merge(buyer), trade_id, platform.ctx)
        worker.drain()
        assert flow.trade(platform, trade_id).status == TradeStatus.RELEASED
        assert nonces_agree(platform, refused.terms.buyer)


def reorg(platform: Platform, rows: list[OutboxTx]) -> None:
    """Replace the blocks from the oldest of `rows` up to the head with empty ones."""
    depth = platform.w3.eth.block_number - min(r.block_number for r in rows) + 1
    assert platform.w3.provider.make_request("anvil_reorg", [depth, []]).get("error") is None
    for row in rows:
        assert platform.w3.eth.get_transaction_count(row.sender) <= row.nonce  # the chain forgot it


def test_a_reorg_sends_dropped_trades_and_anchors_again_and_every_wallet_keeps_working(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with anvil_node() as url, platform_on(tmp_path, url) as platform:
        worker = Worker(platform)
        _, buyer, trade_id = funded_trade(platform, worker)
        fund_rows = outbox(platform, f"trade:{trade_id}:fund")
        reorg(platform, fund_rows)
        worker.drain()
        again = flow.trade(platform, trade_id)
        assert again.status == TradeStatus.FUNDED
        assert [r.tx_hash for r in outbox(platform, f"trade:{trade_id}:fund")] == [r.tx_hash for r in fund_rows]
        assert nonces_agree(platform, again.terms.buyer)

        with platform.db.session() as s:
            actions.confirm_receipt(s, s.merge(buyer), trade_id, platform.ctx)
        worker.drain()
        with platform.db.session() as s:
            batch = s.scalars(select(SettlementBatch).order_by(SettlementBatch.id.desc())).first()
        assert batch.status == BatchStatus.ANCHORED
        anchor_rows = outbox(platform, f"batch:{batch.id}")
        reorg(platform, anchor_rows)
        worker.drain()
        with platform.db.session() as s:
            anchored = s.get(SettlementBatch, batch.id)
            assert anchored.status == BatchStatus.ANCHORED and anchored.anchored_block != batch.anchored_block
            trades.proof_bundle(s.get(Trade, trade_id), platform.ctx)  # the bundle is there again

        newcomer = Orgs(platform).buyer()  # the operator wallet still works: the faucet is mined
        worker.drain()
        with platform.db.session() as s:
            faucet = s.scalars(select(OutboxTx).where(OutboxTx.funds.is_not(None)).order_by(OutboxTx.id.desc())).first()
            assert faucet.reference == f"org:{newcomer.organization_id}:faucet"
            assert faucet.status == TxStatus.MINED
        assert nonces_agree(platform, platform.ctx.operator)


def test_an_anchor_the_node_refused_is_queued_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with anvil_node() as url, platform_on(tmp_path, url) as platform:
        worker = Worker(platform)
        _, buyer, trade_id = funded_trade(platform, worker)
        platform.ctx = replace(platform.ctx, dev_faucet=False)  # no top-ups: the operator stays without gas
        operator_balance = platform.w3.eth.get_balance(platform.ctx.operator)
        set_balance(platform, platform.ctx.operator, 0)
        with platform.db.session() as s:
            actions.confirm_receipt(s, s.merge(buyer), trade_id, platform.ctx)
        worker.drain()
        batch_id = flow.trade(platform, trade_id).batch_id
        assert [r.status for r in outbox(platform, f"batch:{batch_id}")] == [TxStatus.FAILED]

        set_balance(platform, platform.ctx.operator, operator_balance)
        with platform.db.session() as s:
            trades.anchor_pending(s, platform.ctx, retry_after=0)
        worker.drain()
        assert [r.status for r in outbox(platform, f"batch:{batch_id}")] == [TxStatus.FAILED, TxStatus.MINED]
        with platform.db.session() as s:
            assert s.get(SettlementBatch, batch_id).status == BatchStatus.ANCHORED


def test_database_connections_the_server_closed_are_replaced(postgres_url: str) -> None:
    db = Database(postgres_url)
    with db.session() as s:
        assert s.execute(text("SELECT 1")).scalar() == 1
    name = postgres_url.rsplit("/", 1)[1]
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(plain, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s", (name,)
        ).fetchone()[0]
    assert killed >= 1
    with db.session() as s:
        assert s.execute(text("SELECT 1")).scalar() == 1
    db.dispose()


def test_the_worker_logs_each_pass_that_does_something(tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    with anvil_node() as url:
        with platform_on(tmp_path, url) as platform:
            worker = Worker(platform)
            worker.drain()
            with caplog.at_level(logging.INFO, logger="marketplace.worker"):
                worker.run_once()
                assert not [r for r in caplog.records if r.name == "marketplace.worker"]  # quiet passes
                Orgs(platform).exporter()
                worker.run_once()
                lines = [r.getMessage() for r in caplog.records if r.name == "marketplace.worker"]
            assert lines == [
                "worker pass: 1 sent, 1 mined, 0 failed, 0 reorged, 0 events, 0 timeouts, batch -, 0 in flight"
            ]
            Orgs(platform).buyer()  # gas and tokens for the command below
        env = {
            **os.environ,
            "CHAIN_RPC_URL": url,
            "TRADEWIND_INSTANCE": str(tmp_path),
            "DATABASE_URL": platform.config.database_url,
        }
        command = [str(Path(sys.executable).parent / "tradewind"), "worker", "--once"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True)
        assert "INFO marketplace.worker: worker pass: 2 sent, 2 mined" in done.stderr
        # Ctrl-C stops the long-running worker with a line, not a traceback.
        running = subprocess.Popen(command[:-1], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert running.stderr is not None
        watchdog = threading.Timer(120, running.kill)  # a worker that never says it runs fails, not hangs
        watchdog.start()
        before: list[str] = []  # what the worker says until it runs, ready for Ctrl-C
        while not before or ("worker running: a pass every" not in before[-1] and before[-1]):
            before.append(running.stderr.readline())
        watchdog.cancel()
        assert before[-1], before
        running.send_signal(signal.SIGINT)
        _, stderr = running.communicate(timeout=60)
        assert running.returncode == 130 and "Traceback" not in stderr, stderr
        assert "tradewind: stopped" in stderr


def test_on_a_development_chain_the_worker_keeps_the_operator_in_gas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every new organization costs the operator 1 ETH of faucet gas: after a hundred of them the faucet ran dry."""
    with platform_on(tmp_path, "") as platform:
        w3, operator = platform.w3, platform.ctx.operator
        with platform.db.session() as s:
            account = platform.signer(s, operator)
        keep = 5 * 10**17  # half an ETH: less than one faucet grant
        spend = w3.eth.get_balance(operator) - keep - 21_000 * 10**10
        tx = {
            "to": "0x000000000000000000000000000000000000dEaD",
            "value": spend,
            "gas": 21_000,
            "chainId": w3.eth.chain_id,
        }
        tx.update(nonce=w3.eth.get_transaction_count(operator), maxFeePerGas=10**10, maxPriorityFeePerGas=10**9)
        w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction))
        assert w3.eth.get_balance(operator) < 10**18
        worker = Worker(platform)
        Orgs(platform).exporter()  # its faucet gas comes from the operator
        worker.drain()
        with platform.db.session() as s:
            faucet = s.scalars(select(OutboxTx).where(OutboxTx.purpose == "faucet_gas")).all()
        assert [row.status for row in faucet] == [TxStatus.MINED]
