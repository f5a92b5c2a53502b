"""Awkward tokens: each either works correctly or is refused at open, and no token is lost or locked."""

from __future__ import annotations

import pytest

from ledger.chain import time_travel
from ledger.contracts import ESCROW, bind, deploy
from ledger.sandbox import DAY, Sandbox
from tests.helpers import expect_revert

MOCK = "MockToken"


def escrow_balance(chain: Sandbox, token) -> int:  # type: ignore[no-untyped-def]
    return token.functions.balanceOf(chain.escrow.address).call()


def owed(chain: Sandbox, token) -> int:  # type: ignore[no-untyped-def]
    """What the escrow must hold for `token`: credits of every party (open deals are closed here)."""
    return sum(chain.escrow.functions.creditOf(token.address, a.address).call() for a in chain.parties)


@pytest.mark.parametrize("decimals", [2, 6, 18])
def test_any_decimals_work(chain: Sandbox, decimals: int) -> None:
    token = chain.new_token(MOCK, decimals)
    terms = chain.terms(token=token, amount=123 * 10**decimals + 1, platform_fee_bps=30)
    seller = token.functions.balanceOf(chain.seller.address).call()
    chain.open(terms)
    chain.send(chain.buyer, chain.escrow, "release", terms.as_tuple())
    fee = terms.amount * 30 // 10_000
    assert token.functions.balanceOf(chain.seller.address).call() == seller + terms.amount - fee
    assert escrow_balance(chain, token) == owed(chain, token) == 0


def test_a_token_without_return_values_works(chain: Sandbox) -> None:
    token = bind(chain.w3, "NoReturnToken", deploy(chain.w3, chain.admin, "NoReturnToken")[0])
    chain.send(chain.admin, chain.escrow, "setTokenAllowed", token.address, True)
    chain.send(chain.admin, token, "mint", chain.buyer.address, 10**9)
    chain.send(chain.buyer, token, "approve", chain.escrow.address, 10**9)
    terms = chain.terms(token=token, amount=10**6)
    chain.open(terms)
    chain.send(chain.seller, chain.escrow, "refund", terms.as_tuple())
    assert token.functions.balanceOf(chain.buyer.address).call() == 10**9
    assert escrow_balance(chain, token) == 0


def test_a_fee_on_transfer_token_is_refused_at_open(chain: Sandbox) -> None:
    token = chain.new_token(MOCK, 6)
    chain.send(chain.admin, token, "configure", 100, False, False, False)  # 1% fee on every transfer
    terms = chain.terms(token=token, amount=10**6)
    buyer = token.functions.balanceOf(chain.buyer.address).call()
    expect_revert(
        ESCROW,
        "AmountNotReceived",
        lambda: chain.escrow.functions.open(terms.as_tuple(), chain.sign(terms)).call({"from": chain.buyer.address}),
    )
    assert token.functions.balanceOf(chain.buyer.address).call() == buyer


def test_a_token_returning_false_is_refused_at_open_and_credits_payouts(chain: Sandbox) -> None:
    token = chain.new_token(MOCK, 6)
    chain.send(chain.admin, token, "configure", 0, False, False, True)  # false instead of reverting
    terms = chain.terms(token=token, amount=10**31)  # more than the buyer holds: transferFrom returns false
    expect_revert(
        ESCROW,
        "SafeERC20FailedOperation",
        lambda: chain.escrow.functions.open(terms.as_tuple(), chain.sign(terms)).call({"from": chain.buyer.address}),
    )
    ok = chain.terms(token=token, amount=10**6)
    chain.open(ok)
    chain.send(chain.admin, token, "setBlocked", chain.buyer.address, True)
    chain.send(chain.seller, chain.escrow, "refund", ok.as_tuple())  # the transfer returns false: credited
    assert chain.escrow.functions.creditOf(token.address, chain.buyer.address).call() == 10**6
    chain.send(chain.admin, token, "setBlocked", chain.buyer.address, False)
    chain.send(chain.buyer, chain.escrow, "claim", token.address, chain.buyer.address)
    assert escrow_balance(chain, token) == owed(chain, token) == 0


