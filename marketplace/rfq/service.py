"""RFQs, quotes and their revision chain."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ledger.canonical import document_hash
from ledger.terms import MAX_MILESTONES
from marketplace.accounts.models import OrgKind, User
from marketplace.accounts.service import require
from marketplace.catalog.service import quotable_listing
from marketplace.db import as_utc, transition
from marketplace.errors import Conflict, Invalid, NotFound
from marketplace.pricing.money import MAX_MINOR, Money
from marketplace.rfq.models import Quote, QuoteStatus, Rfq, RfqStatus

GENESIS = "0x" + "00" * 32


def create_rfq(session: Session, user: User, *, listing_id: int, quantity: int, message: str = "") -> Rfq:
    """A buyer asks the listing's exporter for a quote (arguments checked by `RfqIn`, rfq.schemas)."""
    org = require(user, OrgKind.BUYER)
    listing = quotable_listing(session, listing_id, org.id)
    if quantity < listing.moq:
        raise Invalid("the minimum order quantity is %(moq)s %(unit)s", "quantity", moq=listing.moq, unit=listing.unit)
    rfq = Rfq(
        buyer_org_id=org.id,
        seller_org_id=listing.organization_id,
        listing_id=listing.id,
        quantity=quantity,
        message=message,
    )
    session.add(rfq)
    session.flush()
    return rfq


def visible_rfq(session: Session, user: User, rfq_id: int) -> Rfq:
    """The RFQ if the user's organization is its buyer or seller."""
    rfq = session.get(Rfq, rfq_id)
    if rfq is None or user.organization_id not in (rfq.buyer_org_id, rfq.seller_org_id):
        raise NotFound("no such RFQ")
    return rfq


def rfqs_for(session: Session, user: User) -> list[Rfq]:
    org_id = user.organization_id
    return list(
        session.scalars(
            select(Rfq).where(or_(Rfq.buyer_org_id == org_id, Rfq.seller_org_id == org_id)).order_by(Rfq.id.desc())
        )
    )


def quote_document(quote: Quote) -> dict[str, object]:
    """What a quote revision's hash covers."""
    return {
        "rfq": quote.rfq_id,
        "revision": quote.revision,
        "prev_hash": quote.prev_hash,
        "seller": quote.rfq.seller_org_id,
        "buyer": quote.rfq.buyer_org_id,
        "listing": quote.rfq.listing_id,
        "unit_price": {"currency": quote.currency, "minor": quote.unit_price_minor},
        "quantity": quote.quantity,
        "incoterm": quote.incoterm,
        "incoterm_place": quote.incoterm_place,
        "lead_time_days": quote.lead_time_days,
        "payment_schedule_bps": list(quote.schedule_bps),
        "valid_until": as_utc(quote.valid_until).isoformat(timespec="seconds"),
        "note": quote.note,
    }


def parse_schedule(text: str | None) -> str:
    """A payment schedule such as "30/70" (percentages) as comma-separated basis points ("" for one payment)."""
    parts = [p for p in re.split(r"[/,;\s]+", (text or "").strip()) if p]
    if len(parts) <= 1:
        if parts and parts[0].rstrip("%") not in ("100", "100.0", "100.00"):
            raise Invalid("a single payment is 100%; give shares such as 30/70", "payment_schedule")
        return ""
    try:
        shares = [Decimal(p.rstrip("%")) * 100 for p in parts]
    except InvalidOperation as exc:
        raise Invalid("give the payment schedule as percentages such as 30/70", "payment_schedule") from exc
    if any(s != s.to_integral_value() or s <= 0 for s in shares) or sum(shares) != 10_000:
        raise Invalid("the shares must be positive, at most two decimals, and add up to 100%", "payment_schedule")
    if len(shares) > MAX_MILESTONES:
        raise Invalid("at most %(count)s payments", "payment_schedule", count=MAX_MILESTONES)
    return ",".join(str(int(s)) for s in shares)


def submit_quote(
    session: Session,
    user: User,
    rfq_id: int,
    *,
    unit_price: Decimal | str | None = None,
    quantity: int | None = None,
    incoterm: str | None = None,
    incoterm_place: str | None = None,
    lead_time_days: int | None = None,
    valid_days: int = 14,
    note: str = "",
    payment_schedule: str = "",
) -> Quote:
    """The seller answers an RFQ, or revises its offer: a new revision that supersedes the last.
    What is left out is taken from the RFQ and the listing (arguments checked by `QuoteIn`, rfq.schemas).
    A revision racing the buyer's accept of the one before is refused (409), never left open."""
    org = require(user, OrgKind.EXPORTER)
    rfq = visible_rfq(session, user, rfq_id)
    if rfq.seller_org_id != org.id:
        raise NotFound("no such RFQ")
    if rfq.status != RfqStatus.OPEN:
        raise Conflict("this RFQ is closed: a quote was accepted")
    listing = rfq.listing
    quantity = quantity or rfq.quantity
    if unit_price is None:
        price = listing.price_for(quantity)
    else:
        price = Money.parse(unit_price, listing.currency, "unit_price")
    if price.minor == 0:
        raise Invalid("the unit price must be above zero", "unit_price")
    if price.minor * quantity > MAX_MINOR:
        raise Invalid("the total of this quote is too large", "quantity")
    rule = incoterm or listing.offer.rule
    previous = rfq.quotes[-1] if rfq.quotes else None
    if previous is not None and not transition(session, previous, "status", QuoteStatus.OPEN, QuoteStatus.SUPERSEDED):
        raise Conflict("the buyer accepted revision %(revision)s meanwhile", revision=previous.revision)
    quote = Quote(
        rfq=rfq,
        rfq_id=rfq.id,
        revision=(previous.revision + 1) if previous else 1,
        unit_price_minor=price.minor,
        currency=price.currency,
        quantity=quantity,
        incoterm=rule,
        incoterm_place=next((o.place for o in listing.offers if o.rule == rule), "")
        if incoterm_place is None
        else incoterm_place,
        lead_time_days=lead_time_days or listing.lead_time_days,
        milestones=parse_schedule(payment_schedule),
        valid_until=datetime.now(UTC).replace(microsecond=0) + timedelta(days=valid_days),
        note=note,
        prev_hash=previous.hash if previous else GENESIS,
        hash="",
    )
    quote.hash = "0x" + document_hash(quote_document(quote)).hex()
    session.add(quote)
    session.flush()
    return quote


def history_intact(rfq: Rfq) -> bool:
    """Whether every revision's hash matches its content and links to the one before."""
    prev = GENESIS
    for quote in rfq.quotes:
        if quote.prev_hash != prev or quote.hash != "0x" + document_hash(quote_document(quote)).hex():
            return False
        prev = quote.hash
    return True


def acceptable_quote(session: Session, user: User, quote_id: int) -> Quote:
    """The quote the buyer may accept now: open, the latest revision, not expired."""
    require(user, OrgKind.BUYER)
    quote = session.get(Quote, quote_id)
    if quote is None or quote.rfq.buyer_org_id != user.organization_id:
        raise NotFound("no such quote")
    if quote.status != QuoteStatus.OPEN:
        raise Conflict("this quote is %(status)s and can no longer be accepted", status=quote.status)
    if as_utc(quote.valid_until) <= datetime.now(UTC):
        raise Conflict("this quote expired; ask the seller for a new revision")
    if quote.rfq.status != RfqStatus.OPEN:
        raise Conflict("this RFQ already has an accepted quote")
    return quote
