"""The relay under node faults, on a real Anvil node, through a real misbehaving JSON-RPC proxy: refused
sends, outages, a sender the node never mines, a nonce gap left behind, and reorgs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from ledger.chain import connect
from ledger.relay import REASON_NO_GAS, Relay, RelayResult, enqueue
from ledger.store import OutboxTx, Sender, TxStatus
from tests.conftest import anvil_node
from tests.helpers import keys_of
from tests.rpc_proxy import RpcProxy, rpc_proxy

PASS_LIMIT_SECONDS = 20.0
OUTAGE = 20  # failed calls in a row: more than web3's own retries of a send


@pytest.fixture(scope="module")
def node() -> Iterator[str]:
    with anvil_node() as url:
        yield url


@pytest.fixture
def proxy(node: str) -> Iterator[RpcProxy]:
    with rpc_proxy(node) as running:
        yield running


def wallet(w3: Web3, ether: int = 1) -> LocalAccount:
    """A new account with `ether` on the node (set, then mined into a block of its own)."""
    account = Account.create()
    if ether:
        w3.provider.make_request("anvil_setBalance", [account.address, hex(ether * 10**18)])
        w3.provider.make_request("evm_mine", [])
    return account


def pay(
    sessions: sessionmaker[Session], w3: Web3, sender: str, ref: str = "t", value: int = 1, funds: str | None = None
) -> int:
    """Queue a plain transfer from `sender` to a fresh address (or to `funds`, which it then funds)."""
    with sessions() as s:
        row = enqueue(
            s,
            chain_id=w3.eth.chain_id,
            sender=sender,
            to=funds or Account.create().address,
            data="0x",
            value=value,
            purpose="pay",
            reference=ref,
            funds=funds,
        )
        s.commit()
        return row.id


def rows(sessions: sessionmaker[Session], ids: list[int]) -> list[OutboxTx]:
    with sessions() as s:
        return [s.get(OutboxTx, i) for i in ids]


def next_nonce(sessions: sessionmaker[Session], address: str) -> int:
    with sessions() as s:
        return s.scalar(select(Sender.next_nonce).where(Sender.address == address))


def run_pass(relay: Relay) -> tuple[RelayResult, float]:
    """One relay pass, which must finish within PASS_LIMIT_SECONDS; its result and duration."""
    outcome: list[RelayResult] = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: outcome.append(relay.run_once()), daemon=True)
    thread.start()
    thread.join(PASS_LIMIT_SECONDS)
    assert outcome, f"a relay pass took longer than {PASS_LIMIT_SECONDS} s"
    return outcome[0], time.monotonic() - started


@pytest.mark.parametrize("fault", [503, "drop"], ids=["http-503", "connection-dropped"])
def test_an_outage_on_send_keeps_the_row_signed_and_sends_the_same_bytes_later(
    proxy: RpcProxy,
    sessions,
    fault,  # type: ignore[no-untyped-def]
) -> None:
    w3 = connect(proxy.url)
    sender = wallet(w3)
    ids = [pay(sessions, w3, sender.address, ref=f"r{n}") for n in range(3)]
    relay = Relay(w3, sessions, keys_of(sender))
    proxy.fail_next("eth_sendRawTransaction", fault, times=OUTAGE)

    run_pass(relay)
    first, *rest = rows(sessions, ids)
    assert first.status == TxStatus.SIGNED and first.raw_tx, "an outage must not fail the row"
    assert [r.status for r in rest] == [TxStatus.PENDING] * 2

    proxy.faults.clear()  # the node is back
    run_pass(relay)
    done = rows(sessions, ids)
    assert [r.status for r in done] == [TxStatus.MINED] * 3
    assert done[0].tx_hash == first.tx_hash  # the same signed bytes
    assert [r.nonce for r in done] == [0, 1, 2]
    assert w3.eth.get_transaction_count(sender.address) == 3 == next_nonce(sessions, sender.address)


def test_a_sender_without_gas_fails_cleanly_and_its_nonce_is_used_again(node: str, sessions) -> None:  # type: ignore[no-untyped-def]
    w3 = connect(node)
    sender = wallet(w3, ether=0)
    relay = Relay(w3, sessions, keys_of(sender))
    refused = [pay(sessions, w3, sender.address, ref="action"), pay(sessions, w3, sender.address, ref="action")]
    other = pay(sessions, w3, sender.address, ref="other")

    run_pass(relay)
    first, second, third = rows(sessions, [*refused, other])
    assert first.status == TxStatus.FAILED and first.reason == REASON_NO_GAS
    assert "insufficient funds" in first.error.lower()  # the node's own words stay for operators
    assert second.status == TxStatus.FAILED and "not sent" in second.error  # the rest of its action
    assert third.status == TxStatus.FAILED and third.reason == REASON_NO_GAS
    assert next_nonce(sessions, sender.address) == 0  # released

    w3.provider.make_request("anvil_setBalance", [sender.address, hex(10**18)])
    later = [pay(sessions, w3, sender.address, ref=f"later{n}") for n in range(3)]
    run_pass(relay)
    assert [(r.status, r.nonce) for r in rows(sessions, later)] == [(TxStatus.MINED, n) for n in range(3)]
    assert w3.eth.get_transaction_count(sender.address) == 3 == next_nonce(sessions, sender.address)


def test_a_sender_the_node_never_mines_costs_the_others_nothing(proxy: RpcProxy, sessions) -> None:  # type: ignore[no-untyped-def]
    w3 = connect(proxy.url)
    stuck, *others = (wallet(w3) for _ in range(3))
    relay = Relay(w3, sessions, keys_of(stuck, *others))
    proxy.swallowed.add(stuck.address)  # the node says "accepted" and never mines it
    stuck_row = pay(sessions, w3, stuck.address)
    for round_ in range(2):
        queued = [pay(sessions, w3, o.address, ref=f"{round_}-{n}") for o in others for n in range(3)]
        _, seconds = run_pass(relay)
        print(f"pass {round_}: {seconds:.2f} s for {len(queued)} transactions of other senders, one sender stuck")
        assert [r.status for r in rows(sessions, queued)] == [TxStatus.MINED] * len(queued)
        assert seconds < 5
    assert rows(sessions, [stuck_row])[0].status == TxStatus.SENT

    proxy.swallowed.clear()  # the node lost it; the relay broadcasts it again
    run_pass(relay)
    assert rows(sessions, [stuck_row])[0].status == TxStatus.MINED


def test_a_nonce_gap_left_behind_is_filled_and_the_rows_above_it_are_mined(node: str, sessions) -> None:  # type: ignore[no-untyped-def]
    """What an older relay left: nonce 0 refused and released nowhere, nonce 1 queued on the node."""
    w3 = connect(node)
    sender = wallet(w3)
    receiver = Account.create().address
    chain_id = w3.eth.chain_id
    fee = w3.eth.get_block("latest")["baseFeePerGas"] * 2 + 10**9
    tx = {"to": receiver, "value": 5, "gas": 21_000, "maxFeePerGas": fee, "maxPriorityFeePerGas": 10**9}
    signed = sender.sign_transaction({**tx, "nonce": 1, "chainId": chain_id})
    w3.eth.send_raw_transaction(signed.raw_transaction)
    with sessions() as s:
        common = {"chain_id": chain_id, "sender": sender.address, "to": receiver, "data": "0x", "purpose": "pay"}
        s.add(OutboxTx(**common, value="5", reference="old", status=TxStatus.FAILED, nonce=0, error="node refused"))
        queued = OutboxTx(
            **common,
            value="5",
            reference="queued",
            status=TxStatus.SENT,
            nonce=1,
            raw_tx=signed.raw_transaction.to_0x_hex(),
            tx_hash=signed.hash.to_0x_hex(),
        )
        s.add(queued)
        s.add(Sender(chain_id=chain_id, address=sender.address, next_nonce=2))
        s.commit()
    relay = Relay(w3, sessions, keys_of(sender))
    later = pay(sessions, w3, sender.address, ref="later")

    run_pass(relay)
    mined = [(r.status, r.nonce) for r in rows(sessions, [queued.id, later])]
    assert mined == [(TxStatus.MINED, 1), (TxStatus.MINED, 2)]
    with sessions() as s:
        filler = s.scalars(select(OutboxTx).where(OutboxTx.purpose == "nonce_fill")).one()
    assert (filler.status, filler.nonce) == (TxStatus.MINED, 0)
    assert w3.eth.get_balance(receiver) == 5  # the queued payment, once
    assert w3.eth.get_transaction_count(sender.address) == 3 == next_nonce(sessions, sender.address)


def test_rows_a_reorg_dropped_are_sent_again_funding_first_and_the_nonce_follows_the_chain(sessions) -> None:  # type: ignore[no-untyped-def]
    with anvil_node() as url:  # a node of its own: the reorg rewrites its recent blocks
        w3 = connect(url)
        funder, fresh = wallet(w3), Account.create()
        relay = Relay(w3, sessions, keys_of(funder, fresh))
        gas = pay(sessions, w3, funder.address, value=10**17, funds=fresh.address)
        spends = [pay(sessions, w3, fresh.address, ref=f"s{n}") for n in range(2)]
        payments = [pay(sessions, w3, funder.address, ref=f"p{n}") for n in range(2)]
        ids = [gas, *spends, *payments]
        run_pass(relay)
        before = rows(sessions, ids)
        assert [r.status for r in before] == [TxStatus.MINED] * 5

        depth = w3.eth.block_number - min(r.block_number for r in before) + 1
        assert w3.provider.make_request("anvil_reorg", [depth, []]).get("error") is None
        assert w3.eth.get_transaction_count(funder.address) == 0  # the chain forgot them all
        assert w3.eth.get_balance(fresh.address) == 0

        result, _ = run_pass(relay)
        after = rows(sessions, ids)
        assert result.reorged == 5
        assert [r.status for r in after] == [TxStatus.MINED] * 5
        assert [r.tx_hash for r in after] == [r.tx_hash for r in before]  # the same signed bytes
        assert all(r.block_hash != b.block_hash for r, b in zip(after, before, strict=True))
        assert w3.eth.get_transaction_count(funder.address) == 3 == next_nonce(sessions, funder.address)
        assert w3.eth.get_transaction_count(fresh.address) == 2 == next_nonce(sessions, fresh.address)

        w3.provider.make_request("anvil_reorg", [2, []])  # drop the last two again, and keep sending
        more = [pay(sessions, w3, funder.address, ref="m"), pay(sessions, w3, fresh.address, ref="m")]
        run_pass(relay)
        assert [r.status for r in rows(sessions, [*ids, *more])] == [TxStatus.MINED] * 7
        assert w3.eth.get_transaction_count(funder.address) == 4 == next_nonce(sessions, funder.address)
        assert w3.eth.get_transaction_count(fresh.address) == 3 == next_nonce(sessions, fresh.address)
