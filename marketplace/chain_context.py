"""What business services need to know about the chain, without talking to it."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.deployment import Contracts
from ledger.manifest import Manifest


@dataclass(frozen=True)
class ChainContext:
    """Addresses and policies of the connected chain, read once at start-up."""

    contracts: Contracts
    operator: str
    dev_faucet: bool
    inspection_period: int
    dispute_period: int = 14 * 86400
    arbiter_fee_bps: int = 200
    platform_fee_bps: int = 0
    default_buyer_bps: int = 5000

    @property
    def arbiter(self) -> str:
        """The platform's arbiter desk (the operator account holds ARBITER_ROLE)."""
        return self.operator

    @property
    def chain_id(self) -> int:
        return self.contracts.chain_id

    @property
    def manifest(self) -> Manifest:
        """What the platform publishes at /.well-known/tradewind.json (the operator anchors settlements)."""
        return Manifest.of(self.contracts, (self.operator,))
