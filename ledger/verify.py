"""Independent verification of a settlement proof bundle against any RPC endpoint.

Uses only the bundle, the committed contract artifacts and the chain: nothing from our database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_utils import event_abi_to_log_topic
from web3 import Web3
from web3.contract import Contract

from ledger.bundle import INCLUSION_SCHEMA, INCLUSION_SHAPE, SCHEMA, MalformedBundle, check_shape
from ledger.contracts import ESCROW, REGISTRY, artifact, bind
from ledger.manifest import Manifest
from ledger.merkle import Outcome, SettlementTotals, settlement_leaf, verify_proof
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
ERC1271 = [
    {
        "type": "function",
        "name": "isValidSignature",
        "stateMutability": "view",
        "inputs": [{"name": "hash", "type": "bytes32"}, {"name": "signature", "type": "bytes"}],
        "outputs": [{"name": "", "type": "bytes4"}],
    }
]
ERC1271_MAGIC = bytes.fromhex("1626ba7e")
CLOSED = 4  # TradeEscrow.Status.Closed


@dataclass
class Check:
    """One verification step."""

    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    """All checks of one bundle. `ok`: every check passed (the bundle is consistent with the chain);
    `verified`: also pinned to the platform's deployment manifest, so the settlement is the platform's."""

    checks: list[Check] = field(default_factory=list)
    pinned: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def verified(self) -> bool:
        return self.ok and self.pinned

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, bool(ok), detail))
        return bool(ok)

    def as_json(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "consistent": self.ok,
            "pinned": self.pinned,
            "checks": [c.__dict__ for c in self.checks],
        }


def events_of(w3: Web3, receipt: Any, address: str, abi: dict[str, Any]) -> list[dict[str, Any]]:
    """Decoded `abi` events that `address` emitted in `receipt` (other logs are ignored)."""
    topic = event_abi_to_log_topic(abi)
    event = w3.eth.contract(abi=[abi]).events[abi["name"]]()
    return [
        dict(event.process_log(entry)["args"])
        for entry in receipt["logs"]
        if Web3.to_checksum_address(entry["address"]) == address and bytes(entry["topics"][0]) == topic
    ]


def event_abi(contract: str, event: str) -> dict[str, Any]:
    """The ABI entry of `event` in a committed artifact."""
    return next(item for item in artifact(contract).abi if item.get("type") == "event" and item["name"] == event)


def totals_of(settlement: dict[str, Any]) -> SettlementTotals:
    """Settlement totals from a bundle's `settlement` object."""
    return SettlementTotals(
        outcome=Outcome[settlement["outcome"].upper()],
        buyer_amount=int(settlement["buyer_amount"]),
        seller_amount=int(settlement["seller_amount"]),
        platform_fee=int(settlement["platform_fee"]),
        arbiter_fee=int(settlement["arbiter_fee"]),
    )


