"""Chain side of Tradewind: connection, contracts, canonical terms, proofs, relay, indexer, verification.

This package never imports `marketplace` or Flask, so that an auditor can use it alone.
"""

import sys

import eth  # py-evm raises the recursion limit to 12,288: enough for the EVM's 1,024 nested calls
import py_ecc  # noqa: F401 - raises it to 100,000, where deep recursion overflows the C stack instead

sys.setrecursionlimit(eth.EVM_RECURSION_LIMIT)
