"""Outbox relay: pending rows -> signed transactions -> receipts, without ever waiting on one sender.

One writer per sending address: the relay locks the sender's row (SELECT ... FOR UPDATE SKIP LOCKED on
PostgreSQL) while it works, and persists each signed raw transaction before sending it, so that a crash
between signing and sending loses nothing: the same bytes are sent again, and a node that already knows
them is success.

Passes and rounds. A pass works in rounds; each round gives every sender with open rows one step, and a
step never waits for the chain: the sender's rows in flight get one receipt check each (a row the node
no longer knows is broadcast again with the same bytes), signed rows are (re)sent in nonce order, then
pending rows are signed and sent, each followed by one quick receipt check. Rounds repeat while some
sender moved, so a row that depends on an earlier one (open after approve) goes out as soon as that one
is mined, and a sender whose transactions the node does not mine costs the others a few quick calls.

Nonces. A new row takes the nonce after the sender's highest row in flight or, with nothing in flight,
the node's pending transaction count: the stored `next_nonce` follows the chain, and a nonce that a
refused send did not use is used again. A gap below the rows in flight (nonces nobody will send, left by
an older version or a restored database) is filled with a no-op transfer to self, so the rows above it
are mined. A row whose nonce was used by another transaction (the node says "nonce too low" and does not
know our hash) is signed again with a new nonce: its old bytes can never be mined.

Refusals. A transient failure (connection refused, timeout, HTTP 5xx or 429) changes nothing: signed
rows are sent again with the same bytes on a later pass. A definitive refusal (a JSON-RPC error such as
insufficient funds) fails the row and the rest of its action (the sender's later pending rows with the
same reference), and its nonce is used again; only when later rows of the sender already hold higher
nonces does the row stay signed and get retried, so that no gap opens. A row whose gas estimate reverts
fails with the revert reason, unless an earlier row of its sender is still in flight (it may depend on
it, like open on approve): then it waits for that one.

Funding. A row may name the wallet it funds (`funds`: the faucet's gas and test tokens for a new
wallet). That wallet's rows are neither signed nor sent while such a row is open, so a wallet never
sends before its gas is mined.

Reorgs. Mined rows keep their block hash. Each pass compares the newest mined block within
`reorg_depth` blocks of the head with the chain (one call when nothing changed) and walks down while the
hashes differ; a row whose block was replaced and whose transaction has no receipt any more goes back
to signed and is sent again with the same bytes.

Errors. `error` keeps the node's full answer for operators; `reason` is a short text that may be shown
to users: a revert reason, or a fixed sentence, never a URL, host or key."""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import requests
from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import ValidationError as EthTesterValidationError
from eth_utils.exceptions import ValidationError as EthUtilsValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.exceptions import BlockNotFound, TooManyRequests, TransactionNotFound, Web3RPCError

from ledger.chain import REVERTS
from ledger.contracts import revert_reason
from ledger.store import OutboxTx, Sender, TxStatus

log = logging.getLogger(__name__)

KeyLookup = Callable[[Session, str], LocalAccount]
"""Returns the signing account of a sender address (the marketplace opens sealed keys)."""

_OPEN = (TxStatus.PENDING, TxStatus.SIGNED, TxStatus.SENT)
_IN_FLIGHT = (TxStatus.SIGNED, TxStatus.SENT)
_KNOWN = ("already known", "known transaction", "already imported")
_NONCE_USED = ("nonce too low", "invalid transaction nonce", "nonce has already been used")
_NO_GAS = ("insufficient funds", "not have enough balance")
_BUSY = ("rate limit", "too many requests", "txpool is full", "try again", "temporarily")
_NODE_ERRORS = (Web3RPCError, ValueError, EthTesterValidationError, EthUtilsValidationError)
"""What a node's refusal raises: a JSON-RPC error, a validation error, or the in-process EVM's."""
_TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError, TooManyRequests)
TIP_WEI = 1_000_000_000

