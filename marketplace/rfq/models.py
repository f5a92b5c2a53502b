"""Requests for quotation and the quotes answering them (immutable, hash-chained revisions)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organization
from marketplace.catalog.models import Listing
from marketplace.db import Base, utcnow
from marketplace.pricing.money import Money


class RfqStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"


class QuoteStatus(StrEnum):
    OPEN = "open"
    SUPERSEDED = "superseded"
    ACCEPTED = "accepted"


class Rfq(Base):
    __tablename__ = "rfqs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    seller_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=RfqStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    buyer: Mapped[Organization] = relationship(foreign_keys=[buyer_org_id])
    seller: Mapped[Organization] = relationship(foreign_keys=[seller_org_id])
    listing: Mapped[Listing] = relationship()
    quotes: Mapped[list[Quote]] = relationship(back_populates="rfq", order_by="Quote.revision")


class Quote(Base):
    """One revision of a seller's offer. Rows are never edited except for `status`; `hash` covers
    the offer and the previous revision's hash, so the negotiation history is tamper-evident."""

    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("rfq_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rfq_id: Mapped[int] = mapped_column(ForeignKey("rfqs.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[int] = mapped_column(Integer)
    incoterm: Mapped[str] = mapped_column(String(3))
    incoterm_place: Mapped[str] = mapped_column(String(100))
    lead_time_days: Mapped[int] = mapped_column(Integer)
    milestones: Mapped[str] = mapped_column(String(64), default="")  # payment schedule: bps, comma-separated
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(66))
    hash: Mapped[str] = mapped_column(String(66), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=QuoteStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    rfq: Mapped[Rfq] = relationship(back_populates="quotes")

    @property
    def unit_price(self) -> Money:
        return Money(self.unit_price_minor, self.currency)

    @property
    def total(self) -> Money:
        return self.unit_price * self.quantity

    @property
    def schedule_bps(self) -> tuple[int, ...]:
        """Payment tranches in basis points; empty for a single payment."""
        return tuple(int(part) for part in self.milestones.split(",") if part)
