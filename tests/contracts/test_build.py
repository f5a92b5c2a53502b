"""The committed artifacts are exactly what the pinned compiler makes of the sources."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import ROOT, unavailable, which_node


def run_check(root) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run(
        ["node", str(root / "contracts" / "compile.js"), "--check"], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def node() -> None:
    if which_node() is None or not (ROOT / "node_modules" / "solc").exists():
        unavailable("node and npm packages are needed (npm ci)")


def test_committed_artifacts_match_sources(node: None) -> None:
    result = run_check(ROOT)
    assert result.returncode == 0, result.stderr
    assert "matches sources" in result.stdout


def test_check_fails_when_an_artifact_is_stale(node: None, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shutil.copytree(ROOT / "contracts", tmp_path / "contracts")
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    artifact = tmp_path / "contracts" / "build" / "TradeEscrow.json"
    data = json.loads(artifact.read_text())
    data["deployedBytecode"] = data["deployedBytecode"][:-2] + "00"
    artifact.write_text(json.dumps(data, indent=1) + "\n")
    result = run_check(tmp_path)
    assert result.returncode == 1
    assert "TradeEscrow.json" in result.stderr


def test_standard_input_recompiles_to_the_same_bytecode(node: None) -> None:
    script = (
        "const solc=require('solc');const fs=require('fs');"
        "const input=fs.readFileSync('contracts/build/standard-input.json','utf8');"
        "const out=JSON.parse(solc.compile(input));"
        "process.stdout.write(out.contracts['contracts/src/TradeEscrow.sol'].TradeEscrow.evm.deployedBytecode.object)"
    )
    # the standard input carries its own sources: no import callback, no node_modules lookups
    result = subprocess.run(["node", "-e", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    committed = json.loads((ROOT / "contracts" / "build" / "TradeEscrow.json").read_text())["deployedBytecode"]
    assert "0x" + result.stdout == committed
