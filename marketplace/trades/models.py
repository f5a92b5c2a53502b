"""Accepted trades and the settlement batches anchoring them on chain."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.merkle import Outcome, SettlementTotals
from ledger.terms import TradeTerms
from marketplace.accounts.models import Organization
from marketplace.db import Base, utcnow
from marketplace.rfq.models import Quote


class TradeStatus(StrEnum):
    """What the chain has confirmed about the deal."""

    AWAITING_FUNDING = "awaiting_funding"
    FUNDED = "funded"
    SHIPPED = "shipped"
    DISPUTED = "disputed"
    RELEASED = "released"  # closed: everything to the seller
    REFUNDED = "refunded"  # closed: everything to the buyer
    RESOLVED = "resolved"  # closed: split by ruling, default outcome or settlement


FINAL = (TradeStatus.RELEASED, TradeStatus.REFUNDED, TradeStatus.RESOLVED)
OPEN = (TradeStatus.FUNDED, TradeStatus.SHIPPED, TradeStatus.DISPUTED)


class Trade(Base):
    __tablename__ = "trades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), unique=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    seller_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    terms_json: Mapped[str] = mapped_column(Text)
    terms_digest: Mapped[str] = mapped_column(String(66), unique=True)  # the deal's key in TradeEscrow
    seller_signature: Mapped[str] = mapped_column(String(132))
    buyer_signature: Mapped[str] = mapped_column(String(132))
    status: Mapped[str] = mapped_column(String(20), default=TradeStatus.AWAITING_FUNDING, index=True)
    pending_action: Mapped[str | None] = mapped_column(String(16))
    pending_outbox_id: Mapped[int | None] = mapped_column(ForeignKey("chain_outbox.id"))
    last_error: Mapped[str | None] = mapped_column(Text)  # why the last chain action failed
    failed_action: Mapped[str | None] = mapped_column(String(16))  # which one it was
    document_hash: Mapped[str | None] = mapped_column(String(66))
    released_milestones: Mapped[int] = mapped_column(Integer, default=0)
    shipped_at: Mapped[int | None] = mapped_column(BigInteger)  # chain time (unix seconds)
    disputed_at: Mapped[int | None] = mapped_column(BigInteger)
    proposal_by: Mapped[str | None] = mapped_column(String(42))  # standing settlement proposal
    proposal_amount: Mapped[str | None] = mapped_column(String(78))
    outcome: Mapped[str | None] = mapped_column(String(16))
    buyer_amount: Mapped[str | None] = mapped_column(String(78))  # token units, from DealClosed
    seller_amount: Mapped[str | None] = mapped_column(String(78))
    platform_fee: Mapped[str | None] = mapped_column(String(78))
    arbiter_fee: Mapped[str | None] = mapped_column(String(78))
    open_tx: Mapped[str | None] = mapped_column(String(66))
    ship_tx: Mapped[str | None] = mapped_column(String(66))
    close_tx: Mapped[str | None] = mapped_column(String(66))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_batches.id"), index=True)
    leaf: Mapped[str | None] = mapped_column(String(66))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    quote: Mapped[Quote] = relationship()
    buyer: Mapped[Organization] = relationship(foreign_keys=[buyer_org_id])
    seller: Mapped[Organization] = relationship(foreign_keys=[seller_org_id])
    batch: Mapped[SettlementBatch | None] = relationship(back_populates="trades")
    documents: Mapped[list[TradeDocument]] = relationship(back_populates="trade", order_by="TradeDocument.id")

    @property
    def terms(self) -> TradeTerms:
        return TradeTerms.from_json(json.loads(self.terms_json))

    @property
    def remaining(self) -> int:
        """Token units still escrowed (0 once closed)."""
        if self.status not in OPEN:
            return 0 if self.status in FINAL else self.terms.amount
        tranches = self.terms.tranches
        return self.terms.amount - sum(t for i, t in enumerate(tranches) if self.released_milestones & (1 << i))

    @property
    def totals(self) -> SettlementTotals | None:
        """Who got how much, once the deal closed on chain."""
        if self.outcome is None:
            return None
        return SettlementTotals(
            outcome=Outcome[self.outcome.upper()],
            buyer_amount=int(self.buyer_amount or 0),
            seller_amount=int(self.seller_amount or 0),
            platform_fee=int(self.platform_fee or 0),
            arbiter_fee=int(self.arbiter_fee or 0),
        )


class DocumentKind(StrEnum):
    BILL_OF_LADING = "bill_of_lading"
    EVIDENCE = "evidence"  # a party's statement or evidence in a dispute


class TradeDocument(Base):
    """A document of a trade whose SHA-256 went on chain; the file itself, if it was uploaded, is kept in
    the documents folder under that hash."""

    __tablename__ = "trade_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trade_id: Mapped[int] = mapped_column(ForeignKey("trades.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(66))  # 0x + 64 hex digits
    filename: Mapped[str | None] = mapped_column(String(255))  # None: only the hash was given
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
    uploaded_by_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    trade: Mapped[Trade] = relationship(back_populates="documents")
    uploaded_by: Mapped[Organization] = relationship()

    @property
    def stored(self) -> bool:
        """Whether the file itself can be downloaded (not only its hash)."""
        return self.filename is not None


class BatchStatus(StrEnum):
    PENDING = "pending"
    ANCHORED = "anchored"


class SettlementBatch(Base):
    """A Merkle root over settled trades, anchored in SettlementRegistry."""

    __tablename__ = "settlement_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[str] = mapped_column(String(66), unique=True)
    leaf_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.PENDING)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("chain_outbox.id"))
    anchor_tx: Mapped[str | None] = mapped_column(String(66))
    anchored_block: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    trades: Mapped[list[Trade]] = relationship(back_populates="batch", order_by="Trade.id")
