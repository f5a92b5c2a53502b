"""Trade requests: document hashes and settlement amounts."""

from __future__ import annotations

from marketplace.validate import Amount, Schema, Sha256, Whole


class ShipmentIn(Schema):
    document_hash: Sha256


class DisputeIn(Schema):
    evidence_hash: Sha256


class SplitIn(Schema):
    """A settlement proposal or a ruling: how much of what is escrowed goes to the buyer."""

    buyer_amount: Amount


class MilestoneIn(Schema):
    milestone: Whole(64)
