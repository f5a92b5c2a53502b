"""Canonical trade terms and their EIP-712 digest: the one definition used by the marketplace, the
relay, the contract (TradeEscrow.Terms) and the auditor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from ledger.canonical import document_hash

DOMAIN_NAME = "Tradewind TradeEscrow"
DOMAIN_VERSION = "1"
TERMS_FIELDS = [
    {"name": "dealId", "type": "bytes32"},
    {"name": "buyer", "type": "address"},
    {"name": "seller", "type": "address"},
    {"name": "token", "type": "address"},
    {"name": "amount", "type": "uint256"},
    {"name": "shipBy", "type": "uint64"},
    {"name": "inspectionPeriod", "type": "uint32"},
    {"name": "detailsHash", "type": "bytes32"},
]


def deal_id_for(reference: str) -> bytes:
    """A deal id derived from a marketplace reference (unique per trade)."""
    return keccak(text=f"tradewind:deal:{reference}")


@dataclass(frozen=True)
class TradeTerms:
    """What the seller signs and the buyer funds. `details` holds the commercial terms (goods,
    quantity, Incoterm, prices, FX snapshot); only their hash goes on chain."""

    deal_id: bytes
    buyer: str
    seller: str
    token: str
    amount: int
    ship_by: int
    inspection_period: int
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.deal_id) != 32:
            raise ValueError("deal_id must be 32 bytes")
        if self.amount <= 0:
            raise ValueError("amount must be positive")
        for name in ("buyer", "seller", "token"):
            object.__setattr__(self, name, to_checksum_address(getattr(self, name)))

    @property
    def details_hash(self) -> bytes:
        """keccak256 of the canonical JSON of the commercial details."""
        return document_hash(self.details)

    def as_tuple(self) -> tuple[Any, ...]:
        """The terms as the contract's `Terms` struct argument."""
        return (
            self.deal_id,
            self.buyer,
            self.seller,
            self.token,
            self.amount,
            self.ship_by,
            self.inspection_period,
            self.details_hash,
        )

    def typed_data(self, chain_id: int, escrow: str) -> dict[str, Any]:
        """The EIP-712 message, as wallets display and sign it."""
        return {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "Terms": TERMS_FIELDS,
            },
            "primaryType": "Terms",
            "domain": {
                "name": DOMAIN_NAME,
                "version": DOMAIN_VERSION,
                "chainId": chain_id,
                "verifyingContract": to_checksum_address(escrow),
            },
            "message": dict(zip((f["name"] for f in TERMS_FIELDS), self.as_tuple(), strict=True)),
        }

    def signable(self, chain_id: int, escrow: str) -> SignableMessage:
        """The EIP-712 signable message."""
        return encode_typed_data(full_message=self.typed_data(chain_id, escrow))

    def digest(self, chain_id: int, escrow: str) -> bytes:
        """The 32-byte EIP-712 digest that the seller signs and the contract checks."""
        message = self.signable(chain_id, escrow)
        return keccak(b"\x19" + message.version + message.header + message.body)

    def sign(self, account: LocalAccount, chain_id: int, escrow: str) -> bytes:
        """A 65-byte signature of `account` over the terms."""
        return bytes(account.sign_message(self.signable(chain_id, escrow)).signature)

    def signer_of(self, signature: bytes, chain_id: int, escrow: str) -> str:
        """The address that produced `signature` over these terms (EOA signatures)."""
        return Account.recover_message(self.signable(chain_id, escrow), signature=signature)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form (amounts as decimal strings) that `from_json` reads back."""
        return {
            "deal_id": "0x" + self.deal_id.hex(),
            "buyer": self.buyer,
            "seller": self.seller,
            "token": self.token,
            "amount": str(self.amount),
            "ship_by": self.ship_by,
            "inspection_period": self.inspection_period,
            "details": self.details,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TradeTerms:
        """Read terms written by `to_json`."""
        return cls(
            deal_id=bytes.fromhex(str(data["deal_id"]).removeprefix("0x")),
            buyer=data["buyer"],
            seller=data["seller"],
            token=data["token"],
            amount=int(data["amount"]),
            ship_by=int(data["ship_by"]),
            inspection_period=int(data["inspection_period"]),
            details=dict(data["details"]),
        )
