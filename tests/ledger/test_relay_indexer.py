"""Outbox relay and event indexer against a real in-process chain and a real SQLite database."""

from __future__ import annotations

import pytest
from eth_account import Account
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ledger.chain import connect
from ledger.contracts import ESCROW, REGISTRY, STABLECOIN, encode_call
from ledger.indexer import Indexer
from ledger.relay import Relay, enqueue
from ledger.sandbox import Sandbox
from ledger.store import ChainEvent, OutboxTx, TxStatus
from tests.helpers import keys_of


class Crash(Exception):
    """Stands for the process dying."""


@pytest.fixture
def local() -> Sandbox:
    return Sandbox(connect(None))  # a chain of its own: these tests rewind it


def mint(sessions: sessionmaker[Session], local: Sandbox, to: str, amount: int, ref: str = "t") -> int:
    with sessions() as s:
        row = enqueue(
            s,
            chain_id=local.w3.eth.chain_id,
            sender=local.admin.address,
            to=local.token.address,
            data=encode_call(STABLECOIN, "mint", [to, amount]),
            purpose="mint",
            reference=ref,
        )
        s.commit()
        return row.id


def test_relay_sends_in_order_with_gapless_nonces(local: Sandbox, sessions) -> None:  # type: ignore[no-untyped-def]
    receiver = Account.create().address
    ids = [mint(sessions, local, receiver, n) for n in (1, 2, 3)]
    result = Relay(local.w3, sessions, keys_of(local.admin)).run_once()
    assert result.mined == 3
    with sessions() as s:
        rows = [s.get(OutboxTx, i) for i in ids]
    assert [r.status for r in rows] == [TxStatus.MINED] * 3
    assert [r.nonce for r in rows] == [rows[0].nonce, rows[0].nonce + 1, rows[0].nonce + 2]
    assert local.token.functions.balanceOf(receiver).call() == 6


def test_a_crash_after_signing_resends_the_same_bytes(local: Sandbox, sessions) -> None:  # type: ignore[no-untyped-def]
    receiver = Account.create().address
    row_id = mint(sessions, local, receiver, 42)

    class CrashingRelay(Relay):
        def _send(self, session, row, result):  # type: ignore[no-untyped-def]
            raise Crash

    with pytest.raises(Crash):
        CrashingRelay(local.w3, sessions, keys_of(local.admin)).run_once()
    with sessions() as s:
        signed = s.get(OutboxTx, row_id)
    assert signed.status == TxStatus.SIGNED and signed.raw_tx
    assert local.token.functions.balanceOf(receiver).call() == 0

    Relay(local.w3, sessions, keys_of(local.admin)).run_once()
    with sessions() as s:
        done = s.get(OutboxTx, row_id)
    assert done.status == TxStatus.MINED
    assert done.tx_hash == signed.tx_hash  # the persisted transaction, not a new one
    assert local.token.functions.balanceOf(receiver).call() == 42


def test_a_transaction_the_node_already_has_counts_as_sent(local: Sandbox, sessions) -> None:  # type: ignore[no-untyped-def]
    receiver = Account.create().address
    row_id = mint(sessions, local, receiver, 7)

    class CrashAfterSend(Relay):
        def _send(self, session, row, result):  # type: ignore[no-untyped-def]
            self.w3.eth.send_raw_transaction(row.raw_tx)  # sent, but the status update is lost
            raise Crash

    with pytest.raises(Crash):
        CrashAfterSend(local.w3, sessions, keys_of(local.admin)).run_once()
    Relay(local.w3, sessions, keys_of(local.admin)).run_once()
    with sessions() as s:
        assert s.get(OutboxTx, row_id).status == TxStatus.MINED
    assert local.token.functions.balanceOf(receiver).call() == 7  # minted once, not twice


def test_a_reverting_call_fails_with_its_reason_and_does_not_block_the_sender(local: Sandbox, sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions() as s:
        bad = enqueue(
            s,
            chain_id=local.w3.eth.chain_id,
            sender=local.admin.address,
            to=local.registry.address,
            data=encode_call(REGISTRY, "anchor", [b"\0" * 32, 1, 1, 1]),
            purpose="anchor",
            reference="bad",
        )
        s.commit()
    receiver = Account.create().address
    good = mint(sessions, local, receiver, 5)
    result = Relay(local.w3, sessions, keys_of(local.admin)).run_once()
    assert (result.mined, result.failed) == (1, 1)
    with sessions() as s:
        failed = s.get(OutboxTx, bad.id)
        assert failed.status == TxStatus.FAILED and "revert" in failed.error
        assert s.get(OutboxTx, good).status == TxStatus.MINED


def test_indexer_reads_each_event_once_and_rolls_back_a_reorg(local: Sandbox, sessions) -> None:  # type: ignore[no-untyped-def]
    w3 = local.w3
    indexer = Indexer(w3, {REGISTRY: local.registry, ESCROW: local.escrow}, start_block=1)
    tester = w3.provider.ethereum_tester
    with sessions() as s:
        indexer.poll(s)
        s.commit()
    snapshot = tester.take_snapshot()
    local.send(local.admin, local.registry, "anchor", b"\x01" * 32, 1, 1, 1)
    local.send(local.admin, local.registry, "anchor", b"\x02" * 32, 2, 1, 1)
    with sessions() as s:
        added = indexer.poll(s)
        s.commit()
        assert [e.name for e in added.added] == ["RootAnchored", "RootAnchored"]
        assert indexer.poll(s).added == []  # nothing is read twice
        s.commit()

    tester.revert_to_snapshot(snapshot)  # the chain forgets both blocks ...
    local.send(local.admin, local.registry, "anchor", b"\x03" * 32, 3, 1, 1)  # ... and grows another branch
    tester.mine_blocks(2)
    with sessions() as s:
        result = indexer.poll(s)
        s.commit()
        roots = s.scalars(select(ChainEvent.key).where(ChainEvent.name == "RootAnchored")).all()
        assert sorted(e.key for e in result.removed) == ["0x" + "01" * 32, "0x" + "02" * 32]
        assert roots == ["0x" + "03" * 32]


def test_confirmation_depth_holds_back_recent_blocks(local: Sandbox, sessions) -> None:  # type: ignore[no-untyped-def]
    indexer = Indexer(local.w3, {REGISTRY: local.registry}, start_block=1, confirmations=3)
    local.send(local.admin, local.registry, "anchor", b"\x09" * 32, 9, 1, 1)
    with sessions() as s:
        anchored = lambda result: [e.key for e in result.added if e.name == "RootAnchored"]  # noqa: E731
        assert anchored(indexer.poll(s)) == []
        local.w3.provider.ethereum_tester.mine_blocks(3)
        assert anchored(indexer.poll(s)) == ["0x" + "09" * 32]