class _Verifier:
    def __init__(self, bundle: dict[str, Any], w3: Web3, manifest: Manifest | None) -> None:
        self.bundle = bundle
        self.w3 = w3
        self.manifest = manifest
        self.report = Report(pinned=manifest is not None)

    def receipt(self, label: str) -> Any | None:
        tx_hash = self.bundle["transactions"].get(label)
        try:
            receipt = self.w3.eth.get_transaction_receipt(tx_hash)
        except Exception as exc:
            self.report.add(f"{label} transaction", False, f"{tx_hash}: not found ({exc.__class__.__name__})")
            return None
        ok = receipt["status"] == 1
        if not self.report.add(f"{label} transaction", ok, f"{tx_hash} in block {receipt['blockNumber']}"):
            return None
        return receipt

    def run(self) -> Report:
        b, r = self.bundle, self.report
        if not r.add("schema", b.get("schema") == SCHEMA, str(b.get("schema"))):
            return r
        try:
            check_shape(b)
        except MalformedBundle as exc:
            r.add("bundle", False, str(exc))
            return r
        chain_id = self.w3.eth.chain_id
        if not r.add("chain", chain_id == b["chain_id"], f"node chain id {chain_id}, bundle {b['chain_id']}"):
            return r
        addresses = b["contracts"]
        if self.manifest:
            self.check_deployment(self.manifest, chain_id, addresses)
        for name in (ESCROW, REGISTRY):
            code = bytes(self.w3.eth.get_code(Web3.to_checksum_address(addresses[name])))
            r.add(f"{name} bytecode", artifact(name).runtime_matches(code), f"{addresses[name]} vs contracts/build")
        escrow = bind(self.w3, ESCROW, addresses[ESCROW])
        registry = bind(self.w3, REGISTRY, addresses[REGISTRY])

        terms = TradeTerms.from_json(b["terms"])
        key = terms.digest(chain_id, escrow.address)
        r.add("terms digest", "0x" + key.hex() == b["terms_digest"], "recomputed from the terms and details")
        on_chain = escrow.functions.termsDigest(terms.as_tuple()).call()
        r.add("terms digest on chain", bytes(on_chain) == key, "TradeEscrow.termsDigest agrees")
        r.add("token", terms.token == Web3.to_checksum_address(addresses["token"]), f"terms pay in {terms.token}")
        for party in ("seller", "buyer"):
            self.check_signature(party, terms, key)

        totals = totals_of(b["settlement"])
        r.add("amounts", totals.total == terms.amount, "payouts and fees add up to the deposit")
        self.check_open(escrow, terms, key)
        if b["transactions"].get("ship"):
            receipt = self.receipt("ship")
            if receipt:
                shipped = events_of(self.w3, receipt, escrow.address, event_abi(ESCROW, "DealShipped"))
                r.add("shipped event", any(e["key"] == key for e in shipped), "DealShipped")
        self.check_close(escrow, key, totals)
        self.check_anchor(registry, terms, key, totals)
        return r

    def check_deployment(self, manifest: Manifest, chain_id: int, addresses: dict[str, str]) -> None:
        """The bundle's chain, contracts and token are the ones the platform publishes."""
        differences = []
        if chain_id != manifest.chain_id:
            differences.append(f"chain {chain_id}, not the platform's {manifest.chain_id}")
        for label, name, expected in (
            ("escrow", ESCROW, manifest.escrow),
            ("registry", REGISTRY, manifest.registry),
            ("token", "token", manifest.token),
        ):
            actual = Web3.to_checksum_address(addresses[name])
            if actual != expected:
                differences.append(f"{label} {actual} is not the platform's {expected}")
        self.report.add(
            "deployment",
            not differences,
            "; ".join(differences) or f"chain {chain_id}, escrow, registry and token are the platform's",
        )

    def check_anchorer(self, manifest: Manifest, registry: Contract, receipt: Any) -> None:
        """The anchoring transaction was sent straight to the registry by a listed anchorer holding its role."""
        tx = self.w3.eth.get_transaction(receipt["transactionHash"])
        sender = Web3.to_checksum_address(tx["from"])
        role = registry.functions.ANCHORER_ROLE().call()
        holds = registry.functions.hasRole(role, sender).call(block_identifier=receipt["blockNumber"])
        if sender not in manifest.anchorers:
            problem = f"anchored by {sender}, not one of the platform's anchorers ({', '.join(manifest.anchorers)})"
        elif tx["to"] is None or Web3.to_checksum_address(tx["to"]) != registry.address:
            problem = f"the anchoring transaction was sent to {tx['to']}, not to the registry"
        elif not holds:
            problem = f"anchored by {sender}, which did not hold ANCHORER_ROLE in the registry"
        else:
            problem = ""
        self.report.add("deployment", not problem, problem or f"anchored by {sender}, a listed anchorer")

    def check_signature(self, party: str, terms: TradeTerms, key: bytes) -> None:
        signature = bytes.fromhex(self.bundle["signatures"][party].removeprefix("0x"))
        expected = getattr(terms, party)
        signer = terms.signer_of(signature, self.bundle["chain_id"], self.bundle["contracts"][ESCROW])
        if signer != expected and self.w3.eth.get_code(expected):
            wallet = self.w3.eth.contract(address=expected, abi=ERC1271)
            if bytes(wallet.functions.isValidSignature(key, signature).call()) == ERC1271_MAGIC:
                signer = expected  # a contract wallet (ERC-1271) accepts the signature
        self.report.add(f"{party} signature", signer == expected, f"signed by {signer}")

    def check_open(self, escrow: Contract, terms: TradeTerms, key: bytes) -> None:
        receipt = self.receipt("open")
        if not receipt:
            return
        opened = events_of(self.w3, receipt, escrow.address, event_abi(ESCROW, "DealOpened"))
        self.report.add(
            "opened event",
            any(
                e["key"] == key
                and e["buyer"] == terms.buyer
                and e["seller"] == terms.seller
                and e["token"] == terms.token
                and e["amount"] == terms.amount
                for e in opened
            ),
            f"DealOpened for {terms.amount} of {terms.token}",
        )
        transfers = events_of(self.w3, receipt, terms.token, ERC20_TRANSFER)
        self.report.add(
            "deposit transfer",
            any(
                t["from"] == terms.buyer and t["to"] == escrow.address and t["value"] == terms.amount for t in transfers
            ),
            f"{terms.amount} from {terms.buyer} to the escrow",
        )

    def check_close(self, escrow: Contract, key: bytes, totals: SettlementTotals) -> None:
        receipt = self.receipt("close")
        if receipt:
            closed = events_of(self.w3, receipt, escrow.address, event_abi(ESCROW, "DealClosed"))
            expected = (
                int(totals.outcome),
                totals.buyer_amount,
                totals.seller_amount,
                totals.platform_fee,
                totals.arbiter_fee,
            )
            found = [
                (e["outcome"], e["buyerAmount"], e["sellerAmount"], e["platformFee"], e["arbiterFee"])
                for e in closed
                if e["key"] == key
            ]
            self.report.add(
                "closed event", expected in found, f"DealClosed {totals.outcome.name.lower()}: {expected[1:]}"
            )
        status = escrow.functions.dealState(key).call()[0]
        self.report.add("deal status on chain", status == CLOSED, f"TradeEscrow.dealState = {status}")

    def check_anchor(self, registry: Contract, terms: TradeTerms, key: bytes, totals: SettlementTotals) -> None:
        r, m = self.report, self.bundle["merkle"]
        leaf = settlement_leaf(key, terms.token, totals)
        r.add("leaf", "0x" + leaf.hex() == m["leaf"], "recomputed from terms and settlement")
        contract_leaf = registry.functions.settlementLeaf(
            key,
            terms.token,
            totals.buyer_amount,
            totals.seller_amount,
            totals.platform_fee,
            totals.arbiter_fee,
            int(totals.outcome),
        ).call()
        r.add("leaf on chain", bytes(contract_leaf) == leaf, "SettlementRegistry.settlementLeaf agrees")
        root = bytes.fromhex(m["root"].removeprefix("0x"))
        proof = [bytes.fromhex(p.removeprefix("0x")) for p in m["proof"]]
        r.add("merkle proof", verify_proof(proof, root, leaf), f"{len(proof)} siblings to {m['root']}")
        receipt = self.receipt("anchor")
        if receipt:
            anchored = events_of(self.w3, receipt, registry.address, event_abi(REGISTRY, "RootAnchored"))
            r.add(
                "anchored event",
                any(e["root"] == root and e["batchId"] == m["batch_id"] for e in anchored),
                f"RootAnchored batch {m['batch_id']}",
            )
            if self.manifest:
                self.check_anchorer(self.manifest, registry, receipt)
        elif self.manifest:
            r.add("deployment", False, "no anchoring transaction to check the anchorer of")
        r.add(
            "proof on chain",
            registry.functions.verify(root, proof, leaf).call(),
            "SettlementRegistry.verify(root, proof, leaf): anchored, not revoked, proof valid",
        )


