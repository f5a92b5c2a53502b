"""Tables of the chain side: deployments, the transaction outbox, sender nonces, indexed events.

The marketplace shares this metadata (one schema, one migration history) but ledger never needs
marketplace tables."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """Timezone-aware now, for timestamps."""
    return datetime.now(UTC)


class LedgerBase(DeclarativeBase):
    """Declarative base of the chain-side tables."""

    metadata = metadata


class Deployment(LedgerBase):
    """A contract this installation deployed (or adopted) on one chain."""

    __tablename__ = "chain_deployments"
    __table_args__ = (UniqueConstraint("chain_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(42))
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TxStatus(StrEnum):
    """Life of an outbox transaction."""

    PENDING = "pending"  # written by a business transaction, not yet signed
    SIGNED = "signed"  # raw transaction persisted, not (or no longer) known to be with the node
    SENT = "sent"  # accepted by the node, waiting for a receipt
    MINED = "mined"  # included with status 1 (goes back to signed if a reorg drops its block)
    FAILED = "failed"  # reverted, or refused for good by the node


class OutboxTx(LedgerBase):
    """A contract call to send. Written in the same DB transaction as the business change."""

    __tablename__ = "chain_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger, index=True)
    sender: Mapped[str] = mapped_column(String(42), index=True)
    to: Mapped[str] = mapped_column(String(42))
    data: Mapped[str] = mapped_column(Text)
    value: Mapped[str] = mapped_column(String(78), default="0")
    purpose: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(128), index=True)
    funds: Mapped[str | None] = mapped_column(String(42), index=True)  # a wallet this row gives gas or tokens
    status: Mapped[str] = mapped_column(String(16), default=TxStatus.PENDING, index=True)
    nonce: Mapped[int | None] = mapped_column(BigInteger)
    raw_tx: Mapped[str | None] = mapped_column(Text)
    tx_hash: Mapped[str | None] = mapped_column(String(66), index=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, index=True)  # recent ones: reorg checks
    block_hash: Mapped[str | None] = mapped_column(String(66))  # to notice a reorg that drops the block
    gas_used: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)  # the node's full answer, for operators
    reason: Mapped[str | None] = mapped_column(String(200))  # a short reason for users: no URLs, hosts or keys
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Sender(LedgerBase):
    """One row per sending address and chain: the relay's lock and its next nonce."""

    __tablename__ = "chain_senders"
    __table_args__ = (UniqueConstraint("chain_id", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    address: Mapped[str] = mapped_column(String(42))
    next_nonce: Mapped[int] = mapped_column(BigInteger, default=0)


class ChainEvent(LedgerBase):
    """A decoded contract event, kept with its block hash so that a reorg can remove it."""

    __tablename__ = "chain_events"
    __table_args__ = (UniqueConstraint("chain_id", "tx_hash", "log_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    contract: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(42))
    name: Mapped[str] = mapped_column(String(64), index=True)
    key: Mapped[str | None] = mapped_column(String(66), index=True)  # deal id or root
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    block_hash: Mapped[str] = mapped_column(String(66))
    block_time: Mapped[int] = mapped_column(BigInteger, default=0)  # unix seconds of the block
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    args: Mapped[str] = mapped_column(Text)  # canonical JSON; integers as decimal strings


class IndexedBlock(LedgerBase):
    """Hashes of the blocks the indexer has read, to find the common ancestor after a reorg."""

    __tablename__ = "chain_blocks"
    __table_args__ = (UniqueConstraint("chain_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(66))


class Cursor(LedgerBase):
    """How far the indexer has read a chain."""

    __tablename__ = "chain_cursors"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
