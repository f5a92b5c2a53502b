"""Gas of each escrow and registry operation in steady state (second deal onward, approve excluded).

python bench/gas.py                      # in-process EVM
python bench/gas.py --rpc http://127.0.0.1:8545 --json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_account import Account

from ledger.chain import connect, dev_fund, time_travel
from ledger.contracts import ESCROW, REGISTRY, STABLECOIN, bind, deploy, transact
from ledger.merkle import merkle_root
from ledger.terms import TradeTerms, deal_id_for

DAY = 86400


def measure(rpc: str | None) -> dict[str, int]:
    w3 = connect(rpc)
    admin, buyer, seller = (Account.create() for _ in range(3))
    for account in (admin, buyer, seller):
        dev_fund(w3, account.address, 10**20)
    escrow = bind(w3, ESCROW, deploy(w3, admin, ESCROW, admin.address)[0])
    registry = bind(w3, REGISTRY, deploy(w3, admin, REGISTRY, admin.address)[0])
    token = bind(w3, STABLECOIN, deploy(w3, admin, STABLECOIN, admin.address)[0])
    transact(w3, admin, escrow, "setTokenAllowed", token.address, True)
    transact(w3, admin, token, "mint", buyer.address, 10**15)
    transact(w3, admin, token, "mint", seller.address, 1)  # the seller's balance slot is warm, as in steady state
    transact(w3, buyer, token, "approve", escrow.address, 10**15)
    chain_id = w3.eth.chain_id

    def open_deal(n: int, ship_days: int = 10) -> tuple[TradeTerms, int]:
        now = w3.eth.get_block("latest")["timestamp"]
        terms = TradeTerms(
            deal_id_for(f"bench-{n}"),
            buyer.address,
            seller.address,
            token.address,
            12_289_200_000,
            now + ship_days * DAY,
            3 * DAY,
            {"bench": n},
        )
        receipt = transact(w3, buyer, escrow, "open", terms.as_tuple(), terms.sign(seller, chain_id, escrow.address))
        return terms, receipt["gasUsed"]

    gas: dict[str, int] = {}
    open_deal(0)  # first deal: cold storage everywhere
    terms, gas["open"] = open_deal(1)
    gas["ship"] = transact(w3, seller, escrow, "markShipped", terms.as_tuple(), os.urandom(32))["gasUsed"]
    gas["release"] = transact(w3, buyer, escrow, "release", terms.as_tuple())["gasUsed"]
    terms, _ = open_deal(2)
    gas["refund"] = transact(w3, seller, escrow, "refund", terms.as_tuple())["gasUsed"]
    terms, _ = open_deal(3, ship_days=1)
    transact(w3, seller, escrow, "markShipped", terms.as_tuple(), os.urandom(32))
    time_travel(w3, 4 * DAY)
    gas["auto_release"] = transact(w3, admin, escrow, "release", terms.as_tuple())["gasUsed"]
    transact(w3, admin, registry, "anchor", os.urandom(32), 1, 1)
    gas["anchor"] = transact(w3, admin, registry, "anchor", os.urandom(32), 2, 1)["gasUsed"]
    root = merkle_root([os.urandom(32) for _ in range(256)])
    gas["anchor_per_settlement_256"] = transact(w3, admin, registry, "anchor", root, 3, 256)["gasUsed"] // 256
    return gas


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rpc", help="JSON-RPC URL (default: in-process EVM)")
    parser.add_argument("--json", action="store_true", help="print {operation: gas}")
    args = parser.parse_args()
    gas = measure(args.rpc)
    if args.json:
        print(json.dumps(gas, indent=2))
    else:
        width = max(map(len, gas))
        for name, used in gas.items():
            print(f"{name:<{width}}  {used:>9,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
