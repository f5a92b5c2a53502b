"""Errors raised by the chain side."""


class LedgerError(Exception):
    """Base class for chain-side errors, with a message meant for a person."""


class ChainUnavailable(LedgerError):
    """The configured RPC endpoint does not answer."""


class ContractsMissing(LedgerError):
    """The database names contracts that the connected chain does not have (or has different code for)."""


class KeyBoxError(LedgerError):
    """A sealed private key cannot be opened: wrong master key, or tampered data."""


class NotDeployed(LedgerError):
    """No deployment of the contracts is recorded (for the chain in question)."""