def test_a_blocked_buyer_does_not_block_the_seller(chain: Sandbox) -> None:
    token = chain.new_token(MOCK, 6)
    terms = chain.terms(token=token, amount=1_000, arbiter_fee_bps=0)
    chain.open(terms)
    chain.send(chain.buyer, chain.escrow, "dispute", terms.as_tuple(), b"\0" * 32)
    chain.send(chain.admin, token, "setBlocked", chain.buyer.address, True)
    seller = token.functions.balanceOf(chain.seller.address).call()
    chain.send(chain.arbiter, chain.escrow, "rule", terms.as_tuple(), 700)
    assert token.functions.balanceOf(chain.seller.address).call() == seller + 300  # paid at once
    assert chain.escrow.functions.creditOf(token.address, chain.buyer.address).call() == 700
    assert escrow_balance(chain, token) == owed(chain, token) == 700
    chain.send(chain.admin, token, "setBlocked", chain.buyer.address, False)
    chain.send(chain.buyer, chain.escrow, "claim", token.address, chain.buyer.address)
    assert escrow_balance(chain, token) == 0


def test_a_paused_token_credits_payouts_until_claimed(chain: Sandbox) -> None:
    token = chain.new_token(MOCK, 6)
    terms = chain.terms(token=token, amount=5_000)
    chain.open(terms)
    chain.send(chain.admin, token, "configure", 0, True, False, False)  # the token pauses all transfers
    chain.send(chain.buyer, chain.escrow, "release", terms.as_tuple())
    assert chain.escrow.functions.creditOf(token.address, chain.seller.address).call() == 5_000
    expect_revert(
        MOCK,
        "TokenPaused",
        lambda: chain.escrow.functions.claim(token.address, chain.seller.address).call({"from": chain.seller.address}),
    )
    chain.send(chain.admin, token, "configure", 0, False, False, False)
    chain.send(chain.seller, chain.escrow, "claim", token.address, chain.seller.address)
    assert escrow_balance(chain, token) == 0


def test_zero_payouts_are_skipped_for_tokens_that_refuse_them(chain: Sandbox) -> None:
    token = chain.new_token(MOCK, 6)
    chain.send(chain.admin, token, "configure", 0, False, True, False)  # reverts on zero transfers
    terms = chain.terms(token=token, amount=1_000, arbiter_fee_bps=0, platform_fee_bps=0)
    chain.open(terms)
    chain.send(chain.buyer, chain.escrow, "dispute", terms.as_tuple(), b"\0" * 32)
    chain.send(chain.arbiter, chain.escrow, "rule", terms.as_tuple(), 0)  # nothing to the buyer
    assert escrow_balance(chain, token) == owed(chain, token) == 0


def test_a_reentrant_token_cannot_pay_twice(chain: Sandbox) -> None:
    token = chain.new_token(MOCK, 6)
    terms = chain.terms(token=token, amount=1_000)
    chain.open(terms)
    reenter = chain.escrow.encode_abi("release", [terms.as_tuple()])
    chain.send(chain.admin, token, "setReentry", chain.escrow.address, bytes.fromhex(reenter[2:]))
    seller = token.functions.balanceOf(chain.seller.address).call()
    chain.send(chain.buyer, chain.escrow, "release", terms.as_tuple())
    assert token.functions.reentryAttempts().call() >= 1
    assert token.functions.reentrySuccesses().call() == 0  # the guard refused the nested release
    assert token.functions.balanceOf(chain.seller.address).call() == seller + 1_000


def test_a_reentrant_token_cannot_move_funds_during_open(chain: Sandbox) -> None:
    token = chain.new_token(MOCK, 6)
    victim = chain.terms(token=token, amount=1_000, ship_by=chain.now() + DAY, inspection_period=DAY)
    chain.open(victim)
    chain.send(chain.seller, chain.escrow, "markShipped", victim.as_tuple(), b"\0" * 32)
    time_travel(chain.w3, 2 * DAY)  # anyone may now release the victim deal
    reenter = chain.escrow.encode_abi("release", [victim.as_tuple()])
    chain.send(chain.admin, token, "setReentry", chain.escrow.address, bytes.fromhex(reenter[2:]))
    terms = chain.terms(token=token, amount=2_000)
    expect_revert(
        ESCROW,
        "AmountNotReceived",
        lambda: chain.escrow.functions.open(terms.as_tuple(), chain.sign(terms)).call({"from": chain.buyer.address}),
    )
    assert chain.escrow.functions.dealState(chain.key(victim)).call()[0] == 2  # still shipped, not paid
