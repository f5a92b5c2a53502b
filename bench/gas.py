"""Gas of each escrow and registry operation in steady state: second deal onward, parties and tokens
already warm in storage, an OpenZeppelin ERC-20, approvals excluded.

    python bench/gas.py --rpc http://127.0.0.1:8545 [--json]     # Anvil, as the targets are measured
    python bench/gas.py                                          # in-process EVM
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_account import Account  # noqa: E402

from ledger.chain import connect, dev_fund, time_travel  # noqa: E402
from ledger.contracts import ESCROW, REGISTRY, STABLECOIN, bind, deploy, transact  # noqa: E402
from ledger.merkle import merkle_root  # noqa: E402
from ledger.terms import TradeTerms, deal_id_for, pack_milestones  # noqa: E402

DAY = 86400
TARGETS = {"open": 80_000, "release": 50_000, "anchor": 48_000, "anchor_per_settlement_256": 200}


class Bench:
    """Deployed contracts and funded parties."""

    def __init__(self, rpc: str | None) -> None:
        self.w3 = connect(rpc)
        self.admin, self.buyer, self.seller, self.arbiter, self.other = (Account.create() for _ in range(5))
        for account in (self.admin, self.buyer, self.seller, self.arbiter, self.other):
            dev_fund(self.w3, account.address, 10**20)
        self.escrow = bind(self.w3, ESCROW, deploy(self.w3, self.admin, ESCROW, self.admin.address)[0])
        self.registry = bind(self.w3, REGISTRY, deploy(self.w3, self.admin, REGISTRY, self.admin.address)[0])
        self.send(self.admin, self.registry, "registerSchema", os.urandom(32), "urn:bench")
        self.send(self.admin, self.escrow, "grantRole", self.escrow.functions.ARBITER_ROLE().call(),
                  self.arbiter.address)
        self.ids = itertools.count()
        self.token = self.new_token(STABLECOIN)

    def send(self, sender, contract, function, *args) -> int:  # type: ignore[no-untyped-def]
        receipt = transact(self.w3, sender, contract, function, *args)
        assert receipt["status"] == 1, function
        return receipt["gasUsed"]

    def new_token(self, name: str, *args: object):  # type: ignore[no-untyped-def]
        token = bind(self.w3, name, deploy(self.w3, self.admin, name, *(args or (self.admin.address,)))[0])
        self.send(self.admin, self.escrow, "setTokenAllowed", token.address, True)
        for account in (self.buyer, self.seller, self.arbiter, self.admin):
            self.send(self.admin, token, "mint", account.address, 10**15)  # balances are warm, as in steady state
        self.send(self.buyer, token, "approve", self.escrow.address, 2**255)
        return token

    def terms(self, token=None, **overrides) -> TradeTerms:  # type: ignore[no-untyped-def]
        now = self.w3.eth.get_block("latest")["timestamp"]
        terms = TradeTerms(
            deal_id=deal_id_for(f"bench-{next(self.ids)}"), buyer=self.buyer.address, seller=self.seller.address,
            token=(token or self.token).address, amount=12_289_200_000, ship_by=now + 10 * DAY,
            inspection_period=3 * DAY, dispute_period=7 * DAY, arbiter=self.arbiter.address, arbiter_fee_bps=200,
            details={"bench": True},
        )
        return replace(terms, **overrides)

    def open(self, terms: TradeTerms) -> int:
        signature = terms.sign(self.seller, self.w3.eth.chain_id, self.escrow.address)
        return self.send(self.buyer, self.escrow, "open", terms.as_tuple(), signature)


def measure(rpc: str | None) -> dict[str, int]:
    b = Bench(rpc)
    gas: dict[str, int] = {}
    b.open(b.terms())  # the first deal pays for cold storage everywhere
    t = b.terms()
    gas["open"] = b.open(t)
    gas["ship"] = b.send(b.seller, b.escrow, "markShipped", t.as_tuple(), os.urandom(32))
    gas["release"] = b.send(b.buyer, b.escrow, "release", t.as_tuple())

    t = b.terms(milestones=pack_milestones([3000, 7000]))
    b.open(t)
    gas["release_milestone"] = b.send(b.buyer, b.escrow, "releaseMilestone", t.as_tuple(), 0)

    t = b.terms()
    b.open(t)
    gas["refund"] = b.send(b.seller, b.escrow, "refund", t.as_tuple())

    t = b.terms()
    b.open(t)
    gas["dispute"] = b.send(b.buyer, b.escrow, "dispute", t.as_tuple(), os.urandom(32))
    gas["rule"] = b.send(b.arbiter, b.escrow, "rule", t.as_tuple(), t.amount // 2)

    auto = b.terms(ship_by=b.w3.eth.get_block("latest")["timestamp"] + DAY)
    b.open(auto)
    b.send(b.seller, b.escrow, "markShipped", auto.as_tuple(), os.urandom(32))
    time_travel(b.w3, 4 * DAY)
    gas["auto_release"] = b.send(b.other, b.escrow, "release", auto.as_tuple())

    blocking = b.new_token("MockToken", 6)  # an OpenZeppelin ERC-20 with a blocklist, as USDC has
    t = b.terms(token=blocking)
    b.open(t)
    b.send(b.admin, blocking, "setBlocked", b.seller.address, True)
    b.send(b.buyer, b.escrow, "release", t.as_tuple())  # the payout is credited
    b.send(b.admin, blocking, "setBlocked", b.seller.address, False)
    gas["claim"] = b.send(b.seller, b.escrow, "claim", blocking.address, b.seller.address)

    b.send(b.admin, b.registry, "anchor", os.urandom(32), 1, 1, 1)
    gas["anchor"] = b.send(b.admin, b.registry, "anchor", os.urandom(32), 2, 1, 1)
    root = merkle_root([os.urandom(32) for _ in range(256)])
    gas["anchor_per_settlement_256"] = b.send(b.admin, b.registry, "anchor", root, 3, 256, 1) // 256
    return gas


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rpc", help="JSON-RPC URL (default: in-process EVM)")
    parser.add_argument("--json", action="store_true", help="print {operation: gas}")
    args = parser.parse_args()
    gas = measure(args.rpc)
    if args.json:
        print(json.dumps(gas, indent=2))
        return 0
    width = max(map(len, gas))
    for name, used in gas.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else f"  target {target:,} {'ok' if used <= target else 'OVER'}"
        print(f"{name:<{width}}  {used:>9,}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
