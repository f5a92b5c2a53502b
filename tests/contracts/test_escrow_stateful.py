"""A Hypothesis state machine drives random sequences of escrow actions over many deals and parties and
compares the contract with an independent model after every step: who may do what when, every token
balance, every credit, and the totals of every closed deal.

Invariants checked after each step:
- the escrow's token balance equals what open deals still hold plus unclaimed credits;
- every party's balance and credit is exactly what the model says (nobody receives more than a deal
  allows, fees are exact);
- each deal emits its terminal DealClosed exactly once, with totals adding up to its amount.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from web3.logs import DISCARD

from ledger.chain import connect
from ledger.contracts import ESCROW, artifact
from ledger.terms import BPS, TradeTerms

DAY = 86400
GAS = 3_000_000
MIN_STEPS = 5_000
STEPS_PER_RUN = 50
MILESTONES = [(), (3000, 7000), (2500, 2500, 5000), (1, 9999)]
ROLES = ["buyer", "seller", "buyer", "seller", "arbiter", "stranger"]
_ids = itertools.count()
steps_run = 0
outcomes: Counter[tuple[str, bool]] = Counter()  # (function, accepted) over the whole run


class World:
    """One in-process chain with the escrow, a blocklist-capable token and funded parties, rewound to
    the same snapshot before every example."""

    def __init__(self) -> None:
        self.w3 = connect(None)
        tester = self.w3.provider.ethereum_tester
        self.tester = tester
        self.keys = {}
        names = ["admin", "treasury", "buyer1", "buyer2", "seller1", "seller2", "arbiter", "rogue", "stranger"]
        for name in names:
            account = Account.create()
            tester.add_account(account.key.to_0x_hex())
            self.w3.eth.send_transaction({"from": self.w3.eth.accounts[0], "to": account.address, "value": 10**21})
            self.keys[name] = account
            setattr(self, name, account.address)
        self.accounts = [self.keys[n].address for n in names]
        self.escrow = self.deploy(ESCROW, self.admin)
        self.token = self.deploy("MockToken", 6)
        self.probe = self.deploy("BalanceProbe")
        self.must("setTokenAllowed", self.admin, self.token.address, True)
        self.must("setFeeRecipient", self.admin, self.treasury)
        self.must("grantRole", self.admin, self.escrow.functions.ARBITER_ROLE().call(), self.arbiter)
        for buyer in (self.buyer1, self.buyer2):
            self.send(self.token, "mint", self.admin, buyer, 10**18)
            self.send(self.token, "approve", buyer, self.escrow.address, 2**255)
        self.snapshot = tester.take_snapshot()

    def deploy(self, name: str, *args: Any) -> Any:
        factory = self.w3.eth.contract(abi=artifact(name).abi, bytecode=artifact(name).bytecode)
        receipt = self.w3.eth.get_transaction_receipt(factory.constructor(*args).transact({"from": self.admin}))
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=artifact(name).abi)

    def send(self, contract: Any, function: str, sender: str, *args: Any) -> tuple[bool, Any, int]:
        """Send a call with fixed gas (a revert is mined with status 0); (ok, receipt, block time)."""
        data = contract.encode_abi(function, list(args))
        tx_hash = self.w3.eth.send_transaction({"from": sender, "to": contract.address, "data": data, "gas": GAS})
        receipt = self.w3.eth.get_transaction_receipt(tx_hash)
        return receipt["status"] == 1, receipt, self.w3.eth.get_block(receipt["blockNumber"])["timestamp"]

    def must(self, function: str, sender: str, *args: Any) -> None:
        assert self.send(self.escrow, function, sender, *args)[0], function

    def now(self) -> int:
        return self.w3.eth.get_block("latest")["timestamp"]


WORLD: World | None = None


def world() -> World:
    global WORLD
    if WORLD is None:
        WORLD = World()
    return WORLD


@dataclass
class Deal:
    """The model's view of one deal."""

    terms: TradeTerms
    key: bytes
    opened: bool = False
    status: str = "none"  # funded, shipped, disputed, closed
    shipped_at: int = 0
    disputed_at: int = 0
    released: set[int] = field(default_factory=set)
    proposal: tuple[str, int] | None = None
    closes: int = 0

    @property
    def tranches(self) -> list[int]:
        return self.terms.tranches

    @property
    def paid(self) -> int:
        return sum(self.tranches[i] for i in self.released)

    @property
    def remaining(self) -> int:
        return 0 if self.status in ("none", "closed") else self.terms.amount - self.paid

    def fee(self, gross: int) -> int:
        return gross * self.terms.platform_fee_bps // BPS


