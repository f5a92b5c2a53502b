"""`tradewind verify` as an auditor runs it: pinned to the platform's deployment, and robust to bad files."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import Web3
from web3.logs import DISCARD

from ledger.bundle import INCLUSION_SCHEMA, Settlement, build_bundle
from ledger.chain import connect
from ledger.deployment import Contracts
from ledger.merkle import Outcome, SettlementTotals, merkle_root, settlement_leaf
from ledger.safejson import MAX_BYTES
from ledger.sandbox import Sandbox
from tests.conftest import ROOT, _free_port
from tests.helpers import TRADEWIND, run_demo


@dataclass(frozen=True)
class Files:
    """The platform's demo output, its bundle alone, its manifest, and an attacker's bundle."""

    demo: Path
    bundle: Path
    manifest: Path
    forged: Path


def forge_on_own_contracts(rpc_url: str, batch_id: int) -> dict:  # type: ignore[type-arg]
    """H1: deploy the committed artifacts from an attacker's key, open, release and anchor a deal there,
    and build its bundle with the platform's own code. Everything in it is consistent with the chain."""
    s = Sandbox(connect(rpc_url))  # TradeEscrow, SettlementRegistry and a stablecoin, all the attacker's
    terms = s.terms(amount=25_000_000 * 10**6)
    opened = s.open(terms)
    closed = s.send(s.buyer, s.escrow, "release", terms.as_tuple())
    (event,) = s.escrow.events.DealClosed().process_receipt(closed, errors=DISCARD)
    totals = SettlementTotals(
        outcome=Outcome(event["args"]["outcome"]),
        buyer_amount=event["args"]["buyerAmount"],
        seller_amount=event["args"]["sellerAmount"],
        platform_fee=event["args"]["platformFee"],
        arbiter_fee=event["args"]["arbiterFee"],
    )
    leaf = settlement_leaf(s.key(terms), terms.token, totals)
    root = merkle_root([leaf])
    anchored = s.send(s.admin, s.registry, "anchor", root, batch_id, 1, 1)
    return build_bundle(
        contracts=Contracts(s.chain_id, s.escrow.address, s.registry.address, s.token.address, 0),
        terms=terms,
        seller_signature=s.sign(terms),
        buyer_signature=terms.sign(s.buyer, s.chain_id, s.escrow.address),
        settlement=Settlement(totals, opened["transactionHash"].to_0x_hex(), closed["transactionHash"].to_0x_hex()),
        leaf=leaf,
        proof=[],
        root=root,
        batch_id=batch_id,
        leaf_count=1,
        anchor_tx=anchored["transactionHash"].to_0x_hex(),
    )


@pytest.fixture(scope="module")
def files(anvil_url: str, tmp_path_factory: pytest.TempPathFactory) -> Files:
    folder = tmp_path_factory.mktemp("verify")
    out = run_demo("--rpc", anvil_url)
    paths = Files(folder / "demo.json", folder / "bundle.json", folder / "tradewind.json", folder / "forged.json")
    paths.demo.write_text(json.dumps(out))
    paths.bundle.write_text(json.dumps(out["bundle"]))
    paths.manifest.write_text(json.dumps(out["deployment"]))
    paths.forged.write_text(json.dumps(forge_on_own_contracts(anvil_url, out["bundle"]["merkle"]["batch_id"])))
    return paths


def verify(*args: str | Path, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TRADEWIND, "verify", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=timeout
    )


def test_the_platforms_bundle_verifies_pinned_to_its_deployment(files: Files, anvil_url: str) -> None:
    result = verify(files.bundle, "--rpc", anvil_url, "--deployment", files.manifest)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("VERIFIED")
    assert "[ok] deployment: chain 31337, escrow, registry and token are the platform's" in result.stdout
    assert "[ok] deployment: anchored by " in result.stdout


def test_a_forgery_on_the_attackers_own_copies_of_the_contracts_is_refused(files: Files, anvil_url: str) -> None:
    manifest = json.loads(files.manifest.read_text())
    result = verify(files.forged, "--rpc", anvil_url, "--deployment", files.manifest)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.strip().endswith("NOT VERIFIED")
    failed = [line for line in result.stdout.splitlines() if line.startswith("[FAIL]")]
    assert all(line.startswith("[FAIL] deployment: ") for line in failed), failed  # every other check holds
    assert f"is not the platform's {manifest['escrow']}" in failed[0]
    assert f"is not the platform's {manifest['registry']}" in failed[0]
    assert "token" in failed[0] and "not one of the platform's anchorers" in failed[1]

    # Without the manifest, the same forgery is consistent, and verify says that is all it proved.
    unpinned = verify(files.forged, "--rpc", anvil_url)
    assert unpinned.returncode == 3, unpinned.stdout + unpinned.stderr
    assert "VERIFIED" not in unpinned.stdout
    assert "internally consistent" in unpinned.stdout and "not that the settlement belongs to the platform" in (
        unpinned.stdout
    )


