"""Connect to an Ethereum JSON-RPC node, or to an in-process EVM when none is configured."""

from __future__ import annotations

from eth_tester.exceptions import TransactionFailed
from web3 import EthereumTesterProvider, Web3
from web3.exceptions import ContractLogicError

from ledger.errors import ChainUnavailable

REVERTS = (ContractLogicError, TransactionFailed)
"""What a reverting call raises: a JSON-RPC node's error, or the in-process EVM's."""

RPC_TIMEOUT_SECONDS = 30


def connect(rpc_url: str | None = None) -> Web3:
    """A Web3 for `rpc_url`, or for a fresh in-process EVM (py-evm) when `rpc_url` is empty."""
    if not rpc_url:
        return Web3(EthereumTesterProvider())
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": RPC_TIMEOUT_SECONDS}))
    if not w3.is_connected():
        raise ChainUnavailable(f"no Ethereum JSON-RPC node answers at {rpc_url}")
    return w3


def is_embedded(w3: Web3) -> bool:
    """Whether `w3` runs on the in-process EVM, whose state ends with the process."""
    return isinstance(w3.provider, EthereumTesterProvider)


def dev_accounts(w3: Web3) -> list[str]:
    """Unlocked, funded accounts of a development node (in-process EVM, Anvil); empty on real nodes."""
    try:
        return list(w3.eth.accounts)
    except Exception:  # a production node may refuse eth_accounts
        return []


def dev_fund(w3: Web3, address: str, wei: int, below: int | None = None) -> None:
    """Top up `address` to `wei` from the node's first unlocked account (dev chains only), when its balance
    is under `below` (default: under `wei`)."""
    balance = w3.eth.get_balance(address)
    if balance >= (wei if below is None else below):
        return
    faucets = dev_accounts(w3)
    if not faucets:
        return
    tx = w3.eth.send_transaction({"from": faucets[0], "to": address, "value": wei - balance})
    w3.eth.wait_for_transaction_receipt(tx)


def time_travel(w3: Web3, seconds: int) -> None:
    """Advance a development chain's clock by `seconds` and mine a block."""
    if is_embedded(w3):
        tester = w3.provider.ethereum_tester
        tester.time_travel(w3.eth.get_block("latest")["timestamp"] + seconds)
        tester.mine_blocks(1)
    else:
        w3.provider.make_request("evm_increaseTime", [seconds])
        w3.provider.make_request("evm_mine", [])
