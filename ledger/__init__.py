"""Chain side of Tradewind: connection, contracts, canonical terms, proofs, relay, indexer, verification.

This package never imports `marketplace` or Flask, so that an auditor can use it alone.
"""

import sys

import py_ecc  # noqa: F401 - raises the recursion limit to 100,000, where deep recursion overflows the C stack

EVM_RECURSION_LIMIT = 12_288
"""py-evm's own limit (enough for the EVM's 1,024 nested calls), which it keeps when imported (by an in-memory
chain, `ledger.chain`): importing it here would cost every process most of a second."""

sys.setrecursionlimit(EVM_RECURSION_LIMIT)
