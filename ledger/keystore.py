"""Private keys sealed with AES-GCM under a master key, bound to the account address."""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.errors import KeyBoxError

_VERSION = "v1"
_NONCE_BYTES = 12


def new_master_key() -> str:
    """A fresh random 256-bit master key, base64-encoded for configuration."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()


class KeyBox:
    """Seals and opens account private keys. The address is authenticated data, so a sealed key
    copied onto another account's row does not open."""

    def __init__(self, master_key: str) -> None:
        try:
            raw = base64.urlsafe_b64decode(master_key.encode())
        except (ValueError, TypeError) as exc:
            raise KeyBoxError("the master key is not valid base64") from exc
        if len(raw) != 32:
            raise KeyBoxError("the master key must be 32 bytes (base64-encoded)")
        self._aead = AESGCM(raw)

    def __repr__(self) -> str:  # never show key material
        return "KeyBox(<sealed>)"

    def seal(self, account: LocalAccount) -> str:
        """Encrypt `account`'s private key; the result is safe to store."""
        nonce = os.urandom(_NONCE_BYTES)
        blob = self._aead.encrypt(nonce, bytes(account.key), account.address.encode())
        return f"{_VERSION}:{base64.urlsafe_b64encode(nonce + blob).decode()}"

    def open(self, address: str, sealed: str) -> LocalAccount:
        """Decrypt the key sealed for `address`; raises KeyBoxError on a wrong key or tampering."""
        version, _, payload = sealed.partition(":")
        if version != _VERSION:
            raise KeyBoxError(f"unknown sealed-key format {version!r}")
        data = base64.urlsafe_b64decode(payload.encode())
        try:
            key = self._aead.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], address.encode())
        except InvalidTag as exc:
            raise KeyBoxError(f"cannot open the key of {address}: wrong master key or tampered data") from exc
        account = Account.from_key(key)
        if account.address != address:
            raise KeyBoxError(f"the sealed key does not belong to {address}")
        return account

    def create(self) -> tuple[LocalAccount, str]:
        """A new account and its sealed key."""
        account = Account.create()
        return account, self.seal(account)
