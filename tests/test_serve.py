"""`tradewind serve` on the embedded default, run as a user runs it: a server process with its own local chain
node, stopped and started again with every organization, trade and settlement kept, and auditable through the
RPC URL it prints."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger.localnode import chain_id_at
from marketplace.demo import BUYER, EXPORTER
from marketplace.serve_lock import ServeLock
from tests.conftest import ROOT
from tests.servers import DOCUMENT_HASH, TRADEWIND, embedded_env, free_port, fund_a_new_trade, running, tradewind


def serving(env: dict[str, str], port: int, log: Path) -> Any:
    """`tradewind serve --demo --port P`, stopped with SIGINT (Ctrl-C)."""
    return running([*TRADEWIND, "serve", "--demo", "--port", str(port)], env, port, log, signal.SIGINT)


@pytest.mark.anvil
def test_serve_keeps_its_data_across_a_restart_and_bundles_verify(tmp_path: Path, anvil_installed: None) -> None:
    instance, chain_port, port = tmp_path / "instance", free_port(), free_port()
    env = embedded_env(instance, chain_port)

    with serving(env, port, tmp_path / "serve-1.log") as first:
        rpc_url = first.rpc_url
        assert rpc_url == f"http://127.0.0.1:{chain_port}"
        seller, buyer = first.token(EXPORTER), first.token(BUYER)
        first.trade_until(1, buyer, lambda t: t["status"] == "funded")  # the seeded trade, funded by the worker
        assert first.call("POST", "/api/v1/trades/1/ship", seller, {"document_hash": DOCUMENT_HASH})
        first.trade_until(1, buyer, lambda t: t["status"] == "shipped")
        first.call("POST", "/api/v1/trades/1/release", buyer, {})
        settled = first.trade_until(1, buyer, lambda t: t["status"] == "released" and t["anchored"])
        bundle = first.call("GET", "/api/v1/trades/1/bundle", buyer)

        # While it runs, neither a second server nor `reset` may touch its instance folder.
        second = tradewind(env, "serve", "--port", str(free_port()))
        assert second.returncode == 2 and "is running on" in second.stderr, second.stderr
        refused = tradewind(env, "reset")
        assert refused.returncode != 0 and "stop it before you reset" in refused.stderr, refused.stderr
        assert (instance / "tradewind.sqlite").exists() and (instance / "chain-state.json").exists()
    assert (instance / "chain-state.json").stat().st_size > 0

    with serving(env, port, tmp_path / "serve-2.log") as again:
        assert again.rpc_url == rpc_url
        buyer = again.token(BUYER)  # the organizations and their users are still there
        kept = again.call("GET", "/api/v1/trades/1", buyer)
        assert kept == settled
        assert again.call("GET", "/api/v1/trades/1/bundle", buyer) == bundle

        # An auditor checks the bundle through the printed RPC URL, with nothing from our database, pinned to
        # the deployment the site publishes (`tradewind deployment` prints the same manifest).
        path = tmp_path / "bundle.json"
        path.write_text(json.dumps(bundle))
        published = again.base + "/.well-known/tradewind.json"
        verified = tradewind(env, "verify", str(path), "--rpc", rpc_url, "--deployment", published)
        assert verified.returncode == 0 and verified.stdout.strip().endswith("VERIFIED"), verified.stdout
        printed = tradewind(env, "deployment")
        assert printed.returncode == 0, printed.stderr
        assert json.loads(printed.stdout) == again.call("GET", "/.well-known/tradewind.json")

        # The chain goes on where it stopped: a new trade is funded by the same wallets.
        fund_a_new_trade(again)
    print(f"serve start-up {first.started_in:.1f} s, restart {again.started_in:.1f} s")

    reset = tradewind(env, "reset")
    assert reset.returncode == 0, reset.stderr
    assert not (instance / "tradewind.sqlite").exists() and not (instance / "chain-state.json").exists()


@pytest.mark.anvil
def test_the_wsgi_entry_runs_and_stops_the_local_node(tmp_path: Path, anvil_installed: None) -> None:
    instance, chain_port, port = tmp_path / "instance", free_port(), free_port()
    env = embedded_env(instance, chain_port)
    gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--timeout", "120"]
    with running([*gunicorn, "marketplace.wsgi:app"], env, port, tmp_path / "gunicorn.log", signal.SIGTERM) as app:
        assert app.rpc_url == f"http://127.0.0.1:{chain_port}"
        assert chain_id_at(app.rpc_url) == 31337
    assert chain_id_at(f"http://127.0.0.1:{chain_port}") is None  # stopped with the app ...
    assert (instance / "chain-state.json").stat().st_size > 0  # ... after dumping its chain
    assert tradewind(env, "reset").returncode == 0  # and the instance folder is free again


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"node_modules": "missing"}, "run `npm ci --ignore-scripts` in the project folder"),
        ({"TRADEWIND_CHAIN_PORT": "85x"}, "TRADEWIND_CHAIN_PORT must be a port number (1-65535), not '85x'"),
    ],
)
def test_serve_without_a_usable_node_says_why_and_exits_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    setting: dict[str, str],
    message: str,
) -> None:
    from ledger import localnode
    from marketplace.cli import main

    for name in ("DATABASE_URL", "CHAIN_RPC_URL", "TRADEWIND_MASTER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRADEWIND_INSTANCE", str(tmp_path))
    monkeypatch.setenv("TRADEWIND_CHAIN_PORT", str(free_port()))
    if "node_modules" in setting:
        monkeypatch.setattr(localnode, "NODE_MODULES", tmp_path / "node_modules")
    else:
        monkeypatch.setenv("TRADEWIND_CHAIN_PORT", setting["TRADEWIND_CHAIN_PORT"])
    assert main(["serve", "--port", str(free_port())]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "tradewind.sqlite").exists()  # nothing started, nothing written


def test_reset_refuses_while_a_server_holds_the_instance_and_then_removes_everything(tmp_path: Path) -> None:
    env = embedded_env(tmp_path, free_port())
    database, state, documents = tmp_path / "tradewind.sqlite", tmp_path / "chain-state.json", tmp_path / "documents"
    database.write_bytes(b"data")
    state.write_text("{}")
    documents.mkdir()
    (documents / ("ab" * 32)).write_bytes(b"%PDF-1.4 bill of lading")
    lock = ServeLock(tmp_path)
    lock.acquire("test")
    try:
        refused = tradewind(env, "reset")
    finally:
        lock.release()
    assert refused.returncode == 2
    assert f"a Tradewind server (pid {os.getpid()}) is running on {tmp_path}" in refused.stderr
    assert database.exists() and state.exists() and documents.exists()

    done = tradewind(env, "reset")
    assert done.returncode == 0, done.stderr
    assert not database.exists() and not state.exists() and not documents.exists()


def test_serve_refuses_a_chain_port_taken_by_another_program(tmp_path: Path, anvil_installed: None) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        taken = other.getsockname()[1]
        result = tradewind(embedded_env(tmp_path, taken), "serve", "--port", str(free_port()))
    assert result.returncode == 2
    assert f"port {taken} on 127.0.0.1 is taken by another program" in result.stderr
    assert "TRADEWIND_CHAIN_PORT" in result.stderr


def test_serve_help_explains_every_option() -> None:
    result = tradewind(dict(os.environ), "serve", "--help")
    assert result.returncode == 0
    options = re.findall(r"^  (--[\w-]+)(?: [A-Z]+)?\s*(.*)$", result.stdout, re.MULTILINE)
    assert {name for name, _ in options} >= {"--host", "--port", "--demo", "--with-worker"}
    assert all(text.strip() for _, text in options), result.stdout
    assert "CHAIN_RPC_URL" in result.stdout and "TRADEWIND_CHAIN_PORT" in result.stdout


def test_make_serve_takes_a_host_and_a_port() -> None:
    result = subprocess.run(
        ["make", "-n", "serve", "PORT=5001", "HOST=0.0.0.0"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    command = [line for line in result.stdout.splitlines() if "tradewind serve" in line]
    assert command and "--port 5001" in command[0] and "--host 0.0.0.0" in command[0], result.stdout
    target = next(line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("serve:"))
    assert "install-node" in target  # the embedded default's chain node comes from node_modules
