"""The settlement proof bundle: everything an auditor needs to check one settlement on chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.deployment import Contracts
from ledger.merkle import SettlementTotals
from ledger.terms import TradeTerms

SCHEMA = "tradewind/settlement-proof@2"


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


@dataclass(frozen=True)
class Settlement:
    """How a deal ended and which transactions moved the money."""

    totals: SettlementTotals
    open_tx: str
    close_tx: str
    ship_tx: str | None = None


def build_bundle(
    *,
    contracts: Contracts,
    terms: TradeTerms,
    seller_signature: bytes,
    buyer_signature: bytes,
    settlement: Settlement,
    leaf: bytes,
    proof: list[bytes],
    root: bytes,
    batch_id: int,
    leaf_count: int,
    anchor_tx: str,
) -> dict[str, Any]:
    """A JSON-ready proof bundle."""
    return {
        "schema": SCHEMA,
        "chain_id": contracts.chain_id,
        "contracts": contracts.as_json(),
        "terms": terms.to_json(),
        "terms_digest": _hex(terms.digest(contracts.chain_id, contracts.escrow)),
        "signatures": {"seller": _hex(seller_signature), "buyer": _hex(buyer_signature)},
        "settlement": {
            "outcome": settlement.totals.outcome.name.lower(),
            "buyer_amount": str(settlement.totals.buyer_amount),
            "seller_amount": str(settlement.totals.seller_amount),
            "platform_fee": str(settlement.totals.platform_fee),
            "arbiter_fee": str(settlement.totals.arbiter_fee),
        },
        "transactions": {
            "open": settlement.open_tx,
            "ship": settlement.ship_tx,
            "close": settlement.close_tx,
            "anchor": anchor_tx,
        },
        "merkle": {
            "leaf": _hex(leaf),
            "proof": [_hex(p) for p in proof],
            "root": _hex(root),
            "batch_id": batch_id,
            "leaf_count": leaf_count,
        },
    }