REASON_REFUSED = "the chain node refused the transaction"
REASON_NO_GAS = "the sending wallet has too little gas to pay for the transaction"
REASON_REVERTED = "the transaction was reverted on chain"
_URL = re.compile(
    r"[a-z][a-z0-9+.-]*://\S+"  # URLs, with any key in their path or query
    r"|\bhost='[^']*'"  # urllib3's "HTTPConnectionPool(host='...')"
    r"|\b[\w.-]+\.[a-z]{2,}(:\d+)?/\S*"  # host/path without a scheme
    r"|\b\d+(\.\d+){3}(:\d+)?",  # IPv4 addresses
    re.I,
)


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
    funds: str | None = None,
) -> OutboxTx:
    """Add a transaction to the outbox in the caller's DB transaction (no chain call). `funds` names a
    wallet this transaction gives gas or tokens to: that wallet's own rows wait until it is mined."""
    row = OutboxTx(
        chain_id=chain_id,
        sender=Web3.to_checksum_address(sender),
        to=Web3.to_checksum_address(to),
        data=data,
        value=str(value),
        purpose=purpose,
        reference=reference,
        funds=Web3.to_checksum_address(funds) if funds else None,
        status=TxStatus.PENDING,
    )
    session.add(row)
    session.flush()
    return row


def public_text(text: str, limit: int = 200) -> str:
    """`text` without URLs, hosts or IP addresses, cut to `limit` characters: safe to show to users."""
    return _URL.sub("[node]", text)[:limit]


def _reason(exc: Exception) -> str:
    """Revert data from a JSON-RPC node's error, or from the in-process EVM's message."""
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return revert_reason(bytes.fromhex(data[2:]))
    text = str(exc.args[0] if exc.args else exc).removeprefix("execution reverted: ")
    if text.startswith(("b'", 'b"')):
        return revert_reason(ast.literal_eval(text))
    return text


def is_transient(exc: Exception) -> bool:
    """Whether a node error says "not now" (outage, overload) rather than "never"."""
    if isinstance(exc, _TRANSIENT_ERRORS):
        return True
    if isinstance(exc, requests.HTTPError):
        status = exc.response.status_code if exc.response is not None else 500
        return status >= 500 or status == 429
    return any(marker in str(exc).lower() for marker in _BUSY)


class _Sent(Enum):
    OK = "ok"  # the node has it
    AGAIN = "again"  # back to pending, to be signed with a new nonce
    FAILED = "failed"  # refused for good
    STOP = "stop"  # not now: the sender's later rows must wait


@dataclass
class RelayResult:
    """What one pass of the relay did."""

    mined: int = 0
    failed: int = 0
    sent: int = 0  # rows signed and sent for the first time
    reorged: int = 0  # mined rows that a reorg dropped, sent again
    waiting: int = 0  # rows in flight at the end of the pass


