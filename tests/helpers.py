"""Test helpers: custom-error matching for reverts, key lookups for the relay, the `tradewind` command as a
user runs it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_tester.exceptions import TransactionFailed
from eth_utils import function_signature_to_4byte_selector

from ledger.chain import REVERTS
from ledger.contracts import artifact

ROOT = Path(__file__).resolve().parent.parent
TRADEWIND = [sys.executable, "-m", "marketplace.cli"]


def run_demo(*args: str) -> dict[str, Any]:
    """`tradewind demo --json` in a process of its own; it must succeed."""
    result = subprocess.run(
        [*TRADEWIND, "demo", "--json", *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def error_selector(contract: str, name: str) -> str:
    """0x selector of custom error `name`, looked up in the contract's ABI (and its bases)."""
    for item in artifact(contract).abi:
        if item.get("type") == "error" and item["name"] == name:
            signature = f"{name}({','.join(i['type'] for i in item['inputs'])})"
            return "0x" + function_signature_to_4byte_selector(signature).hex()
    raise KeyError(name)


def expect_revert(contract: str, error: str, call: Callable[[], Any]) -> None:
    """`call` must revert with custom error `error` of `contract`."""
    with pytest.raises(REVERTS) as info:
        call()
    assert revert_data(info.value).startswith(error_selector(contract, error)), f"expected {error}, got {info.value!r}"


def revert_data(exc: BaseException) -> str:
    """0x revert data from a node error (Anvil) or from eth-tester, which only puts it in the message."""
    if isinstance(exc, TransactionFailed):
        text = str(exc.args[0]).removeprefix("execution reverted: ")
        raw = ast.literal_eval(text) if text.startswith(("b'", 'b"')) else text.encode()
        return "0x" + raw.hex()
    data = getattr(exc, "data", None)
    return data if isinstance(data, str) else str(data)


def keys_of(*accounts):  # type: ignore[no-untyped-def]
    """A relay key lookup over local accounts."""
    by_address = {a.address: a for a in accounts}
    return lambda _session, address: by_address[address]
