"""Chain side of Tradewind: connection, contracts, canonical terms, proofs, relay, indexer, verification.

This package never imports `marketplace` or Flask, so that an auditor can use it alone.
"""
