"""The demo story end to end, as a user runs it: embedded default, then Anvil + PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest
from eth_utils import function_signature_to_4byte_selector

from ledger.chain import connect
from ledger.errors import ContractsMissing
from marketplace.config import Config
from marketplace.platform import start
from tests.conftest import ROOT
from tests.helpers import TRADEWIND, run_demo


def test_demo_on_the_embedded_default_verifies() -> None:
    out = run_demo()
    assert out["verified"] is True
    assert out["deployment"]["escrow"] == out["contracts"]["TradeEscrow"] and len(out["deployment"]["anchorers"]) == 1
    assert set(out["contracts"]) == {"TradeEscrow", "SettlementRegistry", "token"}
    assert set(out["transactions"]) >= {"open", "release", "anchor"}
    assert out["bundle"]["merkle"]["root"] == out["settlement_root"]
    assert all(check["ok"] for check in out["checks"])


def test_demo_prints_the_story() -> None:
    result = subprocess.run([*TRADEWIND, "demo"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    text = result.stdout
    assert "深溝玉軸受" in text and "￥" in text and "€" in text  # the buyer's language and currency
    assert "bill of lading" in text and "VERIFIED" in text.splitlines()[-1]


def rpc(url: str, method: str, *params: object) -> object:
    """A plain JSON-RPC call: no code from this repository."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        reply = json.loads(response.read())
    assert "error" not in reply, reply
    return reply["result"]


def strip_immutables(code: str, artifact: dict) -> bytes:  # type: ignore[type-arg]
    raw = bytearray(bytes.fromhex(code[2:]))
    for refs in artifact["immutableReferences"].values():
        for ref in refs:
            raw[ref["start"] : ref["start"] + ref["length"]] = bytes(ref["length"])
    return bytes(raw)


@pytest.mark.anvil
@pytest.mark.postgres
def test_demo_on_anvil_and_postgres_leaves_a_checkable_trail(anvil_url: str, postgres_url: str) -> None:
    out = run_demo("--rpc", anvil_url, "--database", postgres_url)
    assert out["verified"] is True and out["chain_id"] == 31337

    # A plain JSON-RPC client finds everything from the printed addresses and hashes.
    for name in ("open", "release", "anchor"):
        receipt = rpc(anvil_url, "eth_getTransactionReceipt", out["transactions"][name])
        assert receipt["status"] == "0x1"
    escrow, registry = out["contracts"]["TradeEscrow"], out["contracts"]["SettlementRegistry"]
    opened = rpc(anvil_url, "eth_getTransactionReceipt", out["transactions"]["open"])
    assert any(log["address"].lower() == escrow.lower() and out["deal_id"] in log["topics"] for log in opened["logs"])
    selector = "0x" + function_signature_to_4byte_selector("isAnchored(bytes32)").hex()
    anchored = rpc(anvil_url, "eth_call", {"to": registry, "data": selector + out["settlement_root"][2:]}, "latest")
    assert int(anchored, 16) == 1
    state_selector = "0x" + function_signature_to_4byte_selector("dealState(bytes32)").hex()
    state = rpc(anvil_url, "eth_call", {"to": escrow, "data": state_selector + out["deal_id"][2:]}, "latest")
    assert int(state[2:66], 16) == 4  # Closed

    # The deployed bytecode is the committed build (immutables masked).
    for name, address in (("TradeEscrow", escrow), ("SettlementRegistry", registry)):
        artifact = json.loads((ROOT / "contracts" / "build" / f"{name}.json").read_text())
        code = rpc(anvil_url, "eth_getCode", address, "latest")
        assert strip_immutables(code, artifact) == strip_immutables(artifact["deployedBytecode"], artifact)


def test_verify_command_checks_a_bundle_and_rejects_a_forged_one(tmp_path: Path, anvil_url: str) -> None:
    out = run_demo("--rpc", anvil_url)
    good, deployment = tmp_path / "bundle.json", tmp_path / "tradewind.json"
    good.write_text(json.dumps(out["bundle"]))
    deployment.write_text(json.dumps(out["deployment"]))
    pinned = ["--rpc", anvil_url, "--deployment", str(deployment)]
    ok = subprocess.run(
        [*TRADEWIND, "verify", str(good), *pinned], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert ok.returncode == 0 and ok.stdout.strip().endswith("VERIFIED")

    forged = json.loads(good.read_text())
    forged["settlement"]["seller_amount"] = str(int(forged["settlement"]["seller_amount"]) + 1)
    bad = tmp_path / "forged.json"
    bad.write_text(json.dumps(forged))
    refused = subprocess.run(
        [*TRADEWIND, "verify", str(bad), *pinned], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert refused.returncode == 1 and "[FAIL] leaf" in refused.stdout and "NOT VERIFIED" in refused.stdout

    missing = subprocess.run(
        [*TRADEWIND, "verify", str(tmp_path / "nope.json"), "--rpc", anvil_url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert missing.returncode == 2 and "tradewind: error: cannot read bundle" in missing.stderr


def test_a_database_whose_contracts_are_gone_is_refused(tmp_path: Path) -> None:
    config = Config(instance_dir=tmp_path, testing=True).resolved()
    start(config).close()  # deploys on one in-process chain ...
    with pytest.raises(ContractsMissing, match="does not survive a restart"):
        start(config, connect(None))  # ... which a restart replaces with an empty one