class EscrowMachine(RuleBasedStateMachine):
    deals = Bundle("deals")

    @initialize()
    def reset(self) -> None:
        w = self.w = world()
        w.tester.revert_to_snapshot(w.snapshot)
        self.snapshot = w.tester.take_snapshot()
        w.snapshot = self.snapshot
        balances, credits, _ = self.read()
        self.balance = dict(zip(w.accounts, balances, strict=True))
        self.credit = dict(zip(w.accounts, credits, strict=True))
        self.escrow_paused = False
        self.token_paused = False
        self.blocked: set[str] = set()
        self.all_deals: list[Deal] = []

    # -- chain access ---------------------------------------------------------------------------

    def read(self) -> tuple[list[int], list[int], int]:
        w = self.w
        return w.probe.functions.snapshot(w.token.address, w.escrow.address, w.accounts).call()

    def act(self, function: str, sender: str, *args: Any) -> tuple[bool, Any, int]:
        global steps_run
        steps_run += 1
        return self.w.send(self.w.escrow, function, sender, *args)

    def who(self, deal: Deal, role: str) -> str:
        return {"buyer": deal.terms.buyer, "seller": deal.terms.seller, "arbiter": deal.terms.arbiter}.get(
            role, self.w.stranger
        )

    # -- the model's token ----------------------------------------------------------------------

    def transferable(self, to: str) -> bool:
        return not self.token_paused and to not in self.blocked

    def pay(self, to: str, amount: int) -> None:
        if amount == 0:
            return
        if self.transferable(to):
            self.balance[to] = self.balance.get(to, 0) + amount
        else:
            self.credit[to] = self.credit.get(to, 0) + amount

    def close(self, deal: Deal, receipt: Any, outcome: int, buyer_amount: int, arbiter_fee: int) -> None:
        t = deal.terms
        fees_before = sum(deal.fee(deal.tranches[i]) for i in deal.released)
        seller_gross = t.amount - deal.paid - buyer_amount - arbiter_fee
        fee = deal.fee(seller_gross)
        self.pay(t.buyer, buyer_amount)
        self.pay(t.seller, seller_gross - fee)
        self.pay(self.w.treasury, fee)
        self.pay(t.arbiter, arbiter_fee)
        deal.status, deal.proposal = "closed", None
        deal.closes += 1
        totals = (outcome, buyer_amount, deal.paid - fees_before + seller_gross - fee, fees_before + fee, arbiter_fee)
        events = self.w.escrow.events.DealClosed().process_receipt(receipt, errors=DISCARD)
        assert [
            (
                e["args"]["key"],
                *(e["args"][k] for k in ("outcome", "buyerAmount", "sellerAmount", "platformFee", "arbiterFee")),
            )
            for e in events
        ] == [(deal.key, *totals)]
        assert sum(totals[1:]) == t.amount

    def check(self, ok: bool, expected: bool, what: str) -> bool:
        outcomes[what, ok] += 1
        assert ok == expected, f"{what}: contract {'accepted' if ok else 'refused'}, model expected the opposite"
        return ok

    # -- rules ----------------------------------------------------------------------------------

    @rule(
        target=deals,
        buyer=st.sampled_from(["buyer1", "buyer2"]),
        seller=st.sampled_from(["seller1", "seller2"]),
        arbiter=st.sampled_from(["arbiter", "arbiter", "rogue"]),
        amount=st.integers(1, 10**12),
        milestones=st.sampled_from(MILESTONES),
        platform_fee=st.sampled_from([0, 0, 37, 500, 0, 37, 501]),
        arbiter_fee=st.sampled_from([0, 200, 1000]),
        default_buyer=st.sampled_from([0, 5000, 10_000]),
        ship_days=st.sampled_from([1, 3, 5, 1, 3, -1]),
        inspection_days=st.sampled_from([1, 2]),
        dispute_days=st.sampled_from([1, 3]),
        sender_is_buyer=st.sampled_from([True] * 7 + [False]),
    )
    def open(
        self,
        buyer,
        seller,
        arbiter,
        amount,
        milestones,
        platform_fee,
        arbiter_fee,
        default_buyer,  # type: ignore[no-untyped-def]
        ship_days,
        inspection_days,
        dispute_days,
        sender_is_buyer,
    ) -> Deal:
        w = self.w
        terms = TradeTerms(
            buyer=getattr(w, buyer),
            seller=getattr(w, seller),
            token=w.token.address,
            amount=amount,
            arbiter=getattr(w, arbiter),
            ship_by=w.now() + ship_days * DAY + 1800,
            inspection_period=inspection_days * DAY,
            dispute_period=dispute_days * DAY,
            platform_fee_bps=platform_fee,
            arbiter_fee_bps=arbiter_fee,
            default_buyer_bps=default_buyer,
            milestones=milestones,
            details={"deal": next(_ids)},
        )
        deal = Deal(terms, terms.digest(w.w3.eth.chain_id, w.escrow.address))
        self.all_deals.append(deal)
        self.try_open(deal, terms.buyer if sender_is_buyer else w.stranger)
        return deal if deal.opened else multiple()

    @rule(deal=deals)
    def reopen(self, deal: Deal) -> None:
        self.try_open(deal, deal.terms.buyer)

    def try_open(self, deal: Deal, sender: str) -> None:
        w, terms = self.w, deal.terms
        seller = next(account for account in w.keys.values() if account.address == terms.seller)
        ok, _, ts = self.act("open", sender, terms.as_tuple(), terms.sign(seller, w.w3.eth.chain_id, w.escrow.address))
        expected = (
            not deal.opened
            and sender == terms.buyer
            and not self.escrow_paused
            and terms.platform_fee_bps <= 500
            and terms.ship_by > ts
            and self.transferable(terms.buyer)
        )
        if self.check(ok, expected, "open"):
            deal.opened, deal.status = True, "funded"
            self.balance[terms.buyer] -= terms.amount

    @precondition(lambda self: self.live("funded", "shipped"))
    @rule(data=st.data(), role=st.sampled_from(ROLES))
    def ship(self, data: st.DataObject, role: str) -> None:
        deal = data.draw(st.sampled_from(self.live("funded", "shipped")))
        sender = self.who(deal, role)
        ok, _, ts = self.act("markShipped", sender, deal.terms.as_tuple(), b"\x0b" * 32)
        if self.check(
            ok, sender == deal.terms.seller and deal.status == "funded" and ts <= deal.terms.ship_by, "markShipped"
        ):
            deal.status, deal.shipped_at = "shipped", ts

    @rule(deal=deals, role=st.sampled_from(ROLES))
    def release(self, deal: Deal, role: str) -> None:
        sender = self.who(deal, role)
        ok, receipt, ts = self.act("release", sender, deal.terms.as_tuple())
        open_ = deal.status in ("funded", "shipped", "disputed")
        allowed = open_ and (
            sender == deal.terms.buyer
            or (deal.status == "shipped" and ts > deal.shipped_at + deal.terms.inspection_period)
        )
        if self.check(ok, allowed, "release"):
            self.close(deal, receipt, 0, 0, 0)

    def live(self, *statuses: str) -> list[Deal]:
        return [d for d in getattr(self, "all_deals", []) if d.status in statuses]

    @precondition(lambda self: self.live("funded", "shipped"))
    @rule(data=st.data(), index=st.integers(0, 4))
    def release_milestone(self, data: st.DataObject, index: int) -> None:
        deal = data.draw(st.sampled_from(self.live("funded", "shipped")))
        ok, receipt, _ = self.act("releaseMilestone", deal.terms.buyer, deal.terms.as_tuple(), index)
        count = len(deal.tranches)
        allowed = deal.status in ("funded", "shipped") and index < count and index not in deal.released
        if not self.check(ok, allowed, "releaseMilestone"):
            return
        if len(deal.released) + 1 == count:
            self.close(deal, receipt, 0, 0, 0)
            deal.released.add(index)
            return
        gross = deal.tranches[index]
        self.pay(deal.terms.seller, gross - deal.fee(gross))
        self.pay(self.w.treasury, deal.fee(gross))
        deal.released.add(index)

    @rule(deal=deals, role=st.sampled_from(ROLES))
    def refund(self, deal: Deal, role: str) -> None:
        sender = self.who(deal, role)
        ok, receipt, ts = self.act("refund", sender, deal.terms.as_tuple())
        open_ = deal.status in ("funded", "shipped", "disputed")
        allowed = open_ and (sender == deal.terms.seller or (deal.status == "funded" and ts > deal.terms.ship_by))
        if self.check(ok, allowed, "refund"):
            self.close(deal, receipt, 1, deal.remaining, 0)

    @precondition(lambda self: self.live("funded", "shipped"))
    @rule(data=st.data(), role=st.sampled_from(ROLES))
    def dispute(self, data: st.DataObject, role: str) -> None:
        deal = data.draw(st.sampled_from(self.live("funded", "shipped")))
        sender = self.who(deal, role)
        ok, _, ts = self.act("dispute", sender, deal.terms.as_tuple(), b"\x0e" * 32)
        party = sender in (deal.terms.buyer, deal.terms.seller)
        in_time = deal.status == "funded" or (
            deal.status == "shipped" and ts <= deal.shipped_at + deal.terms.inspection_period
        )
        if self.check(ok, party and in_time, "dispute"):
            deal.status, deal.disputed_at = "disputed", ts

    @precondition(lambda self: self.live("disputed"))
    @rule(data=st.data(), role=st.sampled_from(["arbiter"] * 4 + ["buyer"]), share=st.integers(0, BPS + 100))
    def rule_dispute(self, data: st.DataObject, role: str, share: int) -> None:
        disputed = self.live("disputed")
        now = self.w.now()
        timely = [
            d for d in disputed if d.terms.arbiter == self.w.arbiter and now < d.disputed_at + d.terms.dispute_period
        ]
        deal = data.draw(st.sampled_from(timely if timely and data.draw(st.integers(0, 3)) else disputed))
        sender = self.who(deal, role)
        remaining = deal.remaining
        arbiter_fee = remaining * deal.terms.arbiter_fee_bps // BPS
        buyer_amount = (remaining - arbiter_fee) * share // BPS
        ok, receipt, ts = self.act("rule", sender, deal.terms.as_tuple(), buyer_amount)
        allowed = (
            sender == deal.terms.arbiter
            and sender == self.w.arbiter  # the rogue arbiter has no ARBITER_ROLE
            and deal.status == "disputed"
            and ts <= deal.disputed_at + deal.terms.dispute_period
            and buyer_amount <= remaining - arbiter_fee
        )
        if self.check(ok, allowed, "rule"):
            self.close(deal, receipt, 2, buyer_amount, arbiter_fee)

    @precondition(lambda self: self.live("disputed"))
    @rule(data=st.data(), wait=st.sampled_from([True, False, False]))
    def resolve_default(self, data: st.DataObject, wait: bool) -> None:
        """Anyone applies the default split; a third of the time after waiting out the arbiter's period."""
        deal = data.draw(st.sampled_from(self.live("disputed")))
        deadline = deal.disputed_at + deal.terms.dispute_period
        if wait and self.w.now() <= deadline:
            self.w.tester.time_travel(deadline + 3600)
            self.w.tester.mine_blocks(1)
        ok, receipt, ts = self.act("resolveDefault", self.w.stranger, deal.terms.as_tuple())
        allowed = deal.status == "disputed" and ts > deal.disputed_at + deal.terms.dispute_period
        if self.check(ok, allowed, "resolveDefault"):
            self.close(deal, receipt, 3, deal.remaining * deal.terms.default_buyer_bps // BPS, 0)

    @rule(deal=deals, role=st.sampled_from(ROLES), share=st.integers(0, BPS + 100))
    def propose(self, deal: Deal, role: str, share: int) -> None:
        sender = self.who(deal, role)
        amount = deal.remaining * share // BPS if deal.remaining else share
        ok, _, _ = self.act("proposeSettlement", sender, deal.terms.as_tuple(), amount)
        party = sender in (deal.terms.buyer, deal.terms.seller)
        allowed = party and deal.status in ("funded", "shipped", "disputed") and amount <= deal.remaining
        if self.check(ok, allowed, "proposeSettlement"):
            deal.proposal = (sender, amount)

    @precondition(lambda self: [d for d in self.live("funded", "shipped", "disputed") if d.proposal])
    @rule(
        data=st.data(),
        role=st.sampled_from(["counterpart", "counterpart", "proposer", "stranger"]),
        use_proposal=st.sampled_from([True, True, True, False]),
        other=st.integers(0, 10**12),
    )
    def accept(self, data: st.DataObject, role: str, use_proposal: bool, other: int) -> None:
        deal = data.draw(st.sampled_from([d for d in self.live("funded", "shipped", "disputed") if d.proposal]))
        proposer = deal.proposal[0]
        addressee = deal.terms.seller if proposer == deal.terms.buyer else deal.terms.buyer
        sender = {"counterpart": addressee, "proposer": proposer}.get(role, self.w.stranger)
        amount = deal.proposal[1] if use_proposal and deal.proposal else other
        ok, receipt, _ = self.act("acceptSettlement", sender, deal.terms.as_tuple(), amount)
        counterpart = {deal.terms.buyer: deal.terms.seller, deal.terms.seller: deal.terms.buyer}.get(sender)
        allowed = (
            counterpart is not None
            and deal.status in ("funded", "shipped", "disputed")
            and deal.proposal == (counterpart, amount)
            and amount <= deal.remaining
        )
        if self.check(ok, allowed, "acceptSettlement"):
            self.close(deal, receipt, 4, amount, 0)

    @precondition(lambda self: any(getattr(self, "credit", {}).values()))
    @rule(
        account=st.sampled_from(["buyer1", "seller1", "seller2", "arbiter", "treasury"]),
        to=st.sampled_from(["same", "same", "stranger"]),
    )
    def claim(self, account: str, to: str) -> None:
        w = self.w
        owner = getattr(w, account)
        recipient = owner if to == "same" else w.stranger
        ok, _, _ = self.act("claim", owner, w.token.address, recipient)
        amount = self.credit.get(owner, 0)
        if self.check(ok, amount > 0 and self.transferable(recipient), "claim"):
            self.credit[owner] = 0
            self.balance[recipient] += amount

    @rule(seconds=st.sampled_from([3600, DAY, 2 * DAY, 4 * DAY, 8 * DAY]))
    def wait(self, seconds: int) -> None:
        global steps_run
        steps_run += 1
        self.w.tester.time_travel(self.w.now() + seconds)
        self.w.tester.mine_blocks(1)

    @precondition(lambda self: self.escrow_paused or len(self.all_deals) % 4 == 3)
    @rule(dice=st.integers(0, 9))
    def pause_control(self, dice: int) -> None:
        """Pauses are short: the next call lifts them. Strangers may do neither."""
        if self.escrow_paused or dice < 2:
            function = "unpause" if self.escrow_paused else "pause"
            ok, _, _ = self.act(function, self.w.admin)
            if self.check(ok, True, function):
                self.escrow_paused = not self.escrow_paused
        else:
            ok, _, _ = self.act("pause", self.w.stranger)
            self.check(ok, False, "pause by a stranger")

    @rule(account=st.sampled_from(["buyer1", "seller1", "seller2", "arbiter", "treasury"]))
    def block(self, account: str) -> None:
        """The token blocks an account, or lifts the block: blocks last until the next call for it."""
        global steps_run
        steps_run += 1
        address = getattr(self.w, account)
        blocked = address not in self.blocked
        assert self.w.send(self.w.token, "setBlocked", self.w.admin, address, blocked)[0]
        (self.blocked.add if blocked else self.blocked.discard)(address)

    @rule(dice=st.integers(0, 9), return_false=st.booleans())
    def token_mode(self, dice: int, return_false: bool) -> None:
        """The token pauses (briefly) and switches between reverting and returning false on failure."""
        global steps_run
        steps_run += 1
        paused = not self.token_paused and dice < 3
        assert self.w.send(self.w.token, "configure", self.w.admin, 0, paused, False, return_false)[0]
        self.token_paused = paused

    # -- invariants -----------------------------------------------------------------------------

    @invariant()
    def balances_and_credits_match(self) -> None:
        if not hasattr(self, "w"):
            return
        balances, credits, escrow_balance = self.read()
        for account, on_chain, credit in zip(self.w.accounts, balances, credits, strict=True):
            assert on_chain == self.balance[account], f"balance of {account}"
            assert credit == self.credit.get(account, 0), f"credit of {account}"
        held = sum(d.remaining for d in self.all_deals) + sum(self.credit.values())
        assert escrow_balance == held, "escrow balance != open obligations + unclaimed credits"

    @invariant()
    def terminal_exactly_once(self) -> None:
        for deal in getattr(self, "all_deals", []):
            assert deal.closes == (1 if deal.status == "closed" else 0)


def test_random_lifecycles_keep_every_invariant() -> None:
    """At least MIN_STEPS steps in total, in runs of up to STEPS_PER_RUN steps."""
    config = settings(
        max_examples=40,
        stateful_step_count=STEPS_PER_RUN,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=False,  # Hypothesis' CI profile would replay the same runs; every run explores anew
        database=None,
    )
    closing = ("release", "refund", "rule", "resolveDefault", "acceptSettlement", "releaseMilestone")
    extra_runs = 0
    while steps_run < MIN_STEPS or (not all(outcomes[name, True] for name in closing) and extra_runs < 5):
        extra_runs += steps_run >= MIN_STEPS
        run_state_machine_as_test(EscrowMachine, settings=config)
    print(f"stateful escrow steps run: {steps_run}")
    for (function, accepted), count in sorted(outcomes.items()):
        print(f"  {function:<18} {'accepted' if accepted else 'refused':<8} {count}")
    missing = [name for name in closing if not outcomes[name, True]]
    assert not missing, f"ways of closing a deal never exercised: {missing}"
    assert steps_run >= MIN_STEPS