class Relay:
    """Sends outbox transactions of one chain."""

    def __init__(
        self,
        w3: Web3,
        sessions: sessionmaker[Session],
        keys: KeyLookup,
        reorg_depth: int = 64,
        max_rounds: int = 16,
    ) -> None:
        self.w3 = w3
        self.sessions = sessions
        self.keys = keys
        self.chain_id = w3.eth.chain_id
        self.reorg_depth = reorg_depth
        self.max_rounds = max_rounds

    def run_once(self) -> RelayResult:
        """Notice reorgs, then give every sender steps until nobody moves (or `max_rounds`)."""
        result = RelayResult()
        with self.sessions() as session:
            self._check_reorgs(session, result)
        for round_ in range(self.max_rounds):
            with self.sessions() as session:
                senders = session.scalars(
                    select(OutboxTx.sender)
                    .where(OutboxTx.chain_id == self.chain_id, OutboxTx.status.in_(_OPEN))
                    .distinct()
                ).all()
            moved = [self._step(sender, result, first=round_ == 0) for sender in sorted(senders)]
            if not any(moved):
                break
        with self.sessions() as session:
            result.waiting = session.scalar(
                select(func.count())
                .select_from(OutboxTx)
                .where(OutboxTx.chain_id == self.chain_id, OutboxTx.status.in_(_IN_FLIGHT))
            )
        return result

    # -- one sender ----------------------------------------------------------------------------------

    def _step(self, sender: str, result: RelayResult, first: bool) -> bool:
        """One step for one sender under its lock; whether it moved (a new row sent, a row mined or
        failed). Lost transactions are broadcast again, and gaps looked for, in the `first` round only."""
        with self.sessions() as lock_session:
            lock = self._lock_sender(lock_session, sender)
            if lock is None:
                return False  # another worker is sending for this address
            with self.sessions() as session:
                try:
                    moved = self._work(session, sender, result, first)
                except Exception as exc:
                    if not is_transient(exc):
                        raise
                    session.rollback()
                    log.warning("sender %s: the node is unreachable (%s); trying again next pass", sender, exc)
                    moved = False
                try:
                    lock.next_nonce = self._next_nonce(session, sender)
                except Exception as exc:
                    if not is_transient(exc):
                        raise
            lock_session.commit()
        return moved

    def _lock_sender(self, session: Session, sender: str) -> Sender | None:
        query = select(Sender).where(Sender.chain_id == self.chain_id, Sender.address == sender)
        lock = session.scalars(query.with_for_update(skip_locked=True)).first()
        if lock is None and session.scalars(query).first() is None:
            session.add(Sender(chain_id=self.chain_id, address=sender, next_nonce=0))
            session.commit()
            lock = session.scalars(query.with_for_update(skip_locked=True)).first()
        return lock

    def _rows(self, session: Session, sender: str, *statuses: TxStatus) -> list[OutboxTx]:
        return list(
            session.scalars(
                select(OutboxTx)
                .where(OutboxTx.chain_id == self.chain_id, OutboxTx.sender == sender, OutboxTx.status.in_(statuses))
                .order_by(OutboxTx.nonce, OutboxTx.id)
            )
        )

    def _work(self, session: Session, sender: str, result: RelayResult, first: bool) -> bool:
        moved = False
        waiting = False
        for row in self._rows(session, sender, TxStatus.SENT):
            mined = self._poll(session, row, result, rebroadcast=first)
            moved |= mined
            waiting |= not mined and row.status == TxStatus.SENT
        if waiting and first:
            moved |= self._fill_gaps(session, sender, result)
        if self._funding_open(session, sender):
            return moved  # its gas or tokens are not mined yet
        for row in self._rows(session, sender, TxStatus.SIGNED):
            sent = self._send(session, row, result)
            if sent in (_Sent.STOP, _Sent.AGAIN):
                return moved or sent == _Sent.AGAIN
            moved |= sent == _Sent.FAILED or self._poll(session, row, result)
        for row in self._rows(session, sender, TxStatus.PENDING):
            if row.status != TxStatus.PENDING:
                continue  # failed with an earlier row of its action
            if not self._sign(session, row, result):
                if row.status != TxStatus.FAILED:
                    return moved  # waits for an earlier row in flight
                moved = True
                continue
            sent = self._send(session, row, result)
            if sent in (_Sent.STOP, _Sent.AGAIN):
                return moved or sent == _Sent.AGAIN
            moved = True
            if sent == _Sent.OK:
                result.sent += 1
                self._poll(session, row, result)
        return moved

    def _funding_open(self, session: Session, sender: str) -> bool:
        return (
            session.scalar(
                select(OutboxTx.id)
                .where(OutboxTx.chain_id == self.chain_id, OutboxTx.funds == sender, OutboxTx.status.in_(_OPEN))
                .limit(1)
            )
            is not None
        )

    def _next_nonce(self, session: Session, sender: str) -> int:
        """The nonce after the sender's highest row in flight; with nothing in flight, the node's."""
        highest = session.scalar(
            select(func.max(OutboxTx.nonce)).where(
                OutboxTx.chain_id == self.chain_id, OutboxTx.sender == sender, OutboxTx.status.in_(_IN_FLIGHT)
            )
        )
        return highest + 1 if highest is not None else self.w3.eth.get_transaction_count(sender, "pending")

    # -- sign, send, poll ----------------------------------------------------------------------------

    def _sign(self, session: Session, row: OutboxTx, result: RelayResult) -> bool:
        """Estimate, sign with the next nonce and persist; False if the row failed or must wait."""
        tx = {"from": row.sender, "to": row.to, "data": row.data, "value": int(row.value), "chainId": self.chain_id}
        try:
            tx["gas"] = int(self.w3.eth.estimate_gas(tx) * 12 // 10)
        except REVERTS as exc:
            if self._rows(session, row.sender, *_IN_FLIGHT):
                return False  # it may depend on an earlier row still in flight: wait for it
            reason = public_text(f"reverted: {_reason(exc)}")
            self._fail(session, row, result, f"reverted: {_reason(exc)}", reason)
            return False
        except _NODE_ERRORS as exc:
            if is_transient(exc):
                raise
            self._fail(session, row, result, f"node refused the estimate: {exc}", _refusal(exc))
            return False
        del tx["from"]
        tx["nonce"] = self._next_nonce(session, row.sender)
        self._seal(session, row, tx)
        return True

    def _seal(self, session: Session, row: OutboxTx, tx: dict) -> None:
        """Sign `tx` (with fees of the moment) for `row` and persist the bytes before they leave."""
        base_fee = self.w3.eth.get_block("latest").get("baseFeePerGas", 0)
        tx.update(maxPriorityFeePerGas=TIP_WEI, maxFeePerGas=2 * base_fee + TIP_WEI)
        signed = self.keys(session, row.sender).sign_transaction(tx)
        row.attempts += 1
        row.nonce = tx["nonce"]
        row.raw_tx = signed.raw_transaction.to_0x_hex()
        row.tx_hash = signed.hash.to_0x_hex()
        row.status = TxStatus.SIGNED
        session.commit()

    def _send(self, session: Session, row: OutboxTx, result: RelayResult) -> _Sent:
        """Hand the signed bytes to the node."""
        try:
            self.w3.eth.send_raw_transaction(row.raw_tx)
        except Exception as exc:  # node errors differ: JSON-RPC errors, HTTP errors, eth-tester validation errors
            return self._refused(session, row, result, exc)
        row.status, row.error = TxStatus.SENT, None
        session.commit()
        return _Sent.OK

    def _refused(self, session: Session, row: OutboxTx, result: RelayResult, exc: Exception) -> _Sent:
        text = str(exc).lower()
        if any(marker in text for marker in _KNOWN + _NONCE_USED) and self._known(row.tx_hash):
            row.status, row.error = TxStatus.SENT, None
            session.commit()
            return _Sent.OK
        if is_transient(exc):
            row.error = f"node unreachable, will send again: {exc}"
            session.commit()
            log.warning("outbox %s (%s): node unreachable, will send again: %s", row.id, row.purpose, exc)
            return _Sent.STOP
        if any(marker in text for marker in _NONCE_USED):
            log.warning(
                "outbox %s (%s): nonce %s was used by another transaction; signing again",
                row.id,
                row.purpose,
                row.nonce,
            )
            row.status, row.nonce, row.raw_tx, row.tx_hash = TxStatus.PENDING, None, None, None
            session.commit()
            return _Sent.AGAIN
        later = [r for r in self._rows(session, row.sender, *_IN_FLIGHT) if r.nonce is not None and r.nonce > row.nonce]
        if later:  # releasing this nonce would strand the later ones: keep it and try again
            row.status, row.error = TxStatus.SIGNED, f"node refused, will send again: {exc}"
            session.commit()
            log.warning("outbox %s (%s): node refused, will send again: %s", row.id, row.purpose, exc)
            return _Sent.STOP
        self._fail(session, row, result, f"node refused: {exc}", _refusal(exc))
        return _Sent.FAILED

    def _poll(self, session: Session, row: OutboxTx, result: RelayResult, rebroadcast: bool = False) -> bool:
        """One receipt check; True if the row is now final. With `rebroadcast`, a transaction the node
        no longer knows goes back to signed, to be sent again."""
        try:
            receipt = self.w3.eth.get_transaction_receipt(row.tx_hash)
        except TransactionNotFound:
            receipt = None
        if receipt is None:
            if rebroadcast and not self._known(row.tx_hash):
                log.warning("outbox %s (%s): the node lost the transaction; sending it again", row.id, row.purpose)
                row.status = TxStatus.SIGNED
                session.commit()
            return False
        _record(row, receipt)
        if receipt["status"] == 1:
            row.status = TxStatus.MINED
            result.mined += 1
            session.commit()
        else:
            self._fail(session, row, result, "reverted on chain", REASON_REVERTED)
        return True

    def _fail(self, session: Session, row: OutboxTx, result: RelayResult, error: str, reason: str) -> None:
        """Fail `row` and the sender's later pending rows of the same action."""
        rest = session.scalars(
            select(OutboxTx).where(
                OutboxTx.chain_id == self.chain_id,
                OutboxTx.sender == row.sender,
                OutboxTx.reference == row.reference,
                OutboxTx.status == TxStatus.PENDING,
                OutboxTx.id > row.id,
            )
        ).all()
        row.status, row.error, row.reason = TxStatus.FAILED, error, reason
        for later in rest:
            later.status, later.reason = TxStatus.FAILED, reason
            later.error = f"not sent: outbox {row.id} of the same action failed"
        result.failed += 1 + len(rest)
        session.commit()
        log.warning("outbox %s (%s) failed: %s", row.id, row.purpose, error)

    def _known(self, tx_hash: str | None) -> bool:
        try:
            return tx_hash is not None and self.w3.eth.get_transaction(tx_hash) is not None
        except TransactionNotFound:
            return False

    # -- gaps and reorgs -----------------------------------------------------------------------------

    def _fill_gaps(self, session: Session, sender: str, result: RelayResult) -> bool:
        """Fill nonces below the sender's rows in flight that nothing will send, with no-op transfers."""
        held = {r.nonce for r in self._rows(session, sender, *_IN_FLIGHT)}
        missing = [n for n in range(self.w3.eth.get_transaction_count(sender, "pending"), max(held)) if n not in held]
        for nonce in missing:
            log.warning("sender %s: nonce %s is missing below transactions in flight; filling it", sender, nonce)
            filler = enqueue(
                session,
                chain_id=self.chain_id,
                sender=sender,
                to=sender,
                data="0x",
                purpose="nonce_fill",
                reference=f"nonce:{nonce}",
            )
            noop = {"to": sender, "value": 0, "gas": 21_000, "chainId": self.chain_id, "nonce": nonce}
            self._seal(session, filler, noop)
            if self._send(session, filler, result) != _Sent.OK:
                break
        return bool(missing)

    def _check_reorgs(self, session: Session, result: RelayResult) -> None:
        """Send again the rows whose mined block a reorg replaced and whose transaction is gone."""
        head = self.w3.eth.block_number
        rows = session.scalars(
            select(OutboxTx)
            .where(
                OutboxTx.chain_id == self.chain_id,
                OutboxTx.status == TxStatus.MINED,
                OutboxTx.block_hash.is_not(None),
                OutboxTx.block_number >= head - self.reorg_depth,
            )
            .order_by(OutboxTx.block_number.desc())
        ).all()
        by_block: dict[int, list[OutboxTx]] = {}
        for row in rows:
            by_block.setdefault(row.block_number, []).append(row)
        for number, block_rows in by_block.items():  # newest first: an unchanged block vouches for older ones
            try:
                current = self.w3.eth.get_block(number)["hash"].to_0x_hex()
            except BlockNotFound:
                current = None
            if current == block_rows[0].block_hash:
                break
            for row in block_rows:
                try:
                    receipt = self.w3.eth.get_transaction_receipt(row.tx_hash)
                except TransactionNotFound:
                    receipt = None
                if receipt is not None:
                    _record(row, receipt)
                    continue
                log.warning("outbox %s (%s): a reorg dropped block %s; sending again", row.id, row.purpose, number)
                row.status, row.block_number, row.block_hash, row.gas_used = TxStatus.SIGNED, None, None, None
                result.reorged += 1
        session.commit()


def _record(row: OutboxTx, receipt: dict) -> None:
    row.block_number, row.block_hash = receipt["blockNumber"], receipt["blockHash"].to_0x_hex()
    row.gas_used = receipt["gasUsed"]


def _refusal(exc: Exception) -> str:
    """The user-facing reason of a definitive refusal."""
    return REASON_NO_GAS if any(m in str(exc).lower() for m in _NO_GAS) else REASON_REFUSED
