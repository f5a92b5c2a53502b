"""What business services need to know about the chain, without talking to it."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.deployment import Contracts


@dataclass(frozen=True)
class ChainContext:
    """Addresses and policies of the connected chain, read once at start-up."""

    contracts: Contracts
    operator: str
    dev_faucet: bool
    inspection_period: int

    @property
    def chain_id(self) -> int:
        return self.contracts.chain_id
