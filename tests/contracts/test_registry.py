"""SettlementRegistry and Merkle proofs: Python and the contract agree."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.contracts import REGISTRY
from ledger.merkle import Outcome, merkle_proof, merkle_root, settlement_leaf, verify_proof
from tests.conftest import Chain
from tests.helpers import expect_revert


def test_leaf_matches_contract(chain: Chain) -> None:
    args = (b"\x11" * 32, b"\x22" * 32, chain.token.address, 123, 7, Outcome.REFUNDED)
    assert bytes(chain.registry.functions.settlementLeaf(*args[:5], 2).call()) == settlement_leaf(*args)


def test_every_proof_of_every_tree_size_verifies_on_chain(chain: Chain) -> None:
    for size in range(1, 10):
        leaves = [os.urandom(32) for _ in range(size)]
        root = merkle_root(leaves)
        chain.send(chain.admin, chain.registry, "anchor", root, size, size)
        assert chain.registry.functions.isAnchored(root).call()
        for leaf in leaves:
            proof = merkle_proof(leaves, leaf)
            assert chain.registry.functions.verify(root, proof, leaf).call()
        assert not chain.registry.functions.verify(root, merkle_proof(leaves, leaves[0]), os.urandom(32)).call()


def test_unanchored_root_does_not_verify(chain: Chain) -> None:
    leaves = [os.urandom(32) for _ in range(3)]
    root = merkle_root(leaves)
    assert not chain.registry.functions.verify(root, merkle_proof(leaves, leaves[0]), leaves[0]).call()


def test_anchor_reverts(chain: Chain) -> None:
    root = os.urandom(32)
    fn = chain.registry.functions
    expect_revert(
        REGISTRY,
        "AccessControlUnauthorizedAccount",
        lambda: fn.anchor(root, 1, 1).call({"from": chain.stranger.address}),
    )
    expect_revert(REGISTRY, "EmptyBatch", lambda: fn.anchor(b"\0" * 32, 1, 1).call({"from": chain.admin.address}))
    expect_revert(REGISTRY, "EmptyBatch", lambda: fn.anchor(root, 1, 0).call({"from": chain.admin.address}))
    receipt = chain.send(chain.admin, chain.registry, "anchor", root, 9, 4)
    record = fn.anchorOf(root).call()
    assert record[0] == 9 and record[1] == 4 and record[3] == receipt["blockNumber"]
    expect_revert(REGISTRY, "AlreadyAnchored", lambda: fn.anchor(root, 10, 4).call({"from": chain.admin.address}))


@settings(max_examples=200, deadline=None)
@given(st.sets(st.binary(min_size=32, max_size=32), min_size=1, max_size=40), st.data())
def test_python_proofs_verify_and_reject_other_leaves(leaves: set[bytes], data: st.DataObject) -> None:
    ordered = list(leaves)
    root = merkle_root(ordered)
    leaf = data.draw(st.sampled_from(ordered))
    proof = merkle_proof(ordered, leaf)
    assert verify_proof(proof, root, leaf)
    outsider = data.draw(st.binary(min_size=32, max_size=32).filter(lambda b: b not in leaves))
    assert not verify_proof(proof, root, outsider)
    assert merkle_root(list(reversed(ordered))) == root
