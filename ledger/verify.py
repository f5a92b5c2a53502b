"""Independent verification of a settlement proof bundle against any RPC endpoint.

Uses only the bundle, the committed contract artifacts and the chain: nothing from our database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_utils import event_abi_to_log_topic
from web3 import Web3
from web3.contract import Contract

from ledger.bundle import SCHEMA
from ledger.contracts import ESCROW, REGISTRY, artifact, bind
from ledger.merkle import Outcome, settlement_leaf, verify_proof
from ledger.terms import TradeTerms

ERC20_TRANSFER = {
    "type": "event",
    "name": "Transfer",
    "anonymous": False,
    "inputs": [
        {"name": "from", "type": "address", "indexed": True},
        {"name": "to", "type": "address", "indexed": True},
        {"name": "value", "type": "uint256", "indexed": False},
    ],
}
_STATUS = {Outcome.RELEASED: 3, Outcome.REFUNDED: 4}  # TradeEscrow.Status


@dataclass
class Check:
    """One verification step."""

    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    """All checks of one bundle; `ok` only if every check passed."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, bool(ok), detail))
        return bool(ok)

    def as_json(self) -> dict[str, Any]:
        return {"verified": self.ok, "checks": [c.__dict__ for c in self.checks]}


def _events(w3: Web3, receipt: Any, contract: Contract, abi: dict[str, Any]) -> list[dict[str, Any]]:
    topic = event_abi_to_log_topic(abi)
    event = w3.eth.contract(abi=[abi]).events[abi["name"]]()
    return [
        dict(event.process_log(entry)["args"])
        for entry in receipt["logs"]
        if Web3.to_checksum_address(entry["address"]) == contract.address and bytes(entry["topics"][0]) == topic
    ]


def _event_abi(name: str, event: str) -> dict[str, Any]:
    return next(item for item in artifact(name).abi if item.get("type") == "event" and item["name"] == event)


