"""The embedded default's local Anvil node: found in node_modules, its chain kept in a state file even when the
process that started it is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ledger.chain import connect
from ledger.localnode import LocalNode, NodeNotInstalled, chain_id_at, find_anvil
from tests.conftest import ROOT
from tests.servers import free_port


def test_a_missing_anvil_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(NodeNotInstalled, match=r"run `npm ci --ignore-scripts` in the project folder"):
        find_anvil(tmp_path / "node_modules")


@pytest.mark.anvil
def test_the_chain_survives_a_kill_9_of_the_process_that_started_the_node(
    tmp_path: Path, anvil_installed: None
) -> None:
    state, port = tmp_path / "chain-state.json", free_port()
    starter = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from ledger.localnode import LocalNode
        node = LocalNode(Path({str(state)!r}), {port})
        print(node.start(), flush=True)
        time.sleep(600)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", starter], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()  # type: ignore[union-attr]
    w3 = connect(url)
    sender = w3.eth.accounts[0]
    tx = w3.eth.send_transaction({"from": sender, "to": w3.eth.accounts[1], "value": 12345})
    w3.eth.wait_for_transaction_receipt(tx)

    os.kill(proc.pid, signal.SIGKILL)  # no cleanup in the starter: the node hears of it from the kernel
    proc.wait()
    deadline = time.monotonic() + 30
    while chain_id_at(url) is not None:
        assert time.monotonic() < deadline, "the node outlived the process that started it"
        time.sleep(0.2)

    node = LocalNode(state, port)
    try:
        again = connect(node.start())
        receipt = again.eth.get_transaction_receipt(tx)
        assert receipt["status"] == 1 and again.eth.get_transaction_count(sender) == 1
    finally:
        node.stop()
    assert not node.pid_file.exists()
