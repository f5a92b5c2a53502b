"""A real HTTP JSON-RPC proxy in front of a node, that misbehaves on request: answers 503, drops the
connection, answers a JSON-RPC error, or takes raw transactions of one sender without passing them on."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from eth_account import Account
from eth_utils import keccak


class RpcProxy:
    """Forwards JSON-RPC to `upstream`; `faults` are consumed one per matching request."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.faults: list[tuple[str, object]] = []  # (method, 503 | "drop" | {"code":..., "message":...})
        self.swallowed: set[str] = set()  # senders whose raw transactions never reach the node
        self.calls: list[str] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.handle(self, body)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def fail_next(self, method: str, fault: object, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `fault`."""
        with self._lock:
            self.faults.extend([(method, fault)] * times)

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        request = json.loads(body)
        method = request.get("method") if isinstance(request, dict) else None
        with self._lock:
            self.calls.append(str(method))
            fault = next((f for f in self.faults if f[0] == method), None)
            if fault is not None:
                self.faults.remove(fault)
        if fault is not None:
            kind = fault[1]
            if kind == "drop":
                handler.close_connection = True
                handler.connection.close()
                return
            if kind == 503:
                self._answer(handler, 503, b"Service Unavailable")
                return
            self._reply(handler, {"jsonrpc": "2.0", "id": request["id"], "error": kind})
            return
        if method == "eth_sendRawTransaction":
            raw = request["params"][0]
            if Account.recover_transaction(raw) in self.swallowed:
                self._reply(handler, {"jsonrpc": "2.0", "id": request["id"], "result": "0x" + keccak(hexstr=raw).hex()})
                return
        upstream = requests.post(self.upstream, data=body, headers={"Content-Type": "application/json"}, timeout=30)
        self._answer(handler, upstream.status_code, upstream.content)

    def _reply(self, handler: BaseHTTPRequestHandler, payload: object) -> None:
        self._answer(handler, 200, json.dumps(payload).encode())

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, status: int, content: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)


@contextmanager
def rpc_proxy(upstream: str) -> Iterator[RpcProxy]:
    """A running proxy in front of `upstream`, stopped afterwards."""
    proxy = RpcProxy(upstream)
    thread = threading.Thread(target=proxy.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.server.shutdown()
        proxy.server.server_close()
