"""Settlement leaves and Merkle trees compatible with OpenZeppelin MerkleProof (sorted pairs,
double-hashed leaves)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from eth_abi import encode
from eth_utils import keccak, to_checksum_address


class Outcome(IntEnum):
    """How a deal ended (TradeEscrow.Outcome), as recorded in its settlement leaf."""

    RELEASED = 0
    REFUNDED = 1
    RULED = 2
    DEFAULT_RULED = 3
    SETTLED = 4


LEAF_SCHEMA = (
    "tradewind/settlement-leaf@2: keccak256(keccak256(abi.encode(bytes32 key, address token, "
    "uint256 buyerAmount, uint256 sellerAmount, uint256 platformFee, uint256 arbiterFee, uint8 outcome)))"
)
LEAF_SCHEMA_URI = "urn:tradewind:settlement-leaf:2"


@dataclass(frozen=True)
class SettlementTotals:
    """Who got how much over a whole deal, as TradeEscrow's DealClosed event reports it."""

    outcome: Outcome
    buyer_amount: int
    seller_amount: int
    platform_fee: int
    arbiter_fee: int

    @property
    def total(self) -> int:
        return self.buyer_amount + self.seller_amount + self.platform_fee + self.arbiter_fee


def settlement_leaf(key: bytes, token: str, totals: SettlementTotals) -> bytes:
    """The leaf of one settlement; equals SettlementRegistry.settlementLeaf."""
    inner = keccak(
        encode(
            ["bytes32", "address", "uint256", "uint256", "uint256", "uint256", "uint8"],
            [
                key,
                to_checksum_address(token),
                totals.buyer_amount,
                totals.seller_amount,
                totals.platform_fee,
                totals.arbiter_fee,
                int(totals.outcome),
            ],
        )
    )
    return keccak(inner)


def _parent(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


def _layers(leaves: list[bytes]) -> list[list[bytes]]:
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    if len(set(leaves)) != len(leaves):
        raise ValueError("duplicate leaves")
    layers = [sorted(leaves)]
    while len(layers[-1]) > 1:
        level = layers[-1]
        nxt = [_parent(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])  # the odd node is carried up unchanged
        layers.append(nxt)
    return layers


def merkle_root(leaves: list[bytes]) -> bytes:
    """Root of the tree over `leaves` (order does not matter)."""
    return _layers(leaves)[-1][0]


def merkle_proof(leaves: list[bytes], leaf: bytes) -> list[bytes]:
    """Sibling hashes from `leaf` up to the root."""
    layers = _layers(leaves)
    index = layers[0].index(leaf)
    proof = []
    for level in layers[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        index //= 2
    return proof


def verify_proof(proof: list[bytes], root: bytes, leaf: bytes) -> bool:
    """Whether `proof` leads from `leaf` to `root`, as MerkleProof.verify computes it."""
    node = leaf
    for sibling in proof:
        node = _parent(node, sibling)
    return node == root
