"""SettlementRegistry and Merkle proofs: Python and the contract agree; roots and leaves can be revoked."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.contracts import REGISTRY
from ledger.merkle import Outcome, SettlementTotals, merkle_proof, merkle_root, settlement_leaf, verify_proof
from ledger.sandbox import Sandbox
from tests.helpers import expect_revert

_batches = iter(range(1, 10**6))


def anchor(chain: Sandbox, leaves: list[bytes]) -> bytes:
    root = merkle_root(leaves)
    chain.send(chain.admin, chain.registry, "anchor", root, next(_batches), len(leaves), 1)
    return root


def test_leaf_matches_contract(chain: Sandbox) -> None:
    totals = SettlementTotals(Outcome.RULED, 600, 370, 3, 27)
    expected = settlement_leaf(b"\x11" * 32, chain.token.address, totals)
    on_chain = chain.registry.functions.settlementLeaf(b"\x11" * 32, chain.token.address, 600, 370, 3, 27, 2).call()
    assert bytes(on_chain) == expected


def test_every_proof_of_every_tree_size_verifies_on_chain(chain: Sandbox) -> None:
    for size in range(1, 10):
        leaves = [os.urandom(32) for _ in range(size)]
        root = anchor(chain, leaves)
        assert chain.registry.functions.isAnchored(root).call()
        for leaf in leaves:
            assert chain.registry.functions.verify(root, merkle_proof(leaves, leaf), leaf).call()
        assert not chain.registry.functions.verify(root, merkle_proof(leaves, leaves[0]), os.urandom(32)).call()


def test_unanchored_root_does_not_verify(chain: Sandbox) -> None:
    leaves = [os.urandom(32) for _ in range(3)]
    root = merkle_root(leaves)
    assert not chain.registry.functions.verify(root, merkle_proof(leaves, leaves[0]), leaves[0]).call()


def test_anchor_records_batch_count_and_schema(chain: Sandbox) -> None:
    root = os.urandom(32)
    receipt = chain.send(chain.admin, chain.registry, "anchor", root, 77, 4, 1)
    record = chain.registry.functions.anchorOf(root).call()
    block = chain.w3.eth.get_block(receipt["blockNumber"])
    assert record == (77, 4, 1, block["timestamp"], False)
    schema_hash, uri = chain.registry.functions.schemaOf(1).call()
    assert bytes(schema_hash) == b"\x01" * 32 and uri == "urn:sandbox"


def test_anchor_reverts(chain: Sandbox) -> None:
    root = os.urandom(32)
    fn = chain.registry.functions
    expect_revert(
        REGISTRY,
        "AccessControlUnauthorizedAccount",
        lambda: fn.anchor(root, 1, 1, 1).call({"from": chain.stranger.address}),
    )
    for args in ((b"\0" * 32, 1, 1, 1), (root, 1, 0, 1), (root, 1, 1, 0)):
        expect_revert(REGISTRY, "EmptyBatch", lambda a=args: fn.anchor(*a).call({"from": chain.admin.address}))
    chain.send(chain.admin, chain.registry, "anchor", root, 9, 4, 1)
    expect_revert(REGISTRY, "AlreadyAnchored", lambda: fn.anchor(root, 10, 4, 1).call({"from": chain.admin.address}))
    expect_revert(REGISTRY, "UnknownSchema", lambda: fn.schemaOf(999).call())


def test_revoking_a_leaf_or_a_root_stops_verification(chain: Sandbox) -> None:
    leaves = [os.urandom(32) for _ in range(4)]
    root = anchor(chain, leaves)
    fn = chain.registry.functions
    expect_revert(
        REGISTRY,
        "AccessControlUnauthorizedAccount",
        lambda: fn.revokeLeaf(root, leaves[0], "x").call({"from": chain.stranger.address}),
    )
    receipt = chain.send(chain.admin, chain.registry, "revokeLeaf", root, leaves[0], "entered twice")
    (event,) = chain.registry.events.LeafRevoked().process_receipt(receipt)
    assert event["args"]["reason"] == "entered twice"
    assert not fn.verify(root, merkle_proof(leaves, leaves[0]), leaves[0]).call()
    assert fn.verify(root, merkle_proof(leaves, leaves[1]), leaves[1]).call()
    chain.send(chain.admin, chain.registry, "revokeRoot", root, "batch built from a bad snapshot")
    assert not fn.isAnchored(root).call() and fn.anchorOf(root).call()[4] is True
    assert not fn.verify(root, merkle_proof(leaves, leaves[1]), leaves[1]).call()
    unknown = os.urandom(32)
    expect_revert(REGISTRY, "NotAnchored", lambda: fn.revokeRoot(unknown, "x").call({"from": chain.admin.address}))
    expect_revert(
        REGISTRY, "NotAnchored", lambda: fn.revokeLeaf(unknown, unknown, "x").call({"from": chain.admin.address})
    )


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
