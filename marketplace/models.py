"""Every table, imported in one place for the migrations and for create_all in tests."""

from ledger.store import ChainEvent, Cursor, Deployment, IndexedBlock, OutboxTx, Sender
from marketplace.accounts.models import ApiToken, Organization, User, Wallet
from marketplace.catalog.models import (
    CatalogClock,
    Category,
    CategoryName,
    IncotermOffer,
    Listing,
    ListingAudience,
    ListingImage,
    ListingSearch,
    ListingTranslation,
    PriceTier,
)
from marketplace.db import Base
from marketplace.rfq.models import Quote, Rfq
from marketplace.trades.models import SettlementBatch, Trade

__all__ = [
    "ApiToken",
    "Base",
    "CatalogClock",
    "Category",
    "CategoryName",
    "ChainEvent",
    "Cursor",
    "Deployment",
    "IncotermOffer",
    "IndexedBlock",
    "Listing",
    "ListingAudience",
    "ListingImage",
    "ListingSearch",
    "ListingTranslation",
    "Organization",
    "OutboxTx",
    "PriceTier",
    "Quote",
    "Rfq",
    "Sender",
    "SettlementBatch",
    "Trade",
    "User",
    "Wallet",
]
