"""Listings and their translations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organization
from marketplace.db import Base, utcnow
from marketplace.pricing.money import Money

INCOTERMS = ("EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF")


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (UniqueConstraint("organization_id", "sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    hs_code: Mapped[str] = mapped_column(String(12))
    unit: Mapped[str] = mapped_column(String(16))
    moq: Mapped[int] = mapped_column(Integer)
    incoterm: Mapped[str] = mapped_column(String(3))
    incoterm_place: Mapped[str] = mapped_column(String(100))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    lead_time_days: Mapped[int] = mapped_column(Integer, default=30)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organization: Mapped[Organization] = relationship()
    translations: Mapped[list[ListingTranslation]] = relationship(
        back_populates="listing", cascade="all, delete-orphan"
    )

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.currency)

    def translation(self, locale: str) -> ListingTranslation:
        """The text in `locale`, else its language, else the exporter's locale, else any."""
        by_locale = {t.locale: t for t in self.translations}
        language = locale.split("_")[0].split("-")[0]
        for candidate in (locale, language, self.organization.locale, "en"):
            if candidate in by_locale:
                return by_locale[candidate]
        return self.translations[0]


class ListingTranslation(Base):
    __tablename__ = "listing_translations"
    __table_args__ = (UniqueConstraint("listing_id", "locale"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)

    listing: Mapped[Listing] = relationship(back_populates="translations")
