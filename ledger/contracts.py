"""Compiled contract artifacts (contracts/build), deployment and typed bindings."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

ESCROW = "TradeEscrow"
REGISTRY = "SettlementRegistry"
STABLECOIN = "TestStablecoin"

_DEFAULT_BUILD = Path(__file__).resolve().parent.parent / "contracts" / "build"
_OFFLINE = Web3()  # encodes calldata without a node
RECEIPT_POLL_SECONDS = 0.02


def build_dir() -> Path:
    """Where the committed artifacts live (TRADEWIND_ARTIFACTS overrides)."""
    return Path(os.environ.get("TRADEWIND_ARTIFACTS", _DEFAULT_BUILD))


@dataclass(frozen=True)
class Artifact:
    """ABI and bytecode of one compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    immutable_references: dict[str, list[dict[str, int]]]

    def runtime_matches(self, code: bytes) -> bool:
        """Whether deployed `code` is this artifact's runtime code; immutable slots are masked."""
        expected = bytearray(bytes.fromhex(self.deployed_bytecode.removeprefix("0x")))
        actual = bytearray(code)
        if len(actual) != len(expected):
            return False
        for refs in self.immutable_references.values():
            for ref in refs:
                start, length = ref["start"], ref["length"]
                actual[start : start + length] = bytes(length)
                expected[start : start + length] = bytes(length)
        return actual == expected


@cache
def artifact(name: str) -> Artifact:
    """The committed artifact of contract `name`."""
    data = json.loads((build_dir() / f"{name}.json").read_text())
    return Artifact(
        name=name,
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
        immutable_references=data.get("immutableReferences", {}),
    )


def bind(w3: Web3, name: str, address: str) -> Contract:
    """A web3 contract object for `name` at `address`."""
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact(name).abi)


def encode_call(name: str, function: str, args: list[Any]) -> str:
    """0x-prefixed calldata for `function(args)` of contract `name`, computed offline."""
    contract = _OFFLINE.eth.contract(abi=artifact(name).abi)
    return contract.encode_abi(function, args)


def deploy(w3: Web3, deployer: LocalAccount, name: str, *args: Any) -> tuple[str, dict[str, Any]]:
    """Deploy `name` from `deployer`; returns (address, receipt). Raises if the deployment reverts."""
    factory = w3.eth.contract(abi=artifact(name).abi, bytecode=artifact(name).bytecode)
    tx = factory.constructor(*args).build_transaction(
        {"from": deployer.address, "nonce": w3.eth.get_transaction_count(deployer.address, "pending")}
    )
    signed = deployer.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=RECEIPT_POLL_SECONDS)
    if receipt["status"] != 1:
        raise RuntimeError(f"deployment of {name} reverted in {tx_hash.to_0x_hex()}")
    return receipt["contractAddress"], dict(receipt)


def transact(w3: Web3, sender: LocalAccount, contract: Contract, function: str, *args: Any) -> dict[str, Any]:
    """Send one contract call from `sender` and wait for its receipt (set-up steps, tests, benchmarks)."""
    tx = getattr(contract.functions, function)(*args).build_transaction(
        {"from": sender.address, "nonce": w3.eth.get_transaction_count(sender.address, "pending")}
    )
    tx_hash = w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
    return dict(w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=RECEIPT_POLL_SECONDS))


@cache
def _error_names() -> dict[bytes, str]:
    from eth_utils import function_signature_to_4byte_selector

    names = {}
    for name in (ESCROW, REGISTRY, STABLECOIN):
        for item in artifact(name).abi:
            if item.get("type") == "error":
                signature = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
                names[function_signature_to_4byte_selector(signature)] = item["name"]
    return names


def revert_reason(data: bytes) -> str:
    """A readable name for revert data: the custom error's name, an Error(string) message, or hex."""
    if len(data) >= 4 and data[:4] in _error_names():
        return _error_names()[data[:4]]
    if data[:4] == bytes.fromhex("08c379a0"):
        from eth_abi import decode

        return decode(["string"], data[4:])[0]
    return "0x" + data.hex() if data else "no reason given"
