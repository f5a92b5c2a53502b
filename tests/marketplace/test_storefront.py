"""Storefronts: the exporter's public page, its response time, its verified trade record and the public
proofs behind it, and the profile its admins edit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from ledger.contracts import REGISTRY, bind
from ledger.merkle import verify_proof
from ledger.verify import verify_inclusion
from marketplace.accounts.models import Organization, Role
from marketplace.accounts.service import create_user, issue_token
from marketplace.catalog.service import create_listing
from marketplace.db import utcnow
from marketplace.rfq.models import Quote, Rfq
from marketplace.rfq.service import create_rfq, submit_quote
from marketplace.storefront.service import response_time, trade_record
from marketplace.trades import actions
from marketplace.worker import Worker
from tests.conftest import PASSWORD, Orgs, org_of
from tests.marketplace import flow
from tests.marketplace.test_pages import login

DOC = "0x" + "cd" * 32


def bearer(platform, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with platform.db.session() as s:
        return {"Authorization": f"Bearer {issue_token(s, s.merge(user), 'test')[1]}"}


def set_profile(platform, user, **fields: object) -> str:  # type: ignore[no-untyped-def]
    """Write profile fields straight into the organization; returns its slug."""
    with platform.db.session() as s:
        org = s.get(Organization, user.organization_id)
        for name, value in fields.items():
            setattr(org, name, value)
        return org.slug


@pytest.mark.parametrize(
    ("lang", "country", "language", "heading"),
    [
        ("en", "Germany", "Japanese", "Verified trade record"),
        ("de", "Deutschland", "Japanisch", "Verifizierte Handelshistorie"),
        ("ja", "ドイツ", "日本語", "検証済みの取引実績"),
    ],
)
def test_the_storefront_shows_the_profile_in_the_viewers_language(
    client, platform, orgs, lang: str, country: str, language: str, heading: str
) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    slug = set_profile(platform, exporter, founded_year=1987, certifications=["ISO 9001:2015"], languages=["de", "ja"])
    flow.listing(platform, exporter, sku="SF-1")
    page = client.get(f"/s/{slug}?lang={lang}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert org_of(platform, exporter).name in text
    for shown in (country, language, heading, "1987", "ISO 9001:2015", "/listings/"):
        assert shown in text, shown
    assert 'href="/listings/' in text


def test_listing_pages_link_the_exporters_storefront(client, platform, orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    listing_id = flow.listing(platform, exporter, sku="SF-LINK")
    slug = org_of(platform, exporter).slug
    assert f'href="/s/{slug}"' in client.get(f"/listings/{listing_id}").get_data(as_text=True)


def test_unknown_slugs_and_buyers_have_no_storefront(client, platform, orgs) -> None:  # type: ignore[no-untyped-def]
    buyer = orgs.buyer()
    for slug in ("no-such-exporter", org_of(platform, buyer).slug):
        assert client.get(f"/s/{slug}").status_code == 404
        response = client.get(f"/api/v1/storefronts/{slug}")
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def _rfq_answered_after(platform, exporter, buyer, listing_id: int, asked_ago: timedelta, delay: timedelta | None):  # type: ignore[no-untyped-def]
    """An RFQ sent `asked_ago`, its first quote `delay` later (None: unanswered)."""
    asked = utcnow() - asked_ago
    with platform.db.session() as s:
        rfq = create_rfq(s, s.merge(buyer), listing_id=listing_id, quantity=200)
        rfq.created_at = asked
        if delay is not None:
            first = submit_quote(s, s.merge(exporter), rfq.id, unit_price="1.10")
            first.created_at = asked + delay
            later = submit_quote(s, s.merge(exporter), rfq.id, unit_price="1.05")
            later.created_at = asked + delay + timedelta(days=3)  # revisions do not count


def test_response_time_is_the_median_from_rfq_to_first_quote(client, platform, orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    listing_id = flow.listing(platform, exporter, sku="SF-RT")
    slug = org_of(platform, exporter).slug
    with platform.db.session() as s:
        empty = response_time(s, s.get(Organization, exporter.organization_id))
    assert (empty.received, empty.answered, empty.median) == (0, 0, None)
    assert "no quotes yet" in client.get(f"/s/{slug}?lang=en").get_data(as_text=True)

    day = timedelta(days=1)
    for ago, delay in [
        (10 * day, timedelta(hours=2)),
        (20 * day, timedelta(hours=4)),
        (30 * day, timedelta(hours=30)),
        (5 * day, None),  # unanswered: counted as received only
        (200 * day, timedelta(hours=1)),  # outside the 180-day window
    ]:
        _rfq_answered_after(platform, exporter, buyer, listing_id, ago, delay)
    with platform.db.session() as s:
        measured = response_time(s, s.get(Organization, exporter.organization_id))
        assert s.query(Quote).join(Rfq).filter(Rfq.seller_org_id == exporter.organization_id).count() == 8
    assert (measured.received, measured.answered, measured.median) == (4, 3, timedelta(hours=4))
    body = client.get(f"/api/v1/storefronts/{slug}").json["response_time"]
    assert body == {"window_days": 180, "rfqs": 4, "answered": 3, "median_seconds": 4 * 3600}
    assert "4 hours" in client.get(f"/s/{slug}?lang=en").get_data(as_text=True)


def _shown_response_time(client, slug: str, lang: str) -> str:  # type: ignore[no-untyped-def]
    page = client.get(f"/s/{slug}?lang={lang}").get_data(as_text=True)
    return re.sub(r"\s+", " ", re.search(r'<td id="response-time">(.*?)</td>', page, re.S)[1])


@pytest.mark.parametrize(
    ("lang", "none_yet", "unanswered", "instantly", "hours", "day"),
    [
        ("en", "no quotes yet", "(1 RFQ in the last 180 days)", "under a minute", "45 minutes", "1 day"),
        (
            "de",
            "noch keine Angebote",
            "(1 Anfrage in den letzten 180 Tagen)",
            "unter einer Minute",
            "45 Minuten",
            "1 Tag",
        ),
        ("ja", "見積もりはまだありません", "(過去180日間の見積依頼1件)", "1 分未満", "45 分", "1 日"),
    ],
)
def test_the_response_time_reads_naturally_and_never_as_zero_seconds(
    client, platform, orgs, lang: str, none_yet: str, unanswered: str, instantly: str, hours: str, day: str
) -> None:  # type: ignore[no-untyped-def]
    """No quote yet is said so (also while RFQs wait for one); an answer within a second is 'under a minute', not
    '0 seconds'; longer ones in minutes, hours or days, in the viewer's language."""
    buyer = orgs.buyer()
    shown = {}
    for case, answers in {
        "none": [],
        "unanswered": [None],
        "instantly": [timedelta(milliseconds=300)],
        "minutes": [timedelta(minutes=45)],
        "days": [timedelta(hours=20), timedelta(hours=30), timedelta(hours=40)],
    }.items():
        exporter = orgs.exporter()
        listing_id = flow.listing(platform, exporter, sku=f"RT-{case}")
        for n, delay in enumerate(answers):
            _rfq_answered_after(platform, exporter, buyer, listing_id, timedelta(days=n + 1), delay)
        shown[case] = _shown_response_time(client, org_of(platform, exporter).slug, lang)
    assert shown["none"] == none_yet
    assert shown["unanswered"] == f'{none_yet} <span class="muted">{unanswered}</span>'
    assert shown["instantly"].startswith(instantly) and "0 " not in shown["instantly"].split("(")[0]
    assert shown["minutes"].startswith(hours)
    assert shown["days"].startswith(day)