def verify_bundle(bundle: dict[str, Any], w3: Web3, manifest: Manifest | None = None) -> Report:
    """Check a proof bundle against the chain behind `w3`; with `manifest`, also that its chain, contracts,
    token and anchorer are the platform's. Malformed bundles give a failed report."""
    try:
        return _Verifier(bundle, w3, manifest).run()
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        report = Report(pinned=manifest is not None)
        report.add("bundle", False, f"malformed bundle: {exc.__class__.__name__}: {exc}")
        return report


def verify_inclusion(document: dict[str, Any], w3: Web3, manifest: Manifest | None = None) -> Report:
    """Check a public inclusion proof against the chain behind `w3`: the leaf leads to a root that the
    registry anchored in the named transaction, and the registry still vouches for it; with `manifest`,
    also that it is the platform's registry and anchorer. It proves that a settlement was anchored, not
    its terms (the parties' full bundle does that)."""
    anchor = document.get("anchor") if isinstance(document, dict) else None
    tx_hash = anchor.get("transaction") if isinstance(anchor, dict) else None
    checker = _Verifier({"transactions": {"anchor": tx_hash}}, w3, manifest)
    r = checker.report
    if not r.add("schema", document.get("schema") == INCLUSION_SCHEMA, str(document.get("schema"))):
        return r
    try:
        check_shape(document, INCLUSION_SHAPE)
    except MalformedBundle as exc:
        r.add("proof file", False, str(exc))
        return r
    chain_id = w3.eth.chain_id
    if not r.add("chain", chain_id == document["chain_id"], f"node chain id {chain_id}, proof {document['chain_id']}"):
        return r
    address = Web3.to_checksum_address(document["registry"])
    if manifest:
        differences = [f"chain {chain_id}, not the platform's {manifest.chain_id}"] * (chain_id != manifest.chain_id)
        differences += [f"registry {address} is not the platform's {manifest.registry}"] * (
            address != manifest.registry
        )
        r.add("deployment", not differences, "; ".join(differences) or "chain and registry are the platform's")
    code = bytes(w3.eth.get_code(address))
    r.add(f"{REGISTRY} bytecode", artifact(REGISTRY).runtime_matches(code), f"{address} vs contracts/build")
    registry = bind(w3, REGISTRY, address)
    m = document["merkle"]
    leaf, root = bytes.fromhex(m["leaf"].removeprefix("0x")), bytes.fromhex(m["root"].removeprefix("0x"))
    proof = [bytes.fromhex(p.removeprefix("0x")) for p in m["proof"]]
    r.add("merkle proof", verify_proof(proof, root, leaf), f"{len(proof)} siblings to {m['root']}")
    receipt = checker.receipt("anchor")
    if receipt:
        r.add("anchor block", receipt["blockNumber"] == anchor["block"], f"block {receipt['blockNumber']}")
        anchored = events_of(w3, receipt, registry.address, event_abi(REGISTRY, "RootAnchored"))
        r.add(
            "anchored event",
            any(e["root"] == root and e["batchId"] == m["batch_id"] for e in anchored),
            f"RootAnchored batch {m['batch_id']}",
        )
        if manifest:
            checker.check_anchorer(manifest, registry, receipt)
    r.add(
        "proof on chain",
        registry.functions.verify(root, proof, leaf).call(),
        "SettlementRegistry.verify(root, proof, leaf): anchored, not revoked, proof valid",
    )
    return r
