"""Canonical terms, EIP-712 digests and sealed keys."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.canonical import canonical_json
from ledger.errors import KeyBoxError
from ledger.keystore import KeyBox, new_master_key
from ledger.sandbox import Sandbox
from ledger.terms import TradeTerms, compact_signature, expand_signature, tranche_amounts

ADDRESSES = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())


def sample(token: str = "0x" + "33" * 20) -> TradeTerms:
    return TradeTerms("0x" + "11" * 20, "0x" + "22" * 20, token, 5, "0x" + "44" * 20, 10, 20, 30, details={"a": "1"})


@settings(max_examples=25, deadline=None)
@given(
    parties=st.tuples(ADDRESSES, ADDRESSES, ADDRESSES),
    amount=st.integers(min_value=1, max_value=2**256 - 1),
    ship_by=st.integers(min_value=0, max_value=2**40 - 1),
    periods=st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
    fees=st.tuples(st.integers(0, 2**16 - 1), st.integers(0, 2**16 - 1), st.integers(0, 2**16 - 1)),
    milestones=st.sampled_from([(), (3000, 7000), (1, 9999), (2000,) * 5]),
    details=st.dictionaries(st.text(max_size=8), st.text(max_size=20) | st.integers(), max_size=4),
)
def test_python_digest_equals_contract_digest(
    chain: Sandbox, parties, amount, ship_by, periods, fees, milestones, details
):  # type: ignore[no-untyped-def]
    buyer, seller, arbiter = parties
    terms = TradeTerms(
        buyer,
        seller,
        chain.token.address,
        amount,
        arbiter,
        ship_by,
        *periods,
        *fees,
        milestones=milestones,
        details=details,
    )
    expected = chain.escrow.functions.termsDigest(terms.as_tuple()).call()
    assert terms.digest(chain.chain_id, chain.escrow.address) == bytes(expected)


def test_any_change_to_the_details_changes_the_digest() -> None:
    terms = sample()
    other = replace(terms, details={"a": "2"})
    assert terms.digest(1, "0x" + "44" * 20) != other.digest(1, "0x" + "44" * 20)
    assert terms.digest(1, "0x" + "44" * 20) != terms.digest(2, "0x" + "44" * 20)


def test_signature_recovers_the_signer_and_json_round_trips() -> None:
    seller = Account.create()
    terms = replace(sample(), seller=seller.address)
    signature = terms.sign(seller, 5, "0x" + "44" * 20)
    assert terms.signer_of(signature, 5, "0x" + "44" * 20) == seller.address
    assert TradeTerms.from_json(terms.to_json()) == terms


def test_canonical_json_is_stable_and_refuses_floats() -> None:
    assert canonical_json({"b": 1, "a": "ü"}) == '{"a":"ü","b":1}'.encode()
    with pytest.raises(TypeError, match="floats"):
        canonical_json({"rate": 1.1})


def test_terms_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        replace(sample(), amount=0)
    with pytest.raises(ValueError, match="milestones"):
        replace(sample(), milestones=(5000, 4000))
    with pytest.raises(ValueError, match="fit"):
        replace(sample(), platform_fee_bps=2**16).schedule  # noqa: B018


def test_compact_signatures_round_trip() -> None:
    seller = Account.create()
    terms = replace(sample(), seller=seller.address)
    compact = terms.sign(seller, 1, "0x" + "44" * 20)
    assert len(compact) == 64 and len(expand_signature(compact)) == 65
    assert compact_signature(expand_signature(compact)) == compact
    assert terms.signer_of(compact, 1, "0x" + "44" * 20) == seller.address


def test_tranches_add_up_and_round_like_the_contract() -> None:
    assert tranche_amounts(1_001, (3000, 2000, 5000)) == [300, 200, 501]
    assert tranche_amounts(7, ()) == [7]
    assert sum(tranche_amounts(10**18 + 3, (1, 2, 3, 9994))) == 10**18 + 3


def test_key_box_round_trip() -> None:
    box = KeyBox(new_master_key())
    account, sealed = box.create()
    assert account.key.hex()[2:] not in sealed and account.key.hex() not in sealed
    assert box.open(account.address, sealed).key == account.key
    assert "sealed" in repr(box)


def test_key_box_refuses_a_wrong_master_key() -> None:
    account, sealed = KeyBox(new_master_key()).create()
    with pytest.raises(KeyBoxError, match="wrong master key"):
        KeyBox(new_master_key()).open(account.address, sealed)


def test_key_box_refuses_a_key_moved_to_another_address() -> None:
    box = KeyBox(new_master_key())
    _account, sealed = box.create()
    with pytest.raises(KeyBoxError):
        box.open(Account.create().address, sealed)


def test_key_box_refuses_a_malformed_master_key() -> None:
    with pytest.raises(KeyBoxError, match="32 bytes"):
        KeyBox("c2hvcnQ=")
