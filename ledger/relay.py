"""Outbox relay: pending rows -> signed transactions -> receipts.

One writer per sending address: the relay locks the sender's row (SELECT ... FOR UPDATE SKIP LOCKED on
PostgreSQL) while it works, assigns gapless nonces from that row, and persists each signed raw
transaction before sending it, so that a crash between signing and sending loses nothing: the same
bytes are sent again, and a node that already knows them is success."""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.exceptions import TimeExhausted, TransactionNotFound

from ledger.chain import REVERTS
from ledger.contracts import revert_reason
from ledger.store import OutboxTx, Sender, TxStatus

log = logging.getLogger(__name__)

KeyLookup = Callable[[Session, str], LocalAccount]
"""Returns the signing account of a sender address (the marketplace opens sealed keys)."""

_OPEN = (TxStatus.PENDING, TxStatus.SIGNED, TxStatus.SENT)
_ALREADY_SENT = ("already known", "known transaction", "nonce too low", "already imported", "invalid transaction nonce")


def enqueue(
    session: Session,
    *,
    chain_id: int,
    sender: str,
    to: str,
    data: str,
    purpose: str,
    reference: str,
    value: int = 0,
) -> OutboxTx:
    """Add a transaction to the outbox in the caller's DB transaction (no chain call)."""
    row = OutboxTx(
        chain_id=chain_id,
        sender=Web3.to_checksum_address(sender),
        to=Web3.to_checksum_address(to),
        data=data,
        value=str(value),
        purpose=purpose,
        reference=reference,
        status=TxStatus.PENDING,
    )
    session.add(row)
    session.flush()
    return row


def _reason(exc: Exception) -> str:
    """Revert data from a JSON-RPC node's error, or from the in-process EVM's message."""
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return revert_reason(bytes.fromhex(data[2:]))
    text = str(exc.args[0] if exc.args else exc).removeprefix("execution reverted: ")
    if text.startswith(("b'", 'b"')):
        return revert_reason(ast.literal_eval(text))
    return text


@dataclass
class RelayResult:
    """What one pass of the relay did."""

    mined: int = 0
    failed: int = 0


class Relay:
    """Sends outbox transactions of one chain."""

    def __init__(
        self, w3: Web3, sessions: sessionmaker[Session], keys: KeyLookup, receipt_timeout: float = 120
    ) -> None:
        self.w3 = w3
        self.sessions = sessions
        self.keys = keys
        self.chain_id = w3.eth.chain_id
        self.receipt_timeout = receipt_timeout

    def run_once(self) -> RelayResult:
        """Send every open outbox row, sender by sender, oldest first."""
        result = RelayResult()
        with self.sessions() as session:
            senders = session.scalars(
                select(OutboxTx.sender).where(OutboxTx.chain_id == self.chain_id, OutboxTx.status.in_(_OPEN)).distinct()
            ).all()
        for sender in senders:
            self._drain_sender(sender, result)
        return result

    def _drain_sender(self, sender: str, result: RelayResult) -> None:
        with self.sessions() as lock_session:
            lock = self._lock_sender(lock_session, sender)
            if lock is None:
                return  # another worker is sending for this address
            while True:
                with self.sessions() as session:
                    row = session.scalars(
                        select(OutboxTx)
                        .where(
                            OutboxTx.chain_id == self.chain_id,
                            OutboxTx.sender == sender,
                            OutboxTx.status.in_(_OPEN),
                        )
                        .order_by(OutboxTx.id)
                        .limit(1)
                    ).first()
                    if row is None:
                        break
                    self._advance(session, lock, row)
                    if row.status == TxStatus.MINED:
                        result.mined += 1
                    elif row.status == TxStatus.FAILED:
                        result.failed += 1
                    else:
                        break  # still waiting for the node: try again next pass
            lock_session.commit()

    def _lock_sender(self, session: Session, sender: str) -> Sender | None:
        query = select(Sender).where(Sender.chain_id == self.chain_id, Sender.address == sender)
        lock = session.scalars(query.with_for_update(skip_locked=True)).first()
        if lock is None and session.scalars(query).first() is None:
            session.add(Sender(chain_id=self.chain_id, address=sender, next_nonce=0))
            session.commit()
            lock = session.scalars(query.with_for_update(skip_locked=True)).first()
        return lock

    def _advance(self, session: Session, lock: Sender, row: OutboxTx) -> None:
        row.attempts += 1
        if row.status == TxStatus.PENDING and not self._sign(session, lock, row):
            return
        self._send_and_wait(session, row)

    def _sign(self, session: Session, lock: Sender, row: OutboxTx) -> bool:
        account = self.keys(session, row.sender)
        tx = {
            "from": row.sender,
            "to": row.to,
            "data": row.data,
            "value": int(row.value),
            "chainId": self.chain_id,
        }
        try:
            tx["gas"] = int(self.w3.eth.estimate_gas(tx) * 12 // 10)
        except REVERTS as exc:
            row.status, row.error = TxStatus.FAILED, f"reverted: {_reason(exc)}"
            session.commit()
            log.warning("outbox %s (%s) would revert: %s", row.id, row.purpose, row.error)
            return False
        base_fee = self.w3.eth.get_block("latest").get("baseFeePerGas", 0)
        tip = 1_000_000_000
        tx.update(
            maxPriorityFeePerGas=tip,
            maxFeePerGas=2 * base_fee + tip,
            nonce=max(lock.next_nonce, self.w3.eth.get_transaction_count(row.sender, "pending")),
        )
        del tx["from"]
        signed = account.sign_transaction(tx)
        row.nonce = tx["nonce"]
        row.raw_tx = signed.raw_transaction.to_0x_hex()
        row.tx_hash = signed.hash.to_0x_hex()
        row.status = TxStatus.SIGNED
        lock.next_nonce = tx["nonce"] + 1
        session.commit()  # the signed bytes are safe before they leave
        return True

    def _send_and_wait(self, session: Session, row: OutboxTx) -> None:
        if row.status == TxStatus.SIGNED:
            try:
                self.w3.eth.send_raw_transaction(row.raw_tx)
            except Exception as exc:  # node errors differ: JSON-RPC errors, eth-tester validation errors
                text = str(exc).lower()
                if not any(marker in text for marker in _ALREADY_SENT) or not self._known(row.tx_hash):
                    row.status, row.error = TxStatus.FAILED, f"node refused: {exc}"
                    session.commit()
                    return
            row.status = TxStatus.SENT
            session.commit()
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(row.tx_hash, timeout=self.receipt_timeout)
        except TimeExhausted:
            return
        row.block_number = receipt["blockNumber"]
        row.gas_used = receipt["gasUsed"]
        if receipt["status"] == 1:
            row.status = TxStatus.MINED
        else:
            row.status, row.error = TxStatus.FAILED, "reverted on chain"
        session.commit()

    def _known(self, tx_hash: str | None) -> bool:
        try:
            return tx_hash is not None and self.w3.eth.get_transaction(tx_hash) is not None
        except TransactionNotFound:
            return False