def test_the_response_time_is_one_query_however_many_rfqs(platform, orgs) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    exporter, buyer = orgs.exporter(), orgs.buyer()
    listing_id = flow.listing(platform, exporter, sku="RT-MANY")
    for n in range(12):
        _rfq_answered_after(platform, exporter, buyer, listing_id, timedelta(days=n + 1), timedelta(minutes=n * 10))
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    with platform.db.session() as s:
        org = s.get(Organization, exporter.organization_id)
        event.listen(platform.db.engine, "before_cursor_execute", count)
        try:
            measured = response_time(s, org)
        finally:
            event.remove(platform.db.engine, "before_cursor_execute", count)
    assert (measured.received, measured.answered, measured.median) == (12, 12, timedelta(minutes=55))
    assert len(statements) == 1, statements


def _record(client, slug: str) -> dict:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/storefronts/{slug}")
    assert response.status_code == 200
    return response.json["record"]


def test_the_record_counts_a_settlement_once_it_is_anchored(client, platform, worker, orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    worker.drain()  # faucets
    slug = org_of(platform, exporter).slug
    assert _record(client, slug) == {"in_progress": 0, "settled": 0, "anchored": 0, "proofs": []}

    trade_id = flow.funded(platform, worker, exporter, buyer)
    flow.act(platform, worker, actions.mark_shipped, exporter, trade_id, DOC)
    assert _record(client, slug)["in_progress"] == 1

    with platform.db.session() as s:  # released; the chain confirms it, but nothing is anchored yet
        actions.confirm_receipt(s, s.merge(buyer), trade_id, platform.ctx)
    Worker(platform, anchor=False).drain()
    record = _record(client, slug)
    assert (record["in_progress"], record["settled"], record["anchored"]) == (0, 1, 0)

    worker.drain()  # batches the settlement and anchors its root
    record = _record(client, slug)
    reference = flow.trade(platform, trade_id).reference
    assert (record["in_progress"], record["settled"], record["anchored"]) == (0, 1, 1)
    assert record["proofs"] == [
        {
            "trade": reference,
            "url": f"/api/v1/storefronts/{slug}/proofs/{reference}",
            "page": f"/s/{slug}/proofs/{reference}",
        }
    ]
    page = client.get(f"/s/{slug}?lang=en").get_data(as_text=True)
    assert "1 settlement anchored on chain" in page
    assert f'href="/s/{slug}/proofs/{reference}"' in page


@pytest.fixture
def anchored(platform, worker, orgs):  # type: ignore[no-untyped-def]
    """An exporter with one released and anchored trade: (exporter, buyer, trade)."""
    exporter, buyer = orgs.exporter(), orgs.buyer()
    worker.drain()
    trade_id = flow.funded(platform, worker, exporter, buyer)
    flow.act(platform, worker, actions.mark_shipped, exporter, trade_id, DOC)
    flow.act(platform, worker, actions.confirm_receipt, buyer, trade_id)
    worker.drain()
    trade = flow.trade(platform, trade_id)
    assert trade.batch_id is not None
    return exporter, buyer, trade


def test_the_public_proof_proves_the_anchor_and_reveals_no_terms(client, platform, anchored) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer, trade = anchored
    slug, buyer_org = org_of(platform, exporter).slug, org_of(platform, buyer)
    proof = client.get(f"/api/v1/storefronts/{slug}/proofs/{trade.reference}").json
    merkle = proof["merkle"]
    assert merkle["leaf"] == trade.leaf and proof["registry"] == platform.ctx.contracts.registry
    leaf, root = bytes.fromhex(merkle["leaf"][2:]), bytes.fromhex(merkle["root"][2:])
    siblings = [bytes.fromhex(p[2:]) for p in merkle["proof"]]
    assert verify_proof(siblings, root, leaf)
    registry = bind(platform.w3, REGISTRY, proof["registry"])
    assert registry.functions.verify(root, siblings, leaf).call()  # anchored, as the chain itself says
    assert proof["anchor"]["transaction"] and proof["anchor"]["block"]
    report = verify_inclusion(proof, platform.w3, platform.ctx.manifest)  # what `tradewind verify` runs
    assert report.verified, [c for c in report.checks if not c.ok]
    forged = {**proof, "merkle": {**merkle, "leaf": "0x" + "11" * 32}}
    assert not verify_inclusion(forged, platform.w3, platform.ctx.manifest).ok
    elsewhere = {**proof, "anchor": {**proof["anchor"], "block": proof["anchor"]["block"] + 1}}
    assert not verify_inclusion(elsewhere, platform.w3).ok

    terms = trade.terms
    secrets = {
        buyer_org.name,
        buyer_org.slug,
        terms.buyer,
        terms.buyer.lower(),
        trade.terms_digest,  # the deal's key in TradeEscrow: its events carry the amounts
        str(terms.amount),
        "2.00",
        "2,00",
        "1000",
        "1,000",
        "1.000",
        "2000",
        "2,000",
    }
    for lang in ("en", "de", "ja"):
        page = client.get(f"/s/{slug}/proofs/{trade.reference}?lang={lang}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert (
            merkle["root"] in text and proof["anchor"]["transaction"] in text and "/.well-known/tradewind.json" in text
        )
        leaked = {secret for secret in secrets if secret in text or secret in str(proof)}
        assert not leaked, leaked


def test_proofs_are_only_of_the_exporters_anchored_settlements(client, platform, worker, orgs, anchored) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer, trade = anchored
    other = orgs.exporter()
    pending = flow.funded(platform, worker, exporter, buyer)
    slug = org_of(platform, exporter).slug
    for path in (
        f"/s/{org_of(platform, other).slug}/proofs/{trade.reference}",
        f"/s/{slug}/proofs/{flow.trade(platform, pending).reference}",
        f"/s/{slug}/proofs/TW-999999",
    ):
        assert client.get(path).status_code == 404, path
        assert client.get("/api/v1/storefronts" + path.removeprefix("/s")).status_code == 404, path


def _profile(client, headers) -> dict:  # type: ignore[no-untyped-def]
    return client.get("/api/v1/org/profile", headers=headers).json


@pytest.mark.parametrize(
    "body",
    [
        {"founded_year": 1799},
        {"founded_year": utcnow().year + 1},
        {"founded_year": "1990"},
        {"certifications": ["ISO 9001:2015", ""]},
        {"certifications": ["x" * 81]},
        {"certifications": [f"C{i}" for i in range(21)]},
        {"certifications": "ISO 9001"},
        {"languages": ["xx-123"]},
        {"languages": ["de", 7]},
        {"slug": "new-name"},
    ],
)
def test_bad_profile_input_is_refused_and_nothing_written(client, platform, orgs, body) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    headers = bearer(platform, exporter)
    good = {"founded_year": 1990, "certifications": ["ISO 9001:2015", "ISO 9001:2015"], "languages": ["de-DE", "ja"]}
    saved = client.put("/api/v1/org/profile", json=good, headers=headers)
    assert saved.status_code == 200
    assert saved.json["certifications"] == ["ISO 9001:2015"] and saved.json["languages"] == ["de_DE", "ja"]
    before = _profile(client, headers)
    response = client.put("/api/v1/org/profile", json=body, headers=headers)
    assert response.status_code == 400 and response.json["error"]["field"]
    assert _profile(client, headers) == before


def test_the_profile_form_saves_and_refuses(client, platform, orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    csrf = login(client, exporter)
    form = {
        "csrf_token": csrf,
        "founded_year": "2001",
        "certifications": "ISO 14001\r\nHACCP\r\n",
        "languages": "en, ja",
    }
    assert client.post("/org/profile", data=form).status_code == 302
    org = org_of(platform, exporter)
    assert (org.founded_year, org.certifications, org.languages) == (2001, ["ISO 14001", "HACCP"], ["en", "ja"])
    for bad in ({"founded_year": "MMI"}, {"founded_year": "1700"}, {"languages": "english"}):
        response = client.post("/org/profile?lang=en", data={**form, **bad, "certifications": "other"})
        assert response.status_code == 400
        assert re.search(r"founded_year|languages", response.get_data(as_text=True))
    org = org_of(platform, exporter)
    assert (org.founded_year, org.certifications, org.languages) == (2001, ["ISO 14001", "HACCP"], ["en", "ja"])


def test_only_admins_edit_their_organizations_profile(client, platform, orgs) -> None:  # type: ignore[no-untyped-def]
    admin = orgs.exporter()
    with platform.db.session() as s:
        org = s.get(Organization, admin.organization_id)
        trader = create_user(s, org, email=f"trader.{admin.email}", name="T", password=PASSWORD, role=Role.TRADER)
        viewer = create_user(s, org, email=f"viewer.{admin.email}", name="V", password=PASSWORD, role=Role.VIEWER)
    for user in (trader, viewer):
        headers = bearer(platform, user)
        assert _profile(client, headers)["slug"] == org_of(platform, admin).slug  # reading is fine
        response = client.put("/api/v1/org/profile", json={"founded_year": 1950}, headers=headers)
        assert response.status_code == 403
        page = app_client = client.application.test_client()
        csrf = login(app_client, user)
        assert 'name="founded_year"' not in app_client.get("/org/profile").get_data(as_text=True)
        page = app_client.post("/org/profile", data={"csrf_token": csrf, "founded_year": "1950"})
        assert page.status_code == 403
    assert client.put("/api/v1/org/profile", json={"founded_year": 1950}).status_code == 401
    assert org_of(platform, admin).founded_year is None
    headers = bearer(platform, admin)
    assert client.put("/api/v1/org/profile", json={"founded_year": 1950}, headers=headers).status_code == 200
    assert org_of(platform, admin).founded_year == 1950


def test_the_openapi_document_has_the_profile_and_storefront_routes(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/api/v1/openapi.json").json
    body = doc["paths"]["/org/profile"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ProfileIn"}
    assert set(doc["components"]["schemas"]["ProfileIn"]["properties"]) == {
        "founded_year",
        "certifications",
        "languages",
    }
    assert {"/storefronts/{slug}", "/storefronts/{slug}/proofs/{reference}"} <= set(doc["paths"])


def test_the_storefront_searches_the_exporters_listings_only(client, platform, orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, other = orgs.exporter(), orgs.exporter()
    with platform.db.session() as s:
        texts = {"en": {"title": "Brass valve DN25", "description": "forged"}}
        valve = create_listing(s, s.merge(exporter), flow.listing_in(sku="SF-VALVE", translations=texts)).id
        create_listing(s, s.merge(other), flow.listing_in(sku="SF-VALVE", translations=texts))
    cable = flow.listing(platform, exporter, sku="SF-CABLE")
    slug = org_of(platform, exporter).slug
    everything = client.get(f"/s/{slug}?lang=en").get_data(as_text=True)
    assert f'href="/listings/{valve}"' in everything and f'href="/listings/{cable}"' in everything
    found = client.get(f"/s/{slug}?lang=en&q=valve").get_data(as_text=True)
    assert re.findall(r'href="/listings/(\d+)"', found) == [str(valve)]
    assert "No listings found." in client.get(f"/s/{slug}?lang=en&q=turbine").get_data(as_text=True)
    assert client.get(f"/s/{slug}?price_min=cheap").status_code == 400


def test_response_time_and_record_on_postgresql(pg_platform) -> None:  # type: ignore[no-untyped-def]
    pg_orgs = Orgs(pg_platform)
    exporter, buyer = pg_orgs.exporter(), pg_orgs.buyer()
    listing_id = flow.listing(pg_platform, exporter, sku="SF-PG")
    for ago, delay in [(timedelta(days=3), timedelta(minutes=30)), (timedelta(days=4), timedelta(hours=1))]:
        _rfq_answered_after(pg_platform, exporter, buyer, listing_id, ago, delay)
    with pg_platform.db.session() as s:
        org = s.get(Organization, exporter.organization_id)
        measured = response_time(s, org)
        record = trade_record(s, org)
    assert (measured.received, measured.answered, measured.median) == (2, 2, timedelta(minutes=45))
    assert (record.in_progress, record.settled, record.anchored, record.proofs) == (0, 0, 0, [])
