"""The settlement proof bundle: everything an auditor needs to check one settlement on chain."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ledger.contracts import ESCROW, REGISTRY
from ledger.deployment import Contracts
from ledger.merkle import Outcome, SettlementTotals
from ledger.terms import TradeTerms

SCHEMA = "tradewind/settlement-proof@2"
MAX_PROOF_LENGTH = 64


class MalformedBundle(ValueError):
    """A field of the bundle is missing or has the wrong type; the message names it."""


class _Rule(NamedTuple):
    test: Callable[[Any], bool]
    expects: str


def _pattern(regex: str, expects: str) -> _Rule:
    compiled = re.compile(regex)
    return _Rule(lambda v: isinstance(v, str) and compiled.fullmatch(v) is not None, expects)


def _integer(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**256


HEX32 = _pattern(r"0x[0-9a-fA-F]{64}", "a 0x-prefixed 32-byte hex string")
ADDRESS = _pattern(r"0x[0-9a-fA-F]{40}", "a 0x-prefixed address")
SIGNATURE = _pattern(r"0x(?:[0-9a-fA-F]{128}|[0-9a-fA-F]{130})", "a 0x-prefixed 64- or 65-byte signature")
AMOUNT = _pattern(r"[0-9]{1,78}", "a decimal string of base units")
INTEGER = _Rule(_integer, "a non-negative integer")
OUTCOME = _Rule(
    lambda v: isinstance(v, str) and v.upper() in Outcome.__members__,
    "one of " + ", ".join(name.lower() for name in Outcome.__members__),
)
TX_OR_NONE = _Rule(lambda v: v is None or HEX32.test(v), "a transaction hash or null")
SHAPE: dict[str, Any] = {
    "schema": _Rule(lambda v: isinstance(v, str), "a string"),
    "chain_id": INTEGER,
    "contracts": {ESCROW: ADDRESS, REGISTRY: ADDRESS, "token": ADDRESS},
    "terms": {
        "buyer": ADDRESS,
        "seller": ADDRESS,
        "token": ADDRESS,
        "amount": AMOUNT,
        "arbiter": ADDRESS,
        "ship_by": INTEGER,
        "inspection_period": INTEGER,
        "dispute_period": INTEGER,
        "platform_fee_bps": INTEGER,
        "arbiter_fee_bps": INTEGER,
        "default_buyer_bps": INTEGER,
        "milestones": _Rule(lambda v: isinstance(v, list) and all(map(_integer, v)), "a list of integers"),
        "details": _Rule(lambda v: isinstance(v, dict), "an object"),
    },
    "terms_digest": HEX32,
    "signatures": {"seller": SIGNATURE, "buyer": SIGNATURE},
    "settlement": {
        "outcome": OUTCOME,
        "buyer_amount": AMOUNT,
        "seller_amount": AMOUNT,
        "platform_fee": AMOUNT,
        "arbiter_fee": AMOUNT,
    },
    "transactions": {"open": HEX32, "ship": TX_OR_NONE, "close": HEX32, "anchor": HEX32},
    "merkle": {
        "leaf": HEX32,
        "proof": _Rule(
            lambda v: isinstance(v, list) and len(v) <= MAX_PROOF_LENGTH and all(map(HEX32.test, v)),
            f"a list of at most {MAX_PROOF_LENGTH} 32-byte hex strings",
        ),
        "root": HEX32,
        "batch_id": INTEGER,
        "leaf_count": INTEGER,
    },
}
OPTIONAL = {"transactions.ship"}

INCLUSION_SCHEMA = "tradewind/settlement-inclusion@1"
INCLUSION_SHAPE: dict[str, Any] = {
    "schema": _Rule(lambda v: isinstance(v, str), "a string"),
    "trade": _Rule(lambda v: isinstance(v, str), "a string"),
    "chain_id": INTEGER,
    "registry": ADDRESS,
    "merkle": {key: SHAPE["merkle"][key] for key in ("leaf", "proof", "root", "batch_id", "leaf_count")},
    "anchor": {"transaction": HEX32, "block": INTEGER},
}
"""The public proof that a settlement was anchored: its leaf, the path to an anchored root and the anchoring
transaction; nothing of the trade's terms, amounts or parties."""


def check_shape(bundle: Any, shape: dict[str, Any] = SHAPE, path: str = "") -> None:
    """Raise MalformedBundle naming the first field that is missing or not of the type `build_bundle` writes."""
    if not isinstance(bundle, dict):
        raise MalformedBundle(f"{path or 'the bundle'} is not a JSON object")
    for name, rule in shape.items():
        where = f"{path}{name}"
        if name not in bundle:
            if where in OPTIONAL:
                continue
            raise MalformedBundle(f"{where} is missing")
        if isinstance(rule, dict):
            check_shape(bundle[name], rule, f"{where}.")
        elif not rule.test(bundle[name]):
            raise MalformedBundle(f"{where} is {bundle[name]!r:.60}, expected {rule.expects}")


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
