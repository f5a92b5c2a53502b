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
from ledger.terms import TradeTerms, deal_id_for
from tests.conftest import Chain

ADDRESSES = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())


def sample(token: str = "0x" + "33" * 20) -> TradeTerms:
    return TradeTerms(deal_id_for("x"), "0x" + "11" * 20, "0x" + "22" * 20, token, 5, 10, 20, {"a": "1"})


@settings(max_examples=25, deadline=None)
@given(
    buyer=ADDRESSES,
    seller=ADDRESSES,
    amount=st.integers(min_value=1, max_value=2**256 - 1),
    ship_by=st.integers(min_value=0, max_value=2**64 - 1),
    inspection=st.integers(min_value=0, max_value=2**32 - 1),
    details=st.dictionaries(st.text(max_size=8), st.text(max_size=20) | st.integers(), max_size=4),
)
def test_python_digest_equals_contract_digest(chain: Chain, buyer, seller, amount, ship_by, inspection, details):  # type: ignore[no-untyped-def]
    terms = TradeTerms(
        deal_id_for(str(amount)), buyer, seller, chain.token.address, amount, ship_by, inspection, details
    )
    expected = chain.escrow.functions.termsDigest(terms.as_tuple()).call()
    assert terms.digest(chain.w3.eth.chain_id, chain.escrow.address) == bytes(expected)


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
    with pytest.raises(ValueError):
        replace(sample(), deal_id=b"short")


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
