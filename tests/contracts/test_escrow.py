"""TradeEscrow: every transition and every revert path, on the in-process EVM."""

from __future__ import annotations

import itertools
from dataclasses import replace

from ledger.chain import time_travel
from ledger.contracts import ESCROW, STABLECOIN, bind, deploy
from ledger.terms import TradeTerms, deal_id_for
from tests.conftest import Chain
from tests.helpers import expect_revert

_ids = itertools.count(1)
DAY = 86400


def new_terms(chain: Chain, amount: int = 1_000_000, **overrides: object) -> TradeTerms:
    terms = TradeTerms(
        deal_id=deal_id_for(f"escrow-test-{next(_ids)}"),
        buyer=chain.buyer.address,
        seller=chain.seller.address,
        token=chain.token.address,
        amount=amount,
        ship_by=chain.now() + 10 * DAY,
        inspection_period=3 * DAY,
        details={"test": True},
    )
    return replace(terms, **overrides)


def sign(chain: Chain, terms: TradeTerms, signer=None) -> bytes:  # type: ignore[no-untyped-def]
    return terms.sign(signer or chain.seller, chain.w3.eth.chain_id, chain.escrow.address)


def open_deal(chain: Chain, terms: TradeTerms | None = None) -> TradeTerms:
    terms = terms or new_terms(chain)
    chain.send(chain.buyer, chain.token, "approve", chain.escrow.address, terms.amount)
    chain.send(chain.buyer, chain.escrow, "open", terms.as_tuple(), sign(chain, terms))
    return terms


def status(chain: Chain, terms: TradeTerms) -> int:
    return chain.escrow.functions.dealStatus(terms.deal_id).call()[0]


def balance(chain: Chain, who: str) -> int:
    return chain.token.functions.balanceOf(who).call()


def call(chain: Chain, sender, function: str, *args):  # type: ignore[no-untyped-def]
    """Simulate a call from `sender` (reverts raise, nothing is mined)."""
    return lambda: getattr(chain.escrow.functions, function)(*args).call({"from": sender.address})


def test_digest_matches_contract(chain: Chain) -> None:
    terms = new_terms(chain, details={"goods": "bearings", "fx": {"rate": "1.1172"}})
    on_chain = chain.escrow.functions.termsDigest(terms.as_tuple()).call()
    assert bytes(on_chain) == terms.digest(chain.w3.eth.chain_id, chain.escrow.address)


def test_open_ship_release_moves_the_deposit_to_the_seller(chain: Chain) -> None:
    seller_before, buyer_before = balance(chain, chain.seller.address), balance(chain, chain.buyer.address)
    terms = open_deal(chain)
    assert status(chain, terms) == 1
    assert balance(chain, chain.escrow.address) >= terms.amount
    chain.send(chain.seller, chain.escrow, "markShipped", terms.as_tuple(), b"\x01" * 32)
    assert status(chain, terms) == 2
    chain.send(chain.buyer, chain.escrow, "release", terms.as_tuple())
    assert status(chain, terms) == 3
    assert balance(chain, chain.seller.address) == seller_before + terms.amount
    assert balance(chain, chain.buyer.address) == buyer_before - terms.amount


def test_buyer_may_release_before_shipping(chain: Chain) -> None:
    terms = open_deal(chain)
    chain.send(chain.buyer, chain.escrow, "release", terms.as_tuple())
    assert status(chain, terms) == 3


def test_seller_refund_returns_the_deposit(chain: Chain) -> None:
    buyer_before = balance(chain, chain.buyer.address)
    terms = open_deal(chain)
    chain.send(chain.seller, chain.escrow, "refund", terms.as_tuple())
    assert status(chain, terms) == 4
    assert balance(chain, chain.buyer.address) == buyer_before


def test_open_reverts(chain: Chain) -> None:
    terms = new_terms(chain)
    chain.send(chain.buyer, chain.token, "approve", chain.escrow.address, 10**12)
    sig = sign(chain, terms)
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.stranger, "open", terms.as_tuple(), sig))
    expect_revert(
        ESCROW,
        "InvalidSellerSignature",
        call(chain, chain.buyer, "open", terms.as_tuple(), sign(chain, terms, chain.stranger)),
    )
    changed = replace(terms, amount=terms.amount + 1)  # seller signed a different amount
    expect_revert(ESCROW, "InvalidSellerSignature", call(chain, chain.buyer, "open", changed.as_tuple(), sig))
    for bad in (
        replace(terms, seller=chain.buyer.address),
        replace(terms, ship_by=chain.now() - 1),
    ):
        expect_revert(ESCROW, "InvalidTerms", call(chain, chain.buyer, "open", bad.as_tuple(), sign(chain, bad)))
    other_token = deploy(chain.w3, chain.admin, STABLECOIN, chain.admin.address)[0]
    bad = replace(terms, token=other_token)
    expect_revert(ESCROW, "TokenNotAllowed", call(chain, chain.buyer, "open", bad.as_tuple(), sign(chain, bad)))
    chain.send(chain.buyer, chain.escrow, "open", terms.as_tuple(), sig)
    expect_revert(ESCROW, "DealExists", call(chain, chain.buyer, "open", terms.as_tuple(), sig))


