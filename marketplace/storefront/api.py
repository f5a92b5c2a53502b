"""Storefront API: an exporter's public profile and trade record, and the public proof of a settlement.
Its listings come from the catalog's listing API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, url_for

from marketplace.accounts.api import profile_json
from marketplace.storefront import service
from marketplace.web import db, platform

bp = Blueprint("storefront_api", __name__)


@bp.get("/storefronts/<slug>")
def show(slug: str) -> Any:
    """An exporter's storefront: its profile, its response time and its verified trade record (404 for a
    buyer, an auditor or an unknown slug). Its listings: `GET /listings?exporter={slug}`.

    `response_time` covers the RFQs of the last `window_days` days: how many it received, how many it
    quoted, and the median seconds from an RFQ to its first quote (null while none is answered). `record`
    counts its trades in progress, settled, and settlements anchored on chain, with a public proof of each."""
    org = service.exporter_by_slug(db(), slug)
    response = service.response_time(db(), org)
    record = service.trade_record(db(), org)
    return jsonify(
        {
            "profile": profile_json(org),
            "response_time": {
                "window_days": service.RESPONSE_WINDOW_DAYS,
                "rfqs": response.received,
                "answered": response.answered,
                "median_seconds": int(response.median.total_seconds()) if response.median is not None else None,
            },
            "record": {
                "in_progress": record.in_progress,
                "settled": record.settled,
                "anchored": record.anchored,
                "proofs": [
                    {
                        "trade": trade.reference,
                        "url": url_for("api.storefront_api.proof", slug=org.slug, reference=trade.reference),
                        "page": url_for("storefront.proof", slug=org.slug, reference=trade.reference),
                    }
                    for trade in record.proofs
                ],
            },
            "page": url_for("storefront.show", slug=org.slug),
        }
    )


@bp.get("/storefronts/<slug>/proofs/<reference>")
def proof(slug: str, reference: str) -> Any:
    """The public proof of one of the exporter's anchored settlements: its Merkle leaf and path, the root, the
    anchoring transaction and block, the registry and chain; nothing about price, quantity or buyer. It is
    checked by `tradewind verify`, or by SettlementRegistry.verify on the chain."""
    org = service.exporter_by_slug(db(), slug)
    return jsonify(service.public_proof(db(), org, reference, platform().ctx).as_json())
