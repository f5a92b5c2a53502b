"""A local Anvil node that keeps its chain in a state file: the embedded default's chain.

The node is the pinned npm package `@foundry-rs/anvil` from the project's node_modules. It listens on
127.0.0.1 only, loads its chain from the state file at start, dumps it every few seconds and at exit, and
dies with the process that started it (Linux), so a restart finds every block, receipt and contract again.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from ledger.errors import LedgerError

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
CHAIN_ID = 31337
STATE_INTERVAL_SECONDS = 2
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30


class NodeNotInstalled(LedgerError):
    """Anvil is not in node_modules."""


class NodeFailed(LedgerError):
    """The local node cannot start: its port is taken, or it exits or does not answer."""


def find_anvil(node_modules: Path | None = None) -> Path:
    """The Anvil executable of the pinned npm package: the platform binary itself when present (so signals
    reach the node, not a wrapper that exits before the state is dumped), else the npm wrapper."""
    node_modules = node_modules or NODE_MODULES
    binaries = sorted(node_modules.glob("@foundry-rs/anvil-*/bin/anvil"))
    for candidate in [*binaries, node_modules / ".bin" / "anvil"]:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise NodeNotInstalled(
        f"Anvil is not installed in {node_modules}: run `npm ci --ignore-scripts` in the project folder "
        "(it installs the pinned @foundry-rs/anvil), or set CHAIN_RPC_URL to a node of your own"
    )


def chain_id_at(url: str, timeout: float = 1.0) -> int | None:
    """The chain id a JSON-RPC node at `url` answers with, or None when nothing answers there."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(json.loads(response.read())["result"], 16)
    except (OSError, ValueError, KeyError, TypeError, urllib.error.URLError):
        return None


def port_in_use(host: str, port: int) -> bool:
    """Whether something accepts connections on host:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM (and so dump the state) when the parent dies, even by kill -9."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LocalNode:
    """One Anvil process on 127.0.0.1:`port` whose chain lives in `state_file`."""

    host = "127.0.0.1"

    def __init__(self, state_file: Path, port: int, log_file: Path | None = None) -> None:
        self.state_file = Path(state_file)
        self.port = port
        self.log_file = log_file or self.state_file.with_suffix(".log")
        self.pid_file = self.state_file.with_suffix(".pid")
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> str:
        """Start the node (loading the state file if there is one), wait until it answers, return its URL."""
        binary = find_anvil()
        self._stop_leftover()
        if port_in_use(self.host, self.port):
            raise NodeFailed(
                f"port {self.port} on {self.host} is taken by another program, so the local chain node cannot "
                "start there: stop that program, or choose a free port with TRADEWIND_CHAIN_PORT"
            )
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        command = [
            str(binary),
            *("--host", self.host, "--port", str(self.port), "--chain-id", str(CHAIN_ID)),
            *("--state", str(self.state_file), "--state-interval", str(STATE_INTERVAL_SECONDS)),
        ]
        with open(self.log_file, "ab") as log:
            self._proc = subprocess.Popen(  # a session of its own: Ctrl-C reaches the server, which stops it in order
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self.pid_file.write_text(str(self._proc.pid))
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise NodeFailed(f"the local chain node exited at start (code {self._proc.returncode}): {self._tail()}")
            if chain_id_at(self.url) == CHAIN_ID:
                return self.url
            time.sleep(0.1)
        self.stop()
        raise NodeFailed(f"the local chain node did not answer at {self.url} within {START_TIMEOUT_SECONDS} s")

    def stop(self) -> None:
        """Stop the node; it dumps its chain to the state file first. Safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.pid_file.unlink(missing_ok=True)

    def _stop_leftover(self) -> None:
        """A node of this state file left running (its starter was killed before it could stop it) is
        stopped, letting it dump its chain, before a new one starts."""
        try:
            pid = int(self.pid_file.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            self.pid_file.unlink(missing_ok=True)
            return
        if str(self.state_file).encode() in cmdline:
            os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)

    def _tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-500:].strip()
        except OSError:
            return ""