def test_zero_amount_is_refused(chain: Chain) -> None:
    terms = new_terms(chain)
    raw = list(terms.as_tuple())
    raw[4] = 0
    expect_revert(ESCROW, "InvalidTerms", call(chain, chain.buyer, "open", tuple(raw), sign(chain, terms)))


def test_actions_need_the_exact_terms(chain: Chain) -> None:
    terms = open_deal(chain)
    forged = replace(terms, seller=chain.stranger.address)  # try to redirect the payout
    expect_revert(ESCROW, "TermsMismatch", call(chain, chain.stranger, "markShipped", forged.as_tuple(), b"\0" * 32))
    expect_revert(ESCROW, "TermsMismatch", call(chain, chain.buyer, "release", forged.as_tuple()))
    unknown = new_terms(chain)
    expect_revert(ESCROW, "TermsMismatch", call(chain, chain.buyer, "release", unknown.as_tuple()))


def test_only_the_seller_ships_and_only_once(chain: Chain) -> None:
    terms = open_deal(chain)
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.buyer, "markShipped", terms.as_tuple(), b"\0" * 32))
    chain.send(chain.seller, chain.escrow, "markShipped", terms.as_tuple(), b"\0" * 32)
    expect_revert(ESCROW, "WrongStatus", call(chain, chain.seller, "markShipped", terms.as_tuple(), b"\0" * 32))


def test_strangers_cannot_release_or_refund_early(chain: Chain) -> None:
    terms = open_deal(chain)
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.stranger, "release", terms.as_tuple()))
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.stranger, "refund", terms.as_tuple()))
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.buyer, "refund", terms.as_tuple()))
    chain.send(chain.buyer, chain.escrow, "release", terms.as_tuple())
    expect_revert(ESCROW, "WrongStatus", call(chain, chain.buyer, "release", terms.as_tuple()))
    expect_revert(ESCROW, "WrongStatus", call(chain, chain.seller, "refund", terms.as_tuple()))


def test_deadlines_have_default_outcomes(chain: Chain) -> None:
    unshipped = open_deal(chain, new_terms(chain, ship_by=chain.now() + 2 * DAY))
    shipped = open_deal(chain, new_terms(chain, ship_by=chain.now() + 2 * DAY))
    chain.send(chain.seller, chain.escrow, "markShipped", shipped.as_tuple(), b"\x02" * 32)
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.stranger, "release", shipped.as_tuple()))
    time_travel(chain.w3, 4 * DAY)  # past shipBy and past the 3-day inspection period
    expect_revert(
        ESCROW, "ShipDeadlinePassed", call(chain, chain.seller, "markShipped", unshipped.as_tuple(), b"\0" * 32)
    )
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.stranger, "refund", shipped.as_tuple()))
    buyer_before, seller_before = balance(chain, chain.buyer.address), balance(chain, chain.seller.address)
    chain.send(chain.stranger, chain.escrow, "refund", unshipped.as_tuple())
    chain.send(chain.stranger, chain.escrow, "release", shipped.as_tuple())
    assert balance(chain, chain.buyer.address) == buyer_before + unshipped.amount
    assert balance(chain, chain.seller.address) == seller_before + shipped.amount
    assert (status(chain, unshipped), status(chain, shipped)) == (4, 3)


def test_only_token_admins_change_the_allowlist(chain: Chain) -> None:
    expect_revert(
        ESCROW,
        "AccessControlUnauthorizedAccount",
        call(chain, chain.stranger, "setTokenAllowed", chain.token.address, False),
    )


def test_fresh_escrow_binds_signatures_to_its_own_address(chain: Chain) -> None:
    """A signature for one escrow deployment does not open a deal on another (EIP-712 domain)."""
    other = bind(chain.w3, ESCROW, deploy(chain.w3, chain.admin, ESCROW, chain.admin.address)[0])
    chain.send(chain.admin, other, "setTokenAllowed", chain.token.address, True)
    terms = new_terms(chain)
    chain.send(chain.buyer, chain.token, "approve", other.address, terms.amount)
    expect_revert(
        ESCROW,
        "InvalidSellerSignature",
        lambda: other.functions.open(terms.as_tuple(), sign(chain, terms)).call({"from": chain.buyer.address}),
    )
    good = terms.sign(chain.seller, chain.w3.eth.chain_id, other.address)
    other.functions.open(terms.as_tuple(), good).call({"from": chain.buyer.address})