def test_a_bundle_anchored_by_someone_the_manifest_does_not_list_is_refused(
    files: Files, anvil_url: str, tmp_path: Path
) -> None:
    manifest = json.loads(files.manifest.read_text())
    stranger = Web3.to_checksum_address("0x" + "5a" * 20)
    (tmp_path / "other.json").write_text(json.dumps({**manifest, "anchorers": [stranger]}))
    result = verify(files.bundle, "--rpc", anvil_url, "--deployment", tmp_path / "other.json")
    assert result.returncode == 1
    assert f"[FAIL] deployment: anchored by {manifest['anchorers'][0]}, not one of the platform's anchorers" in (
        result.stdout
    )


def test_the_demos_json_output_is_accepted_as_it_is(files: Files, anvil_url: str) -> None:
    result = verify(files.demo, "--rpc", anvil_url, "--deployment", files.manifest, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["verified"] and report["pinned"] and report["consistent"]
    assert "the proof bundle inside the demo's output" in result.stderr


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (("settlement", "outcome"), 0, "settlement.outcome is 0, expected one of released"),
        (("settlement", "seller_amount"), 12.5, "settlement.seller_amount is 12.5, expected a decimal string"),
        (("chain_id"), "31337", "chain_id is '31337', expected a non-negative integer"),
        (("merkle", "proof"), "0x00", "merkle.proof is '0x00', expected a list"),
        (("terms", "buyer"), 7, "terms.buyer is 7, expected a 0x-prefixed address"),
    ],
)
def test_a_wrong_typed_field_fails_with_a_line_not_a_traceback(
    files: Files, anvil_url: str, tmp_path: Path, field: tuple[str, ...] | str, value: object, message: str
) -> None:
    bundle = json.loads(files.bundle.read_text())
    *parents, name = (field,) if isinstance(field, str) else field
    target = bundle
    for parent in parents:
        target = target[parent]
    target[name] = value
    (tmp_path / "bad.json").write_text(json.dumps(bundle))
    result = verify(tmp_path / "bad.json", "--rpc", anvil_url, "--deployment", files.manifest)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"[FAIL] bundle: {message}" in result.stdout
    assert "Traceback" not in result.stderr


def test_deep_or_huge_files_are_refused_before_parsing(tmp_path: Path, anvil_url: str) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    result = verify(deep, "--rpc", anvil_url)
    assert result.returncode == 2 and "nests deeper than" in result.stderr, result.stderr[-2000:]
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({"schema": "x", "pad": "a" * MAX_BYTES}))
    result = verify(huge, "--rpc", anvil_url)
    assert result.returncode == 2 and "larger than" in result.stderr, result.stderr[-2000:]


def test_a_manifest_url_that_does_not_answer_is_a_clear_error(files: Files, anvil_url: str) -> None:
    url = f"http://127.0.0.1:{_free_port()}/.well-known/tradewind.json"  # nothing listens there
    result = verify(files.bundle, "--rpc", anvil_url, "--deployment", url)
    assert result.returncode == 2
    assert result.stderr.startswith(f"tradewind: error: {url} does not answer"), result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_manifest_is_a_clear_error(files: Files, anvil_url: str, tmp_path: Path) -> None:
    manifest = json.loads(files.manifest.read_text())
    (tmp_path / "m.json").write_text(json.dumps({**manifest, "escrow": "0x12"}))
    result = verify(files.bundle, "--rpc", anvil_url, "--deployment", tmp_path / "m.json")
    assert result.returncode == 2 and "escrow is not an Ethereum address" in result.stderr


def _inclusion(bundle: dict, rpc_url: str) -> dict:  # type: ignore[type-arg]
    """The public proof a storefront publishes for the bundle's settlement: no terms, amounts or parties."""
    receipt = connect(rpc_url).eth.get_transaction_receipt(bundle["transactions"]["anchor"])
    return {
        "schema": INCLUSION_SCHEMA,
        "trade": "TW-000001",
        "chain_id": bundle["chain_id"],
        "registry": bundle["contracts"]["SettlementRegistry"],
        "merkle": bundle["merkle"],
        "anchor": {"transaction": bundle["transactions"]["anchor"], "block": receipt["blockNumber"]},
    }


def test_a_storefronts_public_proof_verifies_and_a_forged_one_does_not(
    files: Files, anvil_url: str, tmp_path: Path
) -> None:
    public = _inclusion(json.loads(files.bundle.read_text()), anvil_url)
    (tmp_path / "public.json").write_text(json.dumps(public))
    result = verify(tmp_path / "public.json", "--rpc", anvil_url, "--deployment", files.manifest)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("VERIFIED")
    assert "[ok] proof on chain" in result.stdout and "[ok] deployment: anchored by " in result.stdout

    forged = _inclusion(json.loads(files.forged.read_text()), anvil_url)  # anchored, but on the attacker's registry
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    result = verify(tmp_path / "forged.json", "--rpc", anvil_url, "--deployment", files.manifest)
    assert result.returncode == 1 and "[FAIL] deployment: registry" in result.stdout, result.stdout

    wrong_leaf = {**public, "merkle": {**public["merkle"], "leaf": "0x" + "22" * 32}}
    (tmp_path / "leaf.json").write_text(json.dumps(wrong_leaf))
    result = verify(tmp_path / "leaf.json", "--rpc", anvil_url, "--deployment", files.manifest)
    assert result.returncode == 1 and "[FAIL] proof on chain" in result.stdout, result.stdout
