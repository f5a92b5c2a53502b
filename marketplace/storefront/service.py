"""What a storefront shows: the exporter, its response time, its trade record and the public proofs
of its anchored settlements (inclusion in an anchored Merkle root, without the trade's terms)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from ledger.bundle import INCLUSION_SCHEMA
from ledger.merkle import merkle_proof, verify_proof
from marketplace.accounts.models import Organization, OrgKind
from marketplace.chain_context import ChainContext
from marketplace.db import utcnow
from marketplace.errors import NotFound
from marketplace.rfq.models import Quote, Rfq
from marketplace.trades.models import FINAL, BatchStatus, SettlementBatch, Trade

RESPONSE_WINDOW_DAYS = 180
PROOFS_SHOWN = 50


def exporter_by_slug(session: Session, slug: str) -> Organization:
    """The exporter whose storefront is /s/`slug`; other organizations have none (404)."""
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None or org.kind != OrgKind.EXPORTER:
        raise NotFound("there is no storefront %(slug)s", slug=slug[:64])
    return org


@dataclass(frozen=True)
class ResponseTime:
    """How fast the exporter answers RFQs: over the RFQs it received in the window, how many it quoted,
    and the median time from an RFQ to its first quote (None: nothing received, or nothing answered)."""

    received: int
    answered: int
    median: timedelta | None


def _seconds_between(session: Session, start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[Any]:
    """`end - start` in seconds, as the database computes it."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86_400.0


def response_time(
    session: Session, org: Organization, now: datetime | None = None, days: int = RESPONSE_WINDOW_DAYS
) -> ResponseTime:
    """The exporter's response time over the RFQs it received in the last `days` days: one aggregate query,
    however many RFQs (the median is the middle delay, or the mean of the two middle ones)."""
    since = (now or utcnow()) - timedelta(days=days)
    firsts = (
        select(Rfq.created_at.label("asked"), func.min(Quote.created_at).label("answered"))
        .outerjoin(Quote, Quote.rfq_id == Rfq.id)
        .where(Rfq.seller_org_id == org.id, Rfq.created_at >= since)
        .group_by(Rfq.id, Rfq.created_at)
        .cte("firsts")
    )
    delay = _seconds_between(session, firsts.c.asked, firsts.c.answered)
    ranked = (
        select(
            delay.label("delay"),
            func.row_number().over(order_by=delay).label("position"),
            func.count().over().label("total"),
        )
        .where(firsts.c.answered.is_not(None))
        .subquery("ranked")
    )
    middle = or_(ranked.c.position == (ranked.c.total + 1) // 2, ranked.c.position == (ranked.c.total + 2) // 2)
    received, answered, median = session.execute(
        select(
            select(func.count()).select_from(firsts).scalar_subquery(),
            select(func.count(firsts.c.answered)).scalar_subquery(),
            select(func.avg(ranked.c.delay)).where(middle).scalar_subquery(),
        )
    ).one()
    seconds = None if median is None else max(0, round(float(median)))
    return ResponseTime(received, answered, timedelta(seconds=seconds) if seconds is not None else None)


@dataclass(frozen=True)
class TradeRecord:
    """The exporter's trades as the platform indexed them from the chain: in progress, settled, and the
    settlements anchored on chain (newest first, at most PROOFS_SHOWN of them listed)."""

    in_progress: int
    settled: int
    anchored: int
    proofs: list[Trade]


def _anchored(org: Organization):  # type: ignore[no-untyped-def]
    return (
        select(Trade)
        .join(SettlementBatch, SettlementBatch.id == Trade.batch_id)
        .where(Trade.seller_org_id == org.id, SettlementBatch.status == BatchStatus.ANCHORED, Trade.leaf.is_not(None))
    )


def trade_record(session: Session, org: Organization) -> TradeRecord:
    """The exporter's verified trade record."""
    by_status = dict(
        session.execute(
            select(Trade.status, func.count()).where(Trade.seller_org_id == org.id).group_by(Trade.status)
        ).all()
    )
    settled = sum(count for status, count in by_status.items() if status in FINAL)
    anchored = session.scalar(select(func.count()).select_from(_anchored(org).subquery())) or 0
    proofs = list(session.scalars(_anchored(org).order_by(Trade.id.desc()).limit(PROOFS_SHOWN)))
    return TradeRecord(sum(by_status.values()) - settled, settled, anchored, proofs)


@dataclass(frozen=True)
class PublicProof:
    """That a settlement is a leaf of a root anchored in SettlementRegistry: hashes, the anchoring
    transaction and the contract. Nothing about price, quantity or the buyer."""

    reference: str
    leaf: str
    proof: list[str]
    root: str
    batch_id: int
    leaf_count: int
    anchor_tx: str
    anchored_block: int | None
    chain_id: int
    registry: str

    def as_json(self) -> dict[str, object]:
        return {
            "schema": INCLUSION_SCHEMA,
            "trade": self.reference,
            "chain_id": self.chain_id,
            "registry": self.registry,
            "merkle": {
                "leaf": self.leaf,
                "proof": self.proof,
                "root": self.root,
                "batch_id": self.batch_id,
                "leaf_count": self.leaf_count,
            },
            "anchor": {"transaction": self.anchor_tx, "block": self.anchored_block},
        }


def public_proof(session: Session, org: Organization, reference: str, ctx: ChainContext) -> PublicProof:
    """The public proof of one of the exporter's anchored settlements (404 for any other reference)."""
    trade = session.scalar(_anchored(org).where(Trade.reference == reference))
    if trade is None or trade.batch is None:
        raise NotFound("no anchored settlement %(reference)s here", reference=reference[:32])
    batch = trade.batch
    leaf = bytes.fromhex(trade.leaf[2:])
    proof = merkle_proof([bytes.fromhex(t.leaf[2:]) for t in batch.trades if t.leaf], leaf)
    assert verify_proof(proof, bytes.fromhex(batch.root[2:]), leaf), f"batch {batch.id} does not hold its leaf"
    return PublicProof(
        reference=trade.reference,
        leaf=trade.leaf,
        proof=["0x" + p.hex() for p in proof],
        root=batch.root,
        batch_id=batch.id,
        leaf_count=batch.leaf_count,
        anchor_tx=batch.anchor_tx or "",
        anchored_block=batch.anchored_block,
        chain_id=batch.chain_id,
        registry=ctx.contracts.registry,
    )
