"""TradeEscrow: every transition and every revert path, on the in-process EVM."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from eth_account import Account
from web3.logs import DISCARD

from ledger.chain import dev_fund, time_travel
from ledger.contracts import ESCROW, STABLECOIN, bind, deploy
from ledger.merkle import Outcome
from ledger.sandbox import DAY, Sandbox
from ledger.terms import TradeTerms, expand_signature
from tests.helpers import expect_revert

FUNDED, SHIPPED, DISPUTED, CLOSED = 1, 2, 3, 4


def state(chain: Sandbox, terms: TradeTerms) -> tuple[int, int, int, int]:
    return tuple(chain.escrow.functions.dealState(chain.key(terms)).call())  # type: ignore[return-value]


def balance(chain: Sandbox, who: str, token=None) -> int:  # type: ignore[no-untyped-def]
    return (token or chain.token).functions.balanceOf(who).call()


def call(chain: Sandbox, sender, function: str, *args):  # type: ignore[no-untyped-def]
    """Simulate a call from `sender` (reverts raise, nothing is mined)."""
    return lambda: getattr(chain.escrow.functions, function)(*args).call({"from": sender.address})


def closed_event(chain: Sandbox, receipt) -> dict:  # type: ignore[no-untyped-def,type-arg]
    (event,) = chain.escrow.events.DealClosed().process_receipt(receipt, errors=DISCARD)
    return dict(event["args"])


def balances(chain: Sandbox, *accounts, token=None) -> list[int]:  # type: ignore[no-untyped-def]
    return [balance(chain, a.address, token) for a in accounts]


# -- digest and opening -----------------------------------------------------------------------


def test_digest_matches_contract(chain: Sandbox) -> None:
    terms = chain.terms(milestones=(3000, 7000), platform_fee_bps=25, details={"fx": {"rate": "1.1172"}})
    assert bytes(chain.escrow.functions.termsDigest(terms.as_tuple()).call()) == chain.key(terms)
    decoded = chain.escrow.functions.decodeSchedule(terms.schedule).call()
    assert decoded == (terms.ship_by, 3 * DAY, 7 * DAY, 25, 200, 5000, [3000, 7000])


def test_open_records_the_deal_and_takes_the_deposit(chain: Sandbox) -> None:
    terms = chain.terms()
    before = balances(chain, chain.buyer)
    escrow_before = balance(chain, chain.escrow.address)
    receipt = chain.open(terms)
    assert state(chain, terms) == (FUNDED, 0, 0, 0)
    assert balances(chain, chain.buyer) == [before[0] - terms.amount]
    assert balance(chain, chain.escrow.address) == escrow_before + terms.amount
    (opened,) = chain.escrow.events.DealOpened().process_receipt(receipt, errors=DISCARD)
    assert opened["args"]["key"] == chain.key(terms) and opened["args"]["amount"] == terms.amount


def test_full_and_compact_signatures_are_both_accepted(chain: Sandbox) -> None:
    terms = chain.terms()
    full = expand_signature(chain.sign(terms))
    assert len(full) == 65
    chain.send(chain.buyer, chain.escrow, "open", terms.as_tuple(), full)
    assert state(chain, terms)[0] == FUNDED


def test_a_contract_wallet_seller_signs_with_erc1271(chain: Sandbox) -> None:
    owner = Account.create()
    wallet = deploy(chain.w3, chain.admin, "MockWallet", owner.address)[0]
    terms = chain.terms(seller=wallet)
    signature = expand_signature(terms.sign(owner, chain.chain_id, chain.escrow.address))  # the wallet's format
    chain.send(chain.buyer, chain.escrow, "open", terms.as_tuple(), signature)
    assert state(chain, terms)[0] == FUNDED
    forged = chain.terms(seller=wallet)
    expect_revert(
        ESCROW,
        "InvalidSellerSignature",
        call(chain, chain.buyer, "open", forged.as_tuple(), chain.sign(forged, chain.stranger)),
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda c: {"amount": 2**128},
        lambda c: {"seller": c.buyer.address},
        lambda c: {"arbiter": c.seller.address},
        lambda c: {"ship_by": c.now() - 1},
        lambda c: {"dispute_period": 0},
        lambda c: {"platform_fee_bps": 501},
        lambda c: {"arbiter_fee_bps": 1001},
        lambda c: {"default_buyer_bps": 10_001},
    ],
    ids=["amount", "seller", "arbiter", "shipBy", "disputePeriod", "platformFee", "arbiterFee", "defaultBuyer"],
)
def test_malformed_terms_are_refused(chain: Sandbox, make) -> None:  # type: ignore[no-untyped-def]
    terms = chain.terms(**make(chain))
    expect_revert(ESCROW, "InvalidTerms", call(chain, chain.buyer, "open", terms.as_tuple(), chain.sign(terms)))


def test_malformed_milestones_and_schedule_bits_are_refused(chain: Sandbox) -> None:
    terms = chain.terms()
    for schedule in (terms.schedule | (1 << 250), terms.schedule | (5000 << 152) | (4000 << 168)):
        raw = list(terms.as_tuple())
        raw[5] = schedule
        sig = terms.sign(chain.seller, chain.chain_id, chain.escrow.address)  # signature is irrelevant here
        expect_revert(ESCROW, "InvalidTerms", call(chain, chain.buyer, "open", tuple(raw), sig))
    with pytest.raises(ValueError):
        chain.terms(milestones=(5000, 4000))


def test_open_reverts(chain: Sandbox) -> None:
    terms = chain.terms()
    sig = chain.sign(terms)
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.stranger, "open", terms.as_tuple(), sig))
    expect_revert(
        ESCROW,
        "InvalidSellerSignature",
        call(chain, chain.buyer, "open", terms.as_tuple(), chain.sign(terms, chain.stranger)),
    )
    changed = replace(terms, amount=terms.amount + 1)  # the seller signed a different amount
    expect_revert(ESCROW, "InvalidSellerSignature", call(chain, chain.buyer, "open", changed.as_tuple(), sig))
    other_token = deploy(chain.w3, chain.admin, STABLECOIN, chain.admin.address)[0]
    bad = chain.terms(token=bind(chain.w3, STABLECOIN, other_token))
    expect_revert(ESCROW, "TokenNotAllowed", call(chain, chain.buyer, "open", bad.as_tuple(), chain.sign(bad)))
    chain.send(chain.buyer, chain.escrow, "open", terms.as_tuple(), sig)
    expect_revert(ESCROW, "DealExists", call(chain, chain.buyer, "open", terms.as_tuple(), sig))


def test_a_signature_is_bound_to_one_escrow_deployment(chain: Sandbox) -> None:
    other = bind(chain.w3, ESCROW, deploy(chain.w3, chain.admin, ESCROW, chain.admin.address)[0])
    chain.send(chain.admin, other, "setTokenAllowed", chain.token.address, True)
    terms = chain.terms()
    expect_revert(
        ESCROW,
        "InvalidSellerSignature",
        lambda: other.functions.open(terms.as_tuple(), chain.sign(terms)).call({"from": chain.buyer.address}),
    )


def test_open_with_permit_needs_no_approval(chain: Sandbox) -> None:
    buyer = Account.create()
    dev_fund(chain.w3, buyer.address, 10**19)
    chain.send(chain.admin, chain.token, "mint", buyer.address, 10**12)
    terms = chain.terms(buyer=buyer.address)
    deadline = chain.now() + DAY
    nonce = chain.token.functions.nonces(buyer.address).call()
    permit = {
        "types": {
            "EIP712Domain": [
                {"name": n, "type": t}
                for n, t in (
                    ("name", "string"),
                    ("version", "string"),
                    ("chainId", "uint256"),
                    ("verifyingContract", "address"),
                )
            ],
            "Permit": [
                {"name": n, "type": t}
                for n, t in (
                    ("owner", "address"),
                    ("spender", "address"),
                    ("value", "uint256"),
                    ("nonce", "uint256"),
                    ("deadline", "uint256"),
                )
            ],
        },
        "primaryType": "Permit",
        "domain": {
            "name": "Tradewind Test Dollar",
            "version": "1",
            "chainId": chain.chain_id,
            "verifyingContract": chain.token.address,
        },
        "message": {
            "owner": buyer.address,
            "spender": chain.escrow.address,
            "value": terms.amount,
            "nonce": nonce,
            "deadline": deadline,
        },
    }
    from eth_account.messages import encode_typed_data

    signed = buyer.sign_message(encode_typed_data(full_message=permit))
    assert chain.token.functions.allowance(buyer.address, chain.escrow.address).call() == 0
    chain.send(
        buyer,
        chain.escrow,
        "openWithPermit",
        terms.as_tuple(),
        chain.sign(terms),
        deadline,
        signed.v,
        signed.r.to_bytes(32, "big"),
        signed.s.to_bytes(32, "big"),
    )
    assert state(chain, terms)[0] == FUNDED


# -- shipping, releasing, refunding -------------------------------------------------------------


def test_ship_then_release_pays_the_seller_less_the_platform_fee(chain: Sandbox) -> None:
    terms = chain.terms(platform_fee_bps=37, amount=1_000_003)
    chain.open(terms)
    chain.send(chain.seller, chain.escrow, "markShipped", terms.as_tuple(), b"\x01" * 32)
    assert state(chain, terms)[0] == SHIPPED and state(chain, terms)[1] > 0
    seller, fees = balances(chain, chain.seller, chain.admin)
    event = closed_event(chain, chain.send(chain.buyer, chain.escrow, "release", terms.as_tuple()))
    fee = 1_000_003 * 37 // 10_000  # floor; the remainder stays with the seller
    assert balances(chain, chain.seller, chain.admin) == [seller + 1_000_003 - fee, fees + fee]
    assert event["outcome"] == Outcome.RELEASED
    assert (event["buyerAmount"], event["sellerAmount"], event["platformFee"], event["arbiterFee"]) == (
        0,
        1_000_003 - fee,
        fee,
        0,
    )
    assert state(chain, terms)[0] == CLOSED


def test_milestones_pay_tranches_and_the_last_closes(chain: Sandbox) -> None:
    terms = chain.terms(amount=1_001, milestones=(3000, 2000, 5000), platform_fee_bps=100)
    chain.open(terms)
    start = balance(chain, chain.seller.address)
    chain.send(chain.buyer, chain.escrow, "releaseMilestone", terms.as_tuple(), 1)  # any order
    assert balance(chain, chain.seller.address) == start + 200 - 2  # tranche 1 = floor(1001*.5) - floor(1001*.3)
    expect_revert(ESCROW, "InvalidMilestone", call(chain, chain.buyer, "releaseMilestone", terms.as_tuple(), 1))
    expect_revert(ESCROW, "InvalidMilestone", call(chain, chain.buyer, "releaseMilestone", terms.as_tuple(), 3))
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.seller, "releaseMilestone", terms.as_tuple(), 0))
    assert chain.escrow.functions.remainingOf(terms.as_tuple()).call() == 1_001 - 200
    chain.send(chain.buyer, chain.escrow, "releaseMilestone", terms.as_tuple(), 0)
    event = closed_event(chain, chain.send(chain.buyer, chain.escrow, "releaseMilestone", terms.as_tuple(), 2))
    assert terms.tranches == [300, 200, 501]
    fees = 3 + 2 + 5
    assert (event["sellerAmount"], event["platformFee"]) == (1_001 - fees, fees)
    assert balance(chain, chain.seller.address) == start + 1_001 - fees


def test_release_after_a_milestone_pays_the_rest(chain: Sandbox) -> None:
    terms = chain.terms(amount=10_000, milestones=(3000, 7000))
    chain.open(terms)
    chain.send(chain.buyer, chain.escrow, "releaseMilestone", terms.as_tuple(), 0)
    event = closed_event(chain, chain.send(chain.seller, chain.escrow, "refund", terms.as_tuple()))
    assert (event["buyerAmount"], event["sellerAmount"]) == (7_000, 3_000)  # the totals cover the whole deal


def test_only_the_seller_ships_once_and_before_the_deadline(chain: Sandbox) -> None:
    terms = chain.terms(ship_by=chain.now() + DAY)
    chain.open(terms)
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.buyer, "markShipped", terms.as_tuple(), b"\0" * 32))
    late = chain.terms(ship_by=chain.now() + DAY)
    chain.open(late)
    chain.send(chain.seller, chain.escrow, "markShipped", terms.as_tuple(), b"\0" * 32)
    expect_revert(ESCROW, "WrongStatus", call(chain, chain.seller, "markShipped", terms.as_tuple(), b"\0" * 32))
    time_travel(chain.w3, 2 * DAY)
    expect_revert(ESCROW, "DeadlinePassed", call(chain, chain.seller, "markShipped", late.as_tuple(), b"\0" * 32))


def test_strangers_cannot_release_or_refund_early(chain: Sandbox) -> None:
    terms = chain.terms()
    chain.open(terms)
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.stranger, "release", terms.as_tuple()))
    expect_revert(ESCROW, "DeadlineNotReached", call(chain, chain.stranger, "refund", terms.as_tuple()))
    expect_revert(ESCROW, "DeadlineNotReached", call(chain, chain.buyer, "refund", terms.as_tuple()))
    chain.send(chain.seller, chain.escrow, "markShipped", terms.as_tuple(), b"\0" * 32)
    expect_revert(ESCROW, "DeadlineNotReached", call(chain, chain.stranger, "release", terms.as_tuple()))
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.stranger, "refund", terms.as_tuple()))
    chain.send(chain.buyer, chain.escrow, "release", terms.as_tuple())
    for function, sender in (("release", chain.buyer), ("refund", chain.seller)):
        expect_revert(ESCROW, "WrongStatus", call(chain, sender, function, terms.as_tuple()))


def test_deadlines_have_default_outcomes(chain: Sandbox) -> None:
    unshipped = chain.terms(ship_by=chain.now() + 2 * DAY)
    shipped = chain.terms(ship_by=chain.now() + 2 * DAY)
    chain.open(unshipped)
    chain.open(shipped)
    chain.send(chain.seller, chain.escrow, "markShipped", shipped.as_tuple(), b"\x02" * 32)
    time_travel(chain.w3, 4 * DAY)  # past shipBy and past the 3-day inspection period
    buyer, seller = balances(chain, chain.buyer, chain.seller)
    chain.send(chain.stranger, chain.escrow, "refund", unshipped.as_tuple())
    chain.send(chain.stranger, chain.escrow, "release", shipped.as_tuple())
    assert balances(chain, chain.buyer, chain.seller) == [buyer + unshipped.amount, seller + shipped.amount]


def test_actions_need_the_exact_terms(chain: Sandbox) -> None:
    terms = chain.terms()
    chain.open(terms)
    forged = replace(terms, seller=chain.stranger.address)  # try to redirect the payout
    for function, sender, args in (
        ("markShipped", chain.stranger, (b"\0" * 32,)),
        ("release", chain.buyer, ()),
        ("refund", chain.stranger, ()),
        ("dispute", chain.stranger, (b"\0" * 32,)),
    ):
        expect_revert(ESCROW, "UnknownDeal", call(chain, sender, function, forged.as_tuple(), *args))


# -- disputes and settlements -------------------------------------------------------------------


def test_arbiter_rules_a_split_with_its_fee(chain: Sandbox) -> None:
    terms = chain.terms(amount=1_000_000, arbiter_fee_bps=300, platform_fee_bps=100)
    chain.open(terms)
    chain.send(chain.seller, chain.escrow, "addEvidence", terms.as_tuple(), os.urandom(32))
    chain.send(chain.buyer, chain.escrow, "dispute", terms.as_tuple(), os.urandom(32))
    assert state(chain, terms)[0] == DISPUTED
    expect_revert(ESCROW, "WrongStatus", call(chain, chain.seller, "dispute", terms.as_tuple(), b"\0" * 32))
    expect_revert(ESCROW, "AmountTooHigh", call(chain, chain.arbiter, "rule", terms.as_tuple(), 970_001))
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.stranger, "rule", terms.as_tuple(), 0))
    before = balances(chain, chain.buyer, chain.seller, chain.arbiter, chain.admin)
    event = closed_event(chain, chain.send(chain.arbiter, chain.escrow, "rule", terms.as_tuple(), 600_000))
    seller_gross = 1_000_000 - 30_000 - 600_000
    fee = seller_gross // 100
    after = balances(chain, chain.buyer, chain.seller, chain.arbiter, chain.admin)
    assert [a - b for a, b in zip(after, before, strict=True)] == [600_000, seller_gross - fee, 30_000, fee]
    assert (
        event["outcome"] == Outcome.RULED
        and sum(event[k] for k in ("buyerAmount", "sellerAmount", "platformFee", "arbiterFee")) == 1_000_000
    )


def test_an_unregistered_arbiter_cannot_rule_and_the_default_applies(chain: Sandbox) -> None:
    rogue = Account.create()
    dev_fund(chain.w3, rogue.address, 10**19)
    terms = chain.terms(arbiter=rogue.address, default_buyer_bps=2500, amount=400)
    chain.open(terms)
    chain.send(chain.seller, chain.escrow, "dispute", terms.as_tuple(), b"\0" * 32)
    expect_revert(
        ESCROW, "Unauthorized", lambda: chain.escrow.functions.rule(terms.as_tuple(), 0).call({"from": rogue.address})
    )
    expect_revert(ESCROW, "DeadlineNotReached", call(chain, chain.stranger, "resolveDefault", terms.as_tuple()))
    time_travel(chain.w3, 8 * DAY)
    event = closed_event(chain, chain.send(chain.stranger, chain.escrow, "resolveDefault", terms.as_tuple()))
    assert (event["outcome"], event["buyerAmount"], event["sellerAmount"], event["arbiterFee"]) == (
        Outcome.DEFAULT_RULED,
        100,
        300,
        0,
    )


def test_a_late_arbiter_can_no_longer_rule(chain: Sandbox) -> None:
    terms = chain.terms()
    chain.open(terms)
    chain.send(chain.buyer, chain.escrow, "dispute", terms.as_tuple(), b"\0" * 32)
    time_travel(chain.w3, 8 * DAY)
    expect_revert(ESCROW, "DeadlinePassed", call(chain, chain.arbiter, "rule", terms.as_tuple(), 0))
    chain.send(chain.stranger, chain.escrow, "resolveDefault", terms.as_tuple())
    assert state(chain, terms)[0] == CLOSED


def test_disputes_only_within_the_inspection_window(chain: Sandbox) -> None:
    terms = chain.terms()
    chain.open(terms)
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.stranger, "dispute", terms.as_tuple(), b"\0" * 32))
    chain.send(chain.seller, chain.escrow, "markShipped", terms.as_tuple(), b"\0" * 32)
    time_travel(chain.w3, 4 * DAY)
    expect_revert(ESCROW, "DeadlinePassed", call(chain, chain.buyer, "dispute", terms.as_tuple(), b"\0" * 32))


def test_parties_settle_by_proposal_and_acceptance(chain: Sandbox) -> None:
    terms = chain.terms(amount=1_000)
    chain.open(terms)
    chain.send(chain.buyer, chain.escrow, "dispute", terms.as_tuple(), b"\0" * 32)
    expect_revert(ESCROW, "AmountTooHigh", call(chain, chain.buyer, "proposeSettlement", terms.as_tuple(), 1_001))
    chain.send(chain.buyer, chain.escrow, "proposeSettlement", terms.as_tuple(), 400)
    expect_revert(ESCROW, "NoSuchProposal", call(chain, chain.buyer, "acceptSettlement", terms.as_tuple(), 400))
    expect_revert(ESCROW, "NoSuchProposal", call(chain, chain.seller, "acceptSettlement", terms.as_tuple(), 500))
    expect_revert(ESCROW, "Unauthorized", call(chain, chain.stranger, "acceptSettlement", terms.as_tuple(), 400))
    event = closed_event(chain, chain.send(chain.seller, chain.escrow, "acceptSettlement", terms.as_tuple(), 400))
    assert (event["outcome"], event["buyerAmount"], event["sellerAmount"], event["arbiterFee"]) == (
        Outcome.SETTLED,
        400,
        600,
        0,
    )
    for function, sender, args in (
        ("proposeSettlement", chain.buyer, (1,)),
        ("acceptSettlement", chain.seller, (400,)),
        ("addEvidence", chain.buyer, (b"\0" * 32,)),
        ("resolveDefault", chain.buyer, ()),
    ):
        expect_revert(ESCROW, "WrongStatus", call(chain, sender, function, terms.as_tuple(), *args))


def test_a_party_may_concede_during_a_dispute(chain: Sandbox) -> None:
    terms = chain.terms()
    chain.open(terms)
    chain.send(chain.buyer, chain.escrow, "dispute", terms.as_tuple(), b"\0" * 32)
    event = closed_event(chain, chain.send(chain.seller, chain.escrow, "refund", terms.as_tuple()))
    assert event["buyerAmount"] == terms.amount


# -- failed payouts, credits, administration ----------------------------------------------------


def test_a_blocked_seller_is_credited_and_claims_elsewhere(chain: Sandbox) -> None:
    token = chain.new_token("MockToken", 6)
    terms = chain.terms(token=token, amount=5_000)
    chain.open(terms)
    chain.send(chain.admin, token, "setBlocked", chain.seller.address, True)
    receipt = chain.send(chain.buyer, chain.escrow, "release", terms.as_tuple())
    (credit,) = chain.escrow.events.PayoutCredited().process_receipt(receipt, errors=DISCARD)
    assert credit["args"]["account"] == chain.seller.address
    assert chain.escrow.functions.creditOf(token.address, chain.seller.address).call() == 5_000
    expect_revert(
        ESCROW,
        "NothingToClaim",
        lambda: chain.escrow.functions.claim(token.address, chain.buyer.address).call({"from": chain.buyer.address}),
    )
    expect_revert(ESCROW, "ZeroAddress", call(chain, chain.seller, "claim", token.address, "0x" + "00" * 20))
    expect_revert(ESCROW, "EscrowIsRecipient", call(chain, chain.seller, "claim", token.address, chain.escrow.address))
    fresh = Account.create().address
    chain.send(chain.seller, chain.escrow, "claim", token.address, fresh)  # to an address the token accepts
    assert balance(chain, fresh, token) == 5_000
    assert chain.escrow.functions.creditOf(token.address, chain.seller.address).call() == 0


def test_pause_stops_new_deals_only(chain: Sandbox) -> None:
    terms = chain.terms()
    chain.open(terms)
    chain.send(chain.admin, chain.escrow, "pause")
    try:
        new = chain.terms()
        expect_revert(ESCROW, "EnforcedPause", call(chain, chain.buyer, "open", new.as_tuple(), chain.sign(new)))
        chain.send(chain.seller, chain.escrow, "markShipped", terms.as_tuple(), b"\0" * 32)
        chain.send(chain.buyer, chain.escrow, "release", terms.as_tuple())
        assert state(chain, terms)[0] == CLOSED
        expect_revert(ESCROW, "AccessControlUnauthorizedAccount", call(chain, chain.stranger, "unpause"))
    finally:
        chain.send(chain.admin, chain.escrow, "unpause")
    chain.open(chain.terms())


def test_administration_is_role_gated(chain: Sandbox) -> None:
    for function, args in (
        ("setTokenAllowed", (chain.token.address, False)),
        ("setFeeRecipient", (chain.stranger.address,)),
        ("pause", ()),
    ):
        expect_revert(ESCROW, "AccessControlUnauthorizedAccount", call(chain, chain.stranger, function, *args))
    role = chain.escrow.functions.ARBITER_ROLE().call()
    expect_revert(
        ESCROW,
        "AccessControlUnauthorizedAccount",
        call(chain, chain.stranger, "grantRole", role, chain.stranger.address),
    )


def test_the_fee_recipient_is_neither_zero_nor_the_escrow(chain: Sandbox) -> None:
    expect_revert(ESCROW, "ZeroAddress", call(chain, chain.admin, "setFeeRecipient", "0x" + "00" * 20))
    expect_revert(ESCROW, "EscrowIsRecipient", call(chain, chain.admin, "setFeeRecipient", chain.escrow.address))
    assert chain.escrow.functions.feeRecipient().call() == chain.admin.address


def test_the_allowlist_can_be_changed(chain: Sandbox) -> None:
    token = chain.new_token("MockToken", 18)
    assert chain.escrow.functions.allowedToken(token.address).call()
    chain.send(chain.admin, chain.escrow, "setTokenAllowed", token.address, False)
    assert not chain.escrow.functions.allowedToken(token.address).call()
    terms = chain.terms(token=token)
    expect_revert(ESCROW, "TokenNotAllowed", call(chain, chain.buyer, "open", terms.as_tuple(), chain.sign(terms)))


def test_unpausing_an_unpaused_escrow_is_refused(chain: Sandbox) -> None:
    expect_revert(ESCROW, "ExpectedPause", call(chain, chain.admin, "unpause"))


def test_the_allowlist_is_bounded(chain: Sandbox) -> None:
    listed = [chain.token.address]  # tokens other tests allowed stay; fill up to the limit with placeholders
    placeholders = []
    limit = chain.escrow.functions.MAX_TOKENS().call()
    while True:
        address = Account.create().address
        try:
            chain.send(chain.admin, chain.escrow, "setTokenAllowed", address, True)
        except Exception:
            break
        placeholders.append(address)
        assert len(placeholders) <= limit
    expect_revert(ESCROW, "TooManyTokens", call(chain, chain.admin, "setTokenAllowed", Account.create().address, True))
    for address in placeholders:
        chain.send(chain.admin, chain.escrow, "setTokenAllowed", address, False)
    assert all(chain.escrow.functions.allowedToken(a).call() for a in listed)
    expect_revert(ESCROW, "ZeroAddress", call(chain, chain.admin, "setTokenAllowed", "0x" + "00" * 20, True))
