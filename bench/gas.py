"""Gas of each escrow and registry operation in steady state: second deal onward, parties and tokens
already warm in storage, an OpenZeppelin ERC-20, approvals excluded.

    python bench/gas.py --rpc http://127.0.0.1:8545 [--json]     # Anvil, as the targets are measured
    python bench/gas.py                                          # in-process EVM
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from eth_account import Account

from ledger.chain import connect, dev_fund, time_travel
from ledger.merkle import merkle_root
from ledger.sandbox import DAY, Sandbox

MOCK_TOKEN = "MockToken"

TARGETS = {"open": 80_000, "release": 50_000, "anchor": 48_000, "anchor_per_settlement_256": 200}


def measure(rpc: str | None) -> dict[str, int]:
    b = Sandbox(connect(rpc))
    other = Account.create()
    dev_fund(b.w3, other.address, 10**20)

    def used(sender, function: str, *args, contract=None) -> int:  # type: ignore[no-untyped-def]
        receipt = b.send(sender, contract or b.escrow, function, *args)
        assert receipt["status"] == 1, function
        return receipt["gasUsed"]

    gas: dict[str, int] = {}
    b.open(b.terms())  # the first deal pays for cold storage everywhere
    t = b.terms()
    gas["open"] = b.open(t)["gasUsed"]
    gas["ship"] = used(b.seller, "markShipped", t.as_tuple(), os.urandom(32))
    gas["release"] = used(b.buyer, "release", t.as_tuple())

    t = b.terms(milestones=(3000, 7000))
    b.open(t)
    gas["release_milestone"] = used(b.buyer, "releaseMilestone", t.as_tuple(), 0)

    t = b.terms()
    b.open(t)
    gas["refund"] = used(b.seller, "refund", t.as_tuple())

    t = b.terms()
    b.open(t)
    gas["dispute"] = used(b.buyer, "dispute", t.as_tuple(), os.urandom(32))
    gas["rule"] = used(b.arbiter, "rule", t.as_tuple(), t.amount // 2)

    auto = b.terms(ship_by=b.w3.eth.get_block("latest")["timestamp"] + DAY)
    b.open(auto)
    used(b.seller, "markShipped", auto.as_tuple(), os.urandom(32))
    time_travel(b.w3, 4 * DAY)
    gas["auto_release"] = used(other, "release", auto.as_tuple())

    blocking = b.new_token(MOCK_TOKEN, 6)  # an OpenZeppelin ERC-20 with a blocklist, as USDC has
    t = b.terms(token=blocking)
    b.open(t)
    used(b.admin, "setBlocked", b.seller.address, True, contract=blocking)
    used(b.buyer, "release", t.as_tuple())  # the payout is credited
    used(b.admin, "setBlocked", b.seller.address, False, contract=blocking)
    gas["claim"] = used(b.seller, "claim", blocking.address, b.seller.address)

    used(b.admin, "anchor", os.urandom(32), 1, 1, 1, contract=b.registry)
    gas["anchor"] = used(b.admin, "anchor", os.urandom(32), 2, 1, 1, contract=b.registry)
    root = merkle_root([os.urandom(32) for _ in range(256)])
    gas["anchor_per_settlement_256"] = used(b.admin, "anchor", root, 3, 256, 1, contract=b.registry) // 256
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
