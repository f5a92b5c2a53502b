"""A development sandbox: fresh contracts and funded parties on a dev chain, for tests, benchmarks and
experiments. Never used by the marketplace."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from ledger.chain import dev_fund
from ledger.contracts import ESCROW, REGISTRY, STABLECOIN, bind, deploy, transact
from ledger.terms import TradeTerms

DAY = 86400
_ids = itertools.count()


class Sandbox:
    """TradeEscrow, SettlementRegistry and a test stablecoin, with an admin (every role, fee
    recipient), a buyer, a seller, a registered arbiter and a stranger."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.chain_id = w3.eth.chain_id
        self.admin, self.buyer, self.seller, self.arbiter, self.stranger = (Account.create() for _ in range(5))
        for account in self.parties:
            dev_fund(w3, account.address, 10**20)
        self.escrow = bind(w3, ESCROW, deploy(w3, self.admin, ESCROW, self.admin.address)[0])
        self.registry = bind(w3, REGISTRY, deploy(w3, self.admin, REGISTRY, self.admin.address)[0])
        self.send(self.admin, self.registry, "registerSchema", b"\x01" * 32, "urn:sandbox")
        arbiter_role = self.escrow.functions.ARBITER_ROLE().call()
        self.send(self.admin, self.escrow, "grantRole", arbiter_role, self.arbiter.address)
        self.token = self.new_token(STABLECOIN, self.admin.address)

    @property
    def parties(self) -> tuple[LocalAccount, ...]:
        return (self.admin, self.buyer, self.seller, self.arbiter, self.stranger)

    def send(self, sender: LocalAccount, contract: Contract, function: str, *args: Any) -> dict[str, Any]:
        """Send a call and wait for its receipt; raises if it would revert."""
        return transact(self.w3, sender, contract, function, *args)

    def new_token(self, name: str, *args: Any) -> Contract:
        """Deploy a token, allow it, give every party a balance and approve the escrow for the buyer."""
        token = bind(self.w3, name, deploy(self.w3, self.admin, name, *args)[0])
        self.send(self.admin, self.escrow, "setTokenAllowed", token.address, True)
        for account in self.parties:
            self.send(self.admin, token, "mint", account.address, 10**30)
        self.send(self.buyer, token, "approve", self.escrow.address, 2**255)
        return token

    def now(self) -> int:
        return self.w3.eth.get_block("latest")["timestamp"]

    def terms(self, token: Contract | None = None, **overrides: Any) -> TradeTerms:
        """Valid terms between the sandbox's buyer and seller; `overrides` replace fields."""
        terms = TradeTerms(
            buyer=self.buyer.address,
            seller=self.seller.address,
            token=(token or self.token).address,
            amount=12_289_200_000,
            arbiter=self.arbiter.address,
            ship_by=self.now() + 10 * DAY,
            inspection_period=3 * DAY,
            dispute_period=7 * DAY,
            arbiter_fee_bps=200,
            details={"deal": next(_ids)},
        )
        return replace(terms, **overrides)

    def sign(self, terms: TradeTerms, signer: LocalAccount | None = None) -> bytes:
        return terms.sign(signer or self.seller, self.chain_id, self.escrow.address)

    def open(self, terms: TradeTerms) -> dict[str, Any]:
        """The buyer opens a deal with the seller's signature."""
        return self.send(self.buyer, self.escrow, "open", terms.as_tuple(), self.sign(terms))

    def key(self, terms: TradeTerms) -> bytes:
        return terms.digest(self.chain_id, self.escrow.address)
