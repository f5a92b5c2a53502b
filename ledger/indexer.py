"""Event indexer: contract logs -> chain_events, past a confirmation depth, with reorg rollback.

Each pass first checks that the blocks it read before still have the same hashes; if not, it deletes
the events above the newest block that still matches (the common ancestor) and reads again from there."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from eth_utils import event_abi_to_log_topic
from hexbytes import HexBytes
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from web3 import Web3
from web3.contract import Contract

from ledger.canonical import canonical_json
from ledger.store import ChainEvent, Cursor, IndexedBlock

KEY_ARGS = ("key", "root")


def jsonable(value: Any) -> Any:
    """Event argument values as canonical JSON values (bytes as 0x hex, integers as strings)."""
    if isinstance(value, bytes | bytearray | HexBytes):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


@dataclass
class IndexResult:
    """What one pass changed."""

    added: list[ChainEvent] = field(default_factory=list)
    removed: list[ChainEvent] = field(default_factory=list)
    head: int = 0


class Indexer:
    """Reads the events of a set of contracts on one chain."""

    def __init__(
        self,
        w3: Web3,
        contracts: dict[str, Contract],
        start_block: int,
        confirmations: int = 0,
        max_range: int = 2000,
    ) -> None:
        self.w3 = w3
        self.chain_id = w3.eth.chain_id
        self.contracts = contracts
        self.start_block = start_block
        self.confirmations = confirmations
        self.max_range = max_range
        self._by_address = {Web3.to_checksum_address(c.address): (name, c) for name, c in contracts.items()}
        self._topics = {
            address: {event_abi_to_log_topic(item): item["name"] for item in c.abi if item.get("type") == "event"}
            for address, (_, c) in self._by_address.items()
        }

    def poll(self, session: Session) -> IndexResult:
        """Index up to the confirmed head; the caller commits."""
        result = IndexResult()
        cursor = session.get(Cursor, self.chain_id)
        if cursor is None:
            cursor = Cursor(chain_id=self.chain_id, block_number=self.start_block - 1)
            session.add(cursor)
        result.removed = self._rollback_if_reorged(session, cursor)
        head = self.w3.eth.block_number
        target = head - self.confirmations
        result.head = target
        start = cursor.block_number + 1
        while start <= target:
            end = min(target, start + self.max_range - 1)
            result.added.extend(self._read(session, start, end))
            self._remember_block(session, end)
            cursor.block_number = end
            start = end + 1
        session.flush()
        return result

    def _read(self, session: Session, start: int, end: int) -> list[ChainEvent]:
        logs = self.w3.eth.get_logs({"fromBlock": start, "toBlock": end, "address": list(self._by_address)})
        added = []
        block_times: dict[int, int] = {}
        for entry in logs:
            address = Web3.to_checksum_address(entry["address"])
            contract_name, contract = self._by_address[address]
            event_name = self._topics[address].get(bytes(entry["topics"][0]))
            if event_name is None:
                raise ValueError(f"unknown event {entry['topics'][0].to_0x_hex()} from {address}")
            decoded = contract.events[event_name]().process_log(entry)
            args = jsonable(dict(decoded["args"]))
            event = ChainEvent(
                chain_id=self.chain_id,
                contract=contract_name,
                address=address,
                name=event_name,
                key=next((args[k] for k in KEY_ARGS if k in args), None),
                block_number=entry["blockNumber"],
                block_hash=entry["blockHash"].to_0x_hex(),
                block_time=self._block_time(block_times, entry["blockNumber"]),
                tx_hash=entry["transactionHash"].to_0x_hex(),
                log_index=entry["logIndex"],
                args=canonical_json(args).decode(),
            )
            session.add(event)
            self._remember_block(session, entry["blockNumber"], entry["blockHash"].to_0x_hex())
            added.append(event)
        return added

    def _block_time(self, cache: dict[int, int], number: int) -> int:
        if number not in cache:
            cache[number] = int(self.w3.eth.get_block(number)["timestamp"])
        return cache[number]

    def _remember_block(self, session: Session, number: int, block_hash: str | None = None) -> None:
        if block_hash is None:
            block_hash = self.w3.eth.get_block(number)["hash"].to_0x_hex()
        existing = session.scalars(
            select(IndexedBlock).where(IndexedBlock.chain_id == self.chain_id, IndexedBlock.number == number)
        ).first()
        if existing is None:
            session.add(IndexedBlock(chain_id=self.chain_id, number=number, hash=block_hash))
            session.flush()

    def _rollback_if_reorged(self, session: Session, cursor: Cursor) -> list[ChainEvent]:
        known = session.scalars(
            select(IndexedBlock).where(IndexedBlock.chain_id == self.chain_id).order_by(IndexedBlock.number.desc())
        )
        ancestor = None
        for block in known:
            chain_block = self.w3.eth.get_block(block.number) if block.number <= self.w3.eth.block_number else None
            if chain_block is not None and chain_block["hash"].to_0x_hex() == block.hash:
                ancestor = block.number
                break
        else:
            if cursor.block_number < self.start_block:
                return []
            ancestor = self.start_block - 1
        if ancestor == cursor.block_number:
            return []
        removed = list(
            session.scalars(
                select(ChainEvent).where(ChainEvent.chain_id == self.chain_id, ChainEvent.block_number > ancestor)
            )
        )
        session.execute(
            delete(ChainEvent).where(ChainEvent.chain_id == self.chain_id, ChainEvent.block_number > ancestor)
        )
        session.execute(
            delete(IndexedBlock).where(IndexedBlock.chain_id == self.chain_id, IndexedBlock.number > ancestor)
        )
        cursor.block_number = ancestor
        return removed


def event_args(event: ChainEvent) -> dict[str, Any]:
    """The decoded arguments of a stored event."""
    return json.loads(event.args)
