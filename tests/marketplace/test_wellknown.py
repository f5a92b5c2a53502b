"""The deployment manifest as the platform publishes it: the well-known URL and `tradewind deployment`."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ledger.chain import connect
from ledger.manifest import WELL_KNOWN_PATH, load_manifest
from marketplace.config import Config
from marketplace.platform import Platform, start
from tests.helpers import ROOT, TRADEWIND


def test_the_manifest_is_public_cacheable_json(client, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    response = client.get(WELL_KNOWN_PATH)  # nobody signed in
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.json == platform.ctx.manifest.as_json()
    assert response.json["escrow"] == platform.ctx.contracts.escrow
    assert response.json["anchorers"] == [platform.ctx.operator]
    assert response.cache_control.public and response.cache_control.max_age == 300


@pytest.fixture
def served(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


def test_an_auditor_fetches_the_manifest_over_http(served: str, platform: Platform) -> None:
    assert load_manifest(served + WELL_KNOWN_PATH) == platform.ctx.manifest


def deployment_command(folder: Path, rpc_url: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CHAIN_RPC_URL")}
    env["TRADEWIND_INSTANCE"] = str(folder)
    if rpc_url:
        env["CHAIN_RPC_URL"] = rpc_url
    return subprocess.run([*TRADEWIND, "deployment"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_without_a_recorded_deployment_the_command_says_so(tmp_path: Path) -> None:
    result = deployment_command(tmp_path / "fresh")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("tradewind: error: no recorded deployment") and not result.stdout
    assert not (tmp_path / "fresh" / "tradewind.sqlite").exists()  # it created no database either


def test_the_command_prints_what_the_embedded_default_recorded(tmp_path: Path) -> None:
    platform = start(Config(instance_dir=tmp_path, testing=True).resolved())
    platform.close()
    result = deployment_command(tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == platform.ctx.manifest.as_json()


@pytest.mark.anvil
def test_the_command_checks_the_node_and_deploys_nothing(tmp_path: Path, anvil_url: str) -> None:
    platform = start(Config(instance_dir=tmp_path, chain_rpc_url=anvil_url, testing=True).resolved())
    platform.close()
    w3 = connect(anvil_url)
    block = w3.eth.block_number
    result = deployment_command(tmp_path, anvil_url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == platform.ctx.manifest.as_json()
    assert json.loads(result.stdout)["chain_id"] == 31337
    assert w3.eth.block_number == block  # no transaction was sent
