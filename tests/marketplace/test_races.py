"""Concurrent requests for the same change, for real, with threads against PostgreSQL: one wins, the
other gets 409 and writes nothing (no 500, no second outbox row, no open revision on a closed RFQ)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest
from sqlalchemy import func, select

from ledger.store import OutboxTx
from marketplace.rfq.models import Quote, QuoteStatus, Rfq, RfqStatus
from marketplace.trades.models import Trade
from tests.conftest import Orgs
from tests.marketplace import flow
from tests.marketplace.test_api import token
from tests.marketplace.test_pages import login

pytestmark = pytest.mark.postgres
ROUNDS = 6


def together(*calls: Callable[[], int]) -> list[int]:
    """Run `calls` in threads released at the same moment; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[int] = [0] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def post(client, path: str, **kwargs: object) -> int:  # type: ignore[no-untyped-def]
    return client.post(path, **kwargs).status_code


def count(platform, model, *where) -> int:  # type: ignore[no-untyped-def]
    with platform.db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_a_quote_accepted_twice_at_once_makes_one_trade_and_a_409(pg_app, pg_platform) -> None:  # type: ignore[no-untyped-def]
    orgs = Orgs(pg_platform)
    exporter, buyer = orgs.exporter(), orgs.buyer()
    clients = [pg_app.test_client() for _ in range(2)]
    headers = token(clients[0], buyer)
    for round_ in range(ROUNDS):
        quote_id = flow.quote(pg_platform, exporter, buyer, sku=f"R-{round_}")
        statuses = together(*(partial(post, c, f"/api/v1/quotes/{quote_id}/accept", headers=headers) for c in clients))
        assert sorted(statuses) == [201, 409]
        assert count(pg_platform, Trade, Trade.quote_id == quote_id) == 1


def test_a_trade_funded_twice_at_once_queues_its_transactions_once(pg_app, pg_platform) -> None:  # type: ignore[no-untyped-def]
    orgs = Orgs(pg_platform)
    exporter, buyer = orgs.exporter(), orgs.buyer()
    api = [pg_app.test_client() for _ in range(2)]
    headers = token(api[0], buyer)
    pages = [pg_app.test_client() for _ in range(2)]
    csrf = [login(page, buyer) for page in pages]
    for round_ in range(ROUNDS):
        trade_id = flow.accepted(pg_platform, exporter, buyer, sku=f"F-{round_}")
        if round_ % 2:  # a double submit of the page's form
            calls = [
                partial(post, p, f"/trades/{trade_id}/fund", data={"csrf_token": t})
                for p, t in zip(pages, csrf, strict=True)
            ]
            winner = 302
        else:
            calls = [partial(post, c, f"/api/v1/trades/{trade_id}/fund", headers=headers) for c in api]
            winner = 202
        assert sorted(together(*calls)) == sorted([winner, 409])
        assert count(pg_platform, OutboxTx, OutboxTx.reference == f"trade:{trade_id}:fund") == 2  # approve, open


def test_a_revision_racing_the_accept_never_stays_open_on_a_closed_rfq(pg_app, pg_platform) -> None:  # type: ignore[no-untyped-def]
    orgs = Orgs(pg_platform)
    exporter, buyer = orgs.exporter(), orgs.buyer()
    buyer_c, seller_c = pg_app.test_client(), pg_app.test_client()
    buyer_h, seller_h = token(buyer_c, buyer), token(seller_c, exporter)
    for round_ in range(ROUNDS):
        quote_id = flow.quote(pg_platform, exporter, buyer, sku=f"R-{round_}")
        with pg_platform.db.session() as s:
            rfq_id = s.get(Quote, quote_id).rfq_id
        accept, revise = together(
            partial(post, buyer_c, f"/api/v1/quotes/{quote_id}/accept", headers=buyer_h),
            partial(post, seller_c, f"/api/v1/rfqs/{rfq_id}/quotes", headers=seller_h, json={"unit_price": "1.05"}),
        )
        assert sorted([accept, revise]) in ([201, 409],), (accept, revise)
        with pg_platform.db.session() as s:
            rfq = s.get(Rfq, rfq_id)
            statuses = [q.status for q in rfq.quotes]
            if accept == 201:
                assert rfq.status == RfqStatus.ACCEPTED and statuses == [QuoteStatus.ACCEPTED]
            else:
                assert rfq.status == RfqStatus.OPEN and statuses == [QuoteStatus.SUPERSEDED, QuoteStatus.OPEN]
