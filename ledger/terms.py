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
DOMAIN_VERSION = "2"
TERMS_FIELDS = [
    {"name": "dealId", "type": "bytes32"},
    {"name": "buyer", "type": "address"},
    {"name": "seller", "type": "address"},
    {"name": "token", "type": "address"},
    {"name": "amount", "type": "uint256"},
    {"name": "shipBy", "type": "uint64"},
    {"name": "inspectionPeriod", "type": "uint32"},
    {"name": "disputePeriod", "type": "uint32"},
    {"name": "arbiter", "type": "address"},
    {"name": "arbiterFeeBps", "type": "uint16"},
    {"name": "platformFeeBps", "type": "uint16"},
    {"name": "defaultBuyerBps", "type": "uint16"},
    {"name": "milestones", "type": "uint128"},
    {"name": "detailsHash", "type": "bytes32"},
]
BPS = 10_000
MAX_MILESTONES = 8


def pack_milestones(tranches_bps: list[int]) -> int:
    """Tranches in basis points (summing to 10,000) packed 16 bits each, first lowest; [] or [10000] is 0."""
    if not tranches_bps or list(tranches_bps) == [BPS]:
        return 0
    if sum(tranches_bps) != BPS or len(tranches_bps) > MAX_MILESTONES or min(tranches_bps) <= 0:
        raise ValueError(f"milestones must be 1 to {MAX_MILESTONES} positive shares summing to {BPS} bps")
    return sum(bps << (16 * i) for i, bps in enumerate(tranches_bps))


def unpack_milestones(packed: int) -> list[int]:
    """The tranches of a packed milestone word ([10000] for a single payment)."""
    if packed == 0:
        return [BPS]
    tranches = []
    while packed:
        tranches.append(packed & 0xFFFF)
        packed >>= 16
    return tranches


def tranche_amounts(amount: int, packed: int) -> list[int]:
    """Token amount of each milestone, rounded as TradeEscrow does (they add up to `amount`)."""
    cumulative, amounts = 0, []
    for bps in unpack_milestones(packed):
        before = amount * cumulative // BPS
        cumulative += bps
        amounts.append(amount * cumulative // BPS - before)
    return amounts


def deal_id_for(reference: str) -> bytes:
    """A deal id derived from a marketplace reference (unique per trade)."""
    return keccak(text=f"tradewind:deal:{reference}")


@dataclass(frozen=True)
class TradeTerms:
    """What the seller signs and the buyer funds (TradeEscrow.Terms). `details` holds the commercial
    terms (goods, quantity, Incoterm, prices, FX snapshot); only their hash goes on chain. The EIP-712
    digest is also the deal's key in the escrow."""

    deal_id: bytes
    buyer: str
    seller: str
    token: str
    amount: int
    ship_by: int
    inspection_period: int
    dispute_period: int
    arbiter: str
    arbiter_fee_bps: int = 0
    platform_fee_bps: int = 0
    default_buyer_bps: int = 5000
    milestones: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.deal_id) != 32:
            raise ValueError("deal_id must be 32 bytes")
        if self.amount <= 0:
            raise ValueError("amount must be positive")
        for name in ("buyer", "seller", "token", "arbiter"):
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
            self.dispute_period,
            self.arbiter,
            self.arbiter_fee_bps,
            self.platform_fee_bps,
            self.default_buyer_bps,
            self.milestones,
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
            "dispute_period": self.dispute_period,
            "arbiter": self.arbiter,
            "arbiter_fee_bps": self.arbiter_fee_bps,
            "platform_fee_bps": self.platform_fee_bps,
            "default_buyer_bps": self.default_buyer_bps,
            "milestones": str(self.milestones),
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
            dispute_period=int(data["dispute_period"]),
            arbiter=data["arbiter"],
            arbiter_fee_bps=int(data["arbiter_fee_bps"]),
            platform_fee_bps=int(data["platform_fee_bps"]),
            default_buyer_bps=int(data["default_buyer_bps"]),
            milestones=int(data["milestones"]),
            details=dict(data["details"]),
        )