class _Verifier:
    def __init__(self, bundle: dict[str, Any], w3: Web3) -> None:
        self.bundle = bundle
        self.w3 = w3
        self.report = Report()

    def receipt(self, label: str) -> Any | None:
        tx_hash = self.bundle["transactions"].get(label)
        try:
            receipt = self.w3.eth.get_transaction_receipt(tx_hash)
        except Exception as exc:
            self.report.add(f"{label} transaction", False, f"{tx_hash}: not found ({exc.__class__.__name__})")
            return None
        if not self.report.add(
            f"{label} transaction", receipt["status"] == 1, f"{tx_hash} in block {receipt['blockNumber']}"
        ):
            return None
        return receipt

    def run(self) -> Report:
        b, r = self.bundle, self.report
        if not r.add("schema", b.get("schema") == SCHEMA, str(b.get("schema"))):
            return r
        chain_id = self.w3.eth.chain_id
        if not r.add("chain", chain_id == b["chain_id"], f"node chain id {chain_id}, bundle {b['chain_id']}"):
            return r
        addresses = b["contracts"]
        for name in (ESCROW, REGISTRY):
            code = bytes(self.w3.eth.get_code(Web3.to_checksum_address(addresses[name])))
            r.add(
                f"{name} bytecode",
                artifact(name).runtime_matches(code),
                f"{addresses[name]} vs contracts/build",
            )
        escrow = bind(self.w3, ESCROW, addresses[ESCROW])
        registry = bind(self.w3, REGISTRY, addresses[REGISTRY])
        token = self.w3.eth.contract(address=Web3.to_checksum_address(addresses["token"]), abi=[ERC20_TRANSFER])

        terms = TradeTerms.from_json(b["terms"])
        digest = terms.digest(chain_id, escrow.address)
        r.add("terms digest", "0x" + digest.hex() == b["terms_digest"], "recomputed from the terms and details")
        on_chain = escrow.functions.termsDigest(terms.as_tuple()).call()
        r.add("terms digest on chain", bytes(on_chain) == digest, "TradeEscrow.termsDigest agrees")
        r.add("token", terms.token == token.address, f"terms pay in {terms.token}")
        for party in ("seller", "buyer"):
            signature = bytes.fromhex(b["signatures"][party].removeprefix("0x"))
            signer = terms.signer_of(signature, chain_id, escrow.address)
            r.add(f"{party} signature", signer == getattr(terms, party), f"signed by {signer}")

        self.check_open(escrow, token, terms, digest)
        outcome = Outcome[b["settlement"]["outcome"].upper()]
        seller_amount = int(b["settlement"]["seller_amount"])
        buyer_amount = int(b["settlement"]["buyer_amount"])
        r.add("amounts", seller_amount + buyer_amount == terms.amount, "payouts add up to the deposit")
        if b["transactions"].get("ship"):
            receipt = self.receipt("ship")
            if receipt:
                shipped = _events(self.w3, receipt, escrow, _event_abi(ESCROW, "DealShipped"))
                r.add(
                    "shipped event",
                    any(e["dealId"] == terms.deal_id and e["seller"] == terms.seller for e in shipped),
                    "DealShipped by the seller",
                )
        self.check_close(escrow, token, terms, outcome, seller_amount, buyer_amount)
        self.check_anchor(registry, terms, digest, outcome, seller_amount, buyer_amount)
        return r

    def check_open(self, escrow: Contract, token: Contract, terms: TradeTerms, digest: bytes) -> None:
        receipt = self.receipt("open")
        if not receipt:
            return
        opened = _events(self.w3, receipt, escrow, _event_abi(ESCROW, "DealOpened"))
        self.report.add(
            "opened event",
            any(
                e["dealId"] == terms.deal_id
                and e["buyer"] == terms.buyer
                and e["seller"] == terms.seller
                and e["token"] == terms.token
                and e["amount"] == terms.amount
                and e["termsDigest"] == digest
                for e in opened
            ),
            f"DealOpened for {terms.amount} of {terms.token}",
        )
        self._transfer(receipt, token, terms.buyer, escrow.address, terms.amount, "deposit transfer")

    def check_close(
        self,
        escrow: Contract,
        token: Contract,
        terms: TradeTerms,
        outcome: Outcome,
        seller_amount: int,
        buyer_amount: int,
    ) -> None:
        receipt = self.receipt("close")
        if not receipt:
            return
        if outcome is Outcome.RELEASED:
            found = _events(self.w3, receipt, escrow, _event_abi(ESCROW, "DealReleased"))
            match: Callable[[dict[str, Any]], bool] = lambda e: e["seller"] == terms.seller  # noqa: E731
            payee, amount = terms.seller, seller_amount
        else:
            found = _events(self.w3, receipt, escrow, _event_abi(ESCROW, "DealRefunded"))
            match = lambda e: e["buyer"] == terms.buyer  # noqa: E731
            payee, amount = terms.buyer, buyer_amount
        self.report.add(
            f"{outcome.name.lower()} event",
            any(e["dealId"] == terms.deal_id and e["amount"] == amount and match(e) for e in found),
            f"{amount} to {payee}",
        )
        self._transfer(receipt, token, escrow.address, payee, amount, "payout transfer")
        status, _ = escrow.functions.dealStatus(terms.deal_id).call()
        self.report.add("deal status on chain", status == _STATUS[outcome], f"TradeEscrow.dealStatus = {status}")

    def check_anchor(
        self,
        registry: Contract,
        terms: TradeTerms,
        digest: bytes,
        outcome: Outcome,
        seller_amount: int,
        buyer_amount: int,
    ) -> None:
        r, m = self.report, self.bundle["merkle"]
        leaf = settlement_leaf(terms.deal_id, digest, terms.token, seller_amount, buyer_amount, outcome)
        r.add("leaf", "0x" + leaf.hex() == m["leaf"], "recomputed from terms and settlement")
        contract_leaf = registry.functions.settlementLeaf(
            terms.deal_id, digest, terms.token, seller_amount, buyer_amount, int(outcome)
        ).call()
        r.add("leaf on chain", bytes(contract_leaf) == leaf, "SettlementRegistry.settlementLeaf agrees")
        root = bytes.fromhex(m["root"].removeprefix("0x"))
        proof = [bytes.fromhex(p.removeprefix("0x")) for p in m["proof"]]
        r.add("merkle proof", verify_proof(proof, root, leaf), f"{len(proof)} siblings to {m['root']}")
        receipt = self.receipt("anchor")
        if receipt:
            anchored = _events(self.w3, receipt, registry, _event_abi(REGISTRY, "RootAnchored"))
            r.add(
                "anchored event",
                any(e["root"] == root and e["batchId"] == m["batch_id"] for e in anchored),
                f"RootAnchored batch {m['batch_id']}",
            )
        r.add(
            "proof on chain",
            registry.functions.verify(root, proof, leaf).call(),
            "SettlementRegistry.verify(root, proof, leaf) is true",
        )

    def _transfer(self, receipt: Any, token: Contract, sender: str, to: str, amount: int, label: str) -> None:
        transfers = _events(self.w3, receipt, token, ERC20_TRANSFER)
        self.report.add(
            label,
            any(t["from"] == sender and t["to"] == to and t["value"] == amount for t in transfers),
            f"{amount} from {sender} to {to}",
        )


def verify_bundle(bundle: dict[str, Any], w3: Web3) -> Report:
    """Check a proof bundle against the chain behind `w3`. Malformed bundles give a failed report."""
    try:
        return _Verifier(bundle, w3).run()
    except (KeyError, TypeError, ValueError) as exc:
        report = Report()
        report.add("bundle", False, f"malformed bundle: {exc.__class__.__name__}: {exc}")
        return report
