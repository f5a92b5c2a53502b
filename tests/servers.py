"""Running the `tradewind` command and servers as a user does: subprocesses on free ports, talked to over HTTP."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketplace.demo import BUYER, EXPORTER, PASSWORD
from tests.conftest import ROOT

TRADEWIND = [sys.executable, "-m", "marketplace.cli"]
START_SECONDS = 180
DOCUMENT_HASH = "0x" + "ab" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_env(instance: Path, chain_port: int) -> dict[str, str]:
    """The environment of a fresh clone: no database or node configured, the instance folder of the test."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CHAIN_RPC_URL", "TRADEWIND_MASTER_KEY"}}
    return {**env, "TRADEWIND_INSTANCE": str(instance), "TRADEWIND_CHAIN_PORT": str(chain_port)}


def tradewind(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TRADEWIND, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@dataclass
class Server:
    """A `tradewind serve` process and what it printed."""

    proc: subprocess.Popen[str]
    log: Path
    base: str
    started_in: float

    @property
    def output(self) -> str:
        return self.log.read_text()

    @property
    def rpc_url(self) -> str:
        found = re.search(r"Chain RPC for auditors: (\S+)", self.output)
        assert found, self.output
        return found.group(1)

    def call(self, method: str, path: str, token: str | None = None, payload: dict[str, Any] | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def token(self, email: str) -> str:
        return self.call("POST", "/api/v1/tokens", payload={"email": email, "password": PASSWORD})["token"]

    def trade_until(self, trade_id: int, token: str, done: Any, seconds: float = 60) -> dict[str, Any]:
        """Poll the trade until `done(trade)`: the worker thread in the server moves it."""
        deadline = time.monotonic() + seconds
        while True:
            trade = self.call("GET", f"/api/v1/trades/{trade_id}", token)
            if done(trade) or time.monotonic() > deadline:
                assert done(trade), trade
                return trade
            time.sleep(0.3)


@contextmanager
def running(command: list[str], env: dict[str, str], port: int, log: Path, stop: int) -> Iterator[Server]:
    """A server process, up until it answers on `port`; afterwards `stop` goes to its process group, as Ctrl-C
    in a terminal does, and it must stop cleanly."""
    began = time.monotonic()
    with open(log, "w") as out:
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out, text=True, start_new_session=True)
    server = Server(proc, log, f"http://127.0.0.1:{port}", 0.0)
    try:
        while True:
            assert proc.poll() is None, f"the server exited with {proc.returncode}:\n{server.output}"
            assert time.monotonic() - began < START_SECONDS, f"the server did not answer:\n{server.output}"
            try:
                urllib.request.urlopen(server.base + "/", timeout=2)
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        server.started_in = time.monotonic() - began
        yield server
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, stop)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and "Traceback" not in server.output, server.output[-3000:]


def fund_a_new_trade(server: Server) -> dict[str, Any]:
    """The demo buyer asks for the demo listing, the exporter quotes, the buyer accepts and funds; returns the
    trade once the worker has it funded on chain."""
    buyer, seller = server.token(BUYER), server.token(EXPORTER)
    rfq = server.call("POST", "/api/v1/rfqs", buyer, {"listing_id": 1, "quantity": 1000})
    quote = server.call("POST", f"/api/v1/rfqs/{rfq['id']}/quotes", seller, {"unit_price": "2.20"})
    trade = server.call("POST", f"/api/v1/quotes/{quote['id']}/accept", buyer)
    server.call("POST", f"/api/v1/trades/{trade['id']}/fund", buyer, {})
    return server.trade_until(trade["id"], buyer, lambda t: t["status"] == "funded")
