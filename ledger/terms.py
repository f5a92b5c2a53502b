"""Canonical trade terms and their EIP-712 digest: the one definition used by the marketplace, the
relay, the contract (TradeEscrow.Terms) and the auditor. The digest is also the deal's key in the escrow."""

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
    {"name": "buyer", "type": "address"},
    {"name": "seller", "type": "address"},
    {"name": "token", "type": "address"},
    {"name": "amount", "type": "uint256"},
    {"name": "arbiter", "type": "address"},
    {"name": "schedule", "type": "uint256"},
    {"name": "detailsHash", "type": "bytes32"},
]
BPS = 10_000
MAX_MILESTONES = 6
# (name, bit offset, bit width) of the fields packed in Terms.schedule
SCHEDULE_LAYOUT = (
    ("ship_by", 0, 40),
    ("inspection_period", 40, 32),
    ("dispute_period", 72, 32),
    ("platform_fee_bps", 104, 16),
    ("arbiter_fee_bps", 120, 16),
    ("default_buyer_bps", 136, 16),
)
MILESTONES_OFFSET = 152


def tranche_amounts(amount: int, milestones: tuple[int, ...]) -> list[int]:
    """Token amount of each milestone, rounded as TradeEscrow does (they add up to `amount`)."""
    cumulative, amounts = 0, []
    for bps in milestones or (BPS,):
        before = amount * cumulative // BPS
        cumulative += bps
        amounts.append(amount * cumulative // BPS - before)
    return amounts


def compact_signature(signature: bytes) -> bytes:
    """65-byte (r, s, v) to 64-byte ERC-2098 (r, yParity << 255 | s)."""
    if len(signature) != 65:
        raise ValueError("expected a 65-byte signature")
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (s | ((v - 27) << 255)).to_bytes(32, "big")


def expand_signature(signature: bytes) -> bytes:
    """64-byte ERC-2098 to 65-byte (r, s, v); 65-byte signatures are returned as they are."""
    if len(signature) == 65:
        return signature
    if len(signature) != 64:
        raise ValueError("expected a 64- or 65-byte signature")
    vs = int.from_bytes(signature[32:], "big")
    return signature[:32] + (vs & ((1 << 255) - 1)).to_bytes(32, "big") + bytes([27 + (vs >> 255)])


@dataclass(frozen=True)
class TradeTerms:
    """What the seller signs and the buyer funds. `details` holds the commercial terms (deal reference,
    goods, Incoterm, prices, FX snapshot); only their hash goes on chain. Deadlines, fees and milestones
    are packed into one `schedule` word on chain (see SCHEDULE_LAYOUT); `milestones` lists the tranches
    in basis points, empty for a single payment."""

    buyer: str
    seller: str
    token: str
    amount: int
    arbiter: str
    ship_by: int
    inspection_period: int
    dispute_period: int
    platform_fee_bps: int = 0
    arbiter_fee_bps: int = 0
    default_buyer_bps: int = 5000
    milestones: tuple[int, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("amount must be positive")
        for name in ("buyer", "seller", "token", "arbiter"):
            object.__setattr__(self, name, to_checksum_address(getattr(self, name)))
        milestones = tuple(int(m) for m in self.milestones)
        if milestones == (BPS,):
            milestones = ()
        if milestones and (sum(milestones) != BPS or len(milestones) > MAX_MILESTONES or min(milestones) <= 0):
            raise ValueError(f"milestones must be 1 to {MAX_MILESTONES} positive shares summing to {BPS} bps")
        object.__setattr__(self, "milestones", milestones)

    @property
    def details_hash(self) -> bytes:
        """keccak256 of the canonical JSON of the commercial details."""
        return document_hash(self.details)

    @property
    def schedule(self) -> int:
        """Deadlines, fees and milestones packed as TradeEscrow.Terms.schedule."""
        word = 0
        for name, offset, width in SCHEDULE_LAYOUT:
            value = int(getattr(self, name))
            if not 0 <= value < 1 << width:
                raise ValueError(f"{name} does not fit in {width} bits")
            word |= value << offset
        for index, bps in enumerate(self.milestones):
            word |= bps << (MILESTONES_OFFSET + 16 * index)
        return word

    @property
    def tranches(self) -> list[int]:
        """Token amount of each milestone."""
        return tranche_amounts(self.amount, self.milestones)

    def as_tuple(self) -> tuple[Any, ...]:
        """The terms as the contract's `Terms` struct argument."""
        return (self.buyer, self.seller, self.token, self.amount, self.arbiter, self.schedule, self.details_hash)

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
        """The 32-byte EIP-712 digest that the seller signs; the deal's key in the escrow."""
        message = self.signable(chain_id, escrow)
        return keccak(b"\x19" + message.version + message.header + message.body)

    def sign(self, account: LocalAccount, chain_id: int, escrow: str) -> bytes:
        """A 64-byte ERC-2098 compact signature of `account` over the terms (cheapest to send)."""
        return compact_signature(bytes(account.sign_message(self.signable(chain_id, escrow)).signature))

    def signer_of(self, signature: bytes, chain_id: int, escrow: str) -> str:
        """The address that produced an EOA `signature` (65 or 64 bytes) over these terms."""
        return Account.recover_message(self.signable(chain_id, escrow), signature=expand_signature(signature))

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe, readable form (amounts as decimal strings) that `from_json` reads back."""
        return {
            "buyer": self.buyer,
            "seller": self.seller,
            "token": self.token,
            "amount": str(self.amount),
            "arbiter": self.arbiter,
            "ship_by": self.ship_by,
            "inspection_period": self.inspection_period,
            "dispute_period": self.dispute_period,
            "platform_fee_bps": self.platform_fee_bps,
            "arbiter_fee_bps": self.arbiter_fee_bps,
            "default_buyer_bps": self.default_buyer_bps,
            "milestones": list(self.milestones),
            "details": self.details,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TradeTerms:
        """Read terms written by `to_json`."""
        return cls(
            buyer=data["buyer"],
            seller=data["seller"],
            token=data["token"],
            amount=int(data["amount"]),
            arbiter=data["arbiter"],
            ship_by=int(data["ship_by"]),
            inspection_period=int(data["inspection_period"]),
            dispute_period=int(data["dispute_period"]),
            platform_fee_bps=int(data["platform_fee_bps"]),
            arbiter_fee_bps=int(data["arbiter_fee_bps"]),
            default_buyer_bps=int(data["default_buyer_bps"]),
            milestones=tuple(int(m) for m in data["milestones"]),
            details=dict(data["details"]),
        )
