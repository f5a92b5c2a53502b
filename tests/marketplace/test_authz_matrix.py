"""Who may do what: every API route and page, for every role, on one seeded world.

Each table row is a route, its method, an optional body and the expected answer for each role, in the
column order of ROLES. `login` means: redirected to the login page. Paths and bodies name objects of the
world in braces (`{t_other}`); a value that is only a placeholder is replaced by the raw id.

To add a route: add a row. Write requests whose allowed answer leaves the world as the other rows need
it (prefer actions that the state refuses with 409, or objects that only that row uses)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from marketplace import create_app
from marketplace.accounts.models import Organization, Role
from marketplace.accounts.service import create_user, issue_token
from marketplace.catalog.bulk_import import ImportReport
from marketplace.catalog.import_jobs import report_json, start_job
from marketplace.rfq.service import create_rfq, submit_quote
from marketplace.trades import actions
from marketplace.trades.service import accept_quote
from tests.conftest import PASSWORD, Orgs, org_of
from tests.marketplace import flow

ROLES = ("ANON", "B1", "B1v", "B2", "E1", "E2", "AUD", "ARB")
DOC = "0x" + "ab" * 32


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expected: str  # one answer per role, in ROLES order
    body: dict[str, Any] = field(default_factory=dict)

    def answers(self) -> dict[str, str]:
        cells = self.expected.split()
        assert len(cells) == len(ROLES), f"{self.method} {self.path}: {len(cells)} cells for {len(ROLES)} roles"
        return dict(zip(ROLES, cells, strict=True))


LISTING = {
    "sku": "MATRIX-{n}",
    "hs_code": "8482.10",
    "unit": "PCE",
    "moq": 10,
    "incoterms": [{"rule": "FOB", "place": "Hamburg"}],
    "price_tiers": [{"min_quantity": 1, "unit_price": "3.50"}],
    "translations": {"en": {"title": "Bearing", "description": "steel"}},
}
LISTING_FORM = {
    "sku": "FORM-{n}",
    "hs_code": "8482.10",
    "unit": "PCE",
    "moq": "10",
    "incoterms": "FOB Hamburg",
    "price_tiers": "1:3.50",
    "title_en": "Bearing",
    "description_en": "steel",
}

# World: B1 (buyer) and its viewer B1v trade with E1 (exporter); B2 trades with E2.
#   rfq_own: open RFQ B1<->E1 with a quote     rfq_other: open RFQ B2<->E2 with quote q_other
#   t_own: trade B1<->E1, released and anchored (q_own was its quote)
#   t_other: trade B2<->E2, funded, shipping on its way to the chain (every action: 409)
#   t_unfunded: trade B2<->E2 awaiting funding      token_b1: a spare API token of B1
API = [
    Row("GET", "/api/v1/listings", "200 200 200 200 200 200 200 200"),
    Row("GET", "/api/v1/listings/{listing_other}", "200 200 200 200 200 200 200 200"),
    Row("POST", "/api/v1/listings", "401 403 403 403 201 201 403 403", LISTING),
    Row("POST", "/api/v1/rfqs", "401 201 403 201 403 403 403 403", {"listing_id": "{listing_own}", "quantity": 500}),
    Row("GET", "/api/v1/rfqs/{rfq_own}", "401 200 200 404 200 404 404 404"),
    Row("GET", "/api/v1/rfqs/{rfq_other}", "401 404 404 200 404 200 404 404"),
    Row("POST", "/api/v1/rfqs/{rfq_own}/quotes", "401 403 403 403 201 404 403 403", {"unit_price": "1.05"}),
    Row("GET", "/api/v1/trades/{t_other}", "401 404 404 200 404 200 200 200"),
    Row("GET", "/api/v1/trades/{t_own}", "401 200 200 404 200 404 200 200"),
    Row("GET", "/api/v1/trades/{t_other}/bundle", "401 404 404 409 404 409 409 409"),
    Row("GET", "/api/v1/trades/{t_own}/bundle", "401 200 200 404 200 404 200 200"),
    Row("POST", "/api/v1/trades/{t_other}/ship", "401 404 403 404 404 409 403 403", {"document_hash": DOC}),
    Row("POST", "/api/v1/trades/{t_other}/release", "401 404 403 409 404 404 403 403"),
    Row("POST", "/api/v1/trades/{t_other}/refund", "401 404 403 404 404 409 403 403"),
    Row("POST", "/api/v1/trades/{t_other}/milestones/1/release", "401 404 403 409 404 404 403 403"),
    Row("POST", "/api/v1/trades/{t_other}/dispute", "401 404 403 409 404 409 403 403", {"evidence_hash": DOC}),
    Row("POST", "/api/v1/trades/{t_other}/settlement", "401 404 403 409 404 409 403 403", {"buyer_amount": "1.00"}),
    Row("POST", "/api/v1/trades/{t_other}/settlement/accept", "401 404 403 409 404 409 403 403"),
    Row("POST", "/api/v1/trades/{t_other}/ruling", "401 403 403 403 403 403 403 409", {"buyer_amount": "1.00"}),
    Row("POST", "/api/v1/quotes/{q_other}/accept", "401 404 403 201 403 403 403 403"),
    Row("POST", "/api/v1/trades/{t_unfunded}/fund", "401 404 403 202 404 404 403 403"),
    Row("GET", "/api/v1/listings/mine", "401 403 403 403 200 200 403 403"),
    Row("PUT", "/api/v1/listings/{listing_edit}", "401 403 403 403 200 404 403 403", LISTING),
    Row(
        "PUT",
        "/api/v1/listings/{listing_edit}/translations/fr",
        "401 403 403 403 200 404 403 403",
        {"title": "Roulement"},
    ),
    Row("DELETE", "/api/v1/listings/{listing_tr}/translations/de", "401 403 403 403 409 404 403 403"),
    Row("POST", "/api/v1/listings/{listing_edit}/images", "401 403 403 403 400 404 403 403"),
    Row("DELETE", "/api/v1/listings/{listing_edit}/images/999999", "401 403 403 403 404 404 403 403"),
    Row("GET", "/api/v1/categories", "200 200 200 200 200 200 200 200"),
    Row("GET", "/api/v1/tokens", "401 200 200 200 200 200 200 200"),
    Row("DELETE", "/api/v1/tokens/{token_b1}", "401 204 404 404 404 404 404 404"),
    Row("GET", "/api/v1/org/profile", "401 200 200 200 200 200 200 200"),
    Row("PUT", "/api/v1/org/profile", "401 200 403 200 200 200 200 200", {"founded_year": 1990}),
    Row("GET", "/api/v1/storefronts/{e1_slug}", "200 200 200 200 200 200 200 200"),
    Row("GET", "/api/v1/storefronts/{b1_slug}", "404 404 404 404 404 404 404 404"),
    Row("GET", "/api/v1/storefronts/{e1_slug}/proofs/{t_own_ref}", "200 200 200 200 200 200 200 200"),
    Row("GET", "/api/v1/storefronts/{e2_slug}/proofs/{t_own_ref}", "404 404 404 404 404 404 404 404"),
]

PAGES = [
    Row("GET", "/listings/", "200 200 200 200 200 200 200 200"),
    Row("GET", "/listings/{listing_other}", "200 200 200 200 200 200 200 200"),
    Row("GET", "/dashboard", "login 200 200 200 200 200 200 200"),
    Row("GET", "/trades/", "login 200 200 200 200 200 200 200"),
    Row("GET", "/rfqs/{rfq_own}", "login 200 200 404 200 404 404 404"),
    Row("GET", "/rfqs/{rfq_other}", "login 404 404 200 404 200 404 404"),
    Row("GET", "/trades/{t_other}", "login 404 404 200 404 200 200 200"),
    Row("GET", "/trades/{t_own}", "login 200 200 404 200 404 200 200"),
    Row("GET", "/trades/{t_other}/bundle.json", "login 404 404 409 404 409 409 409"),
    Row("GET", "/trades/{t_own}/bundle.json", "login 200 200 404 200 404 200 200"),
    Row("GET", "/audit/", "login 403 403 403 403 403 200 403"),
    Row("GET", "/listings/new", "login 403 403 403 200 200 403 403"),
    Row("POST", "/listings/new", "login 403 403 403 302 302 403 403", LISTING_FORM),
    Row("GET", "/listings/mine", "login 403 403 403 200 200 403 403"),
    Row("GET", "/listings/{listing_edit}/edit", "login 403 403 403 200 404 403 403"),
    Row("POST", "/listings/{listing_edit}/edit", "login 403 403 403 302 404 403 403", LISTING_FORM),
    Row("POST", "/listings/{listing_edit}/status", "login 403 403 403 302 404 403 403", {"status": "published"}),
    Row("GET", "/listings/{listing_edit}/translations", "login 403 403 403 200 404 403 403"),
    Row(
        "POST",
        "/listings/{listing_edit}/translations",
        "login 403 403 403 302 404 403 403",
        {"locale": "fr", "title": "Roulement"},
    ),
    Row("POST", "/listings/{listing_tr}/translations/de/delete", "login 403 403 403 409 404 403 403"),
    Row("POST", "/listings/{listing_edit}/images", "login 403 403 403 400 404 403 403"),
    Row("POST", "/listings/{listing_edit}/images/999999/delete", "login 403 403 403 404 404 403 403"),
    Row("POST", "/listings/{listing_edit}/images/999999/move", "login 403 403 403 404 404 403 403", {"step": "up"}),
    Row("GET", "/media/listings/" + "0" * 64 + "-320.webp", "404 404 404 404 404 404 404 404"),
    Row("GET", "/listings/import", "login 403 403 403 200 200 403 403"),
    Row("POST", "/listings/import", "login 403 403 403 400 400 403 403"),
    Row("GET", "/listings/export.csv", "login 403 403 403 200 200 403 403"),
    Row("GET", "/listings/export.xlsx", "login 403 403 403 200 200 403 403"),
    Row("GET", "/listings/import/template.csv", "login 403 403 403 200 200 403 403"),
    Row("GET", "/listings/import/{import_job}", "login 403 403 403 200 404 403 403"),
    Row("POST", "/rfqs/", "login 302 403 302 403 403 403 403", {"listing_id": "{listing_own}", "quantity": "500"}),
    Row("POST", "/rfqs/{rfq_own}/quotes", "login 403 403 403 302 404 403 403", {"unit_price": "1.04"}),
    Row("POST", "/trades/{t_other}/ship", "login 404 403 404 404 409 403 403", {"document_hash": DOC}),
    Row("POST", "/trades/{t_other}/release", "login 404 403 409 404 404 403 403"),
    Row("POST", "/trades/{t_other}/refund", "login 404 403 404 404 409 403 403"),
    Row("POST", "/trades/{t_other}/dispute", "login 404 403 409 404 409 403 403", {"evidence_hash": DOC}),
    Row("POST", "/trades/{t_other}/rule", "login 403 403 403 403 403 403 409", {"buyer_amount": "1.00"}),
    Row("POST", "/trades/{t_other}/propose", "login 404 403 409 404 409 403 403", {"buyer_amount": "1.00"}),
    Row("POST", "/trades/{t_own}/fund", "login 409 403 404 404 404 403 403"),
    Row("POST", "/rfqs/quotes/{q_own}/accept", "login 409 403 404 403 403 403 403"),
    Row("GET", "/tokens", "login 200 200 200 200 200 200 200"),
    Row("POST", "/tokens", "login 200 200 200 200 200 200 200", {"name": "matrix", "days": "7"}),
    Row("POST", "/tokens/{token_b1_page}/revoke", "login 302 404 404 404 404 404 404"),
    Row("GET", "/org/profile", "login 200 200 200 200 200 200 200"),
    Row("POST", "/org/profile", "login 302 403 302 302 302 302 302", {"founded_year": "1990"}),
    Row("GET", "/s/{e1_slug}", "200 200 200 200 200 200 200 200"),
    Row("GET", "/s/{b1_slug}", "404 404 404 404 404 404 404 404"),
    Row("GET", "/s/{e1_slug}/proofs/{t_own_ref}", "200 200 200 200 200 200 200 200"),
    Row("GET", "/s/{e2_slug}/proofs/{t_own_ref}", "404 404 404 404 404 404 404 404"),
]


class World:
    """The seeded objects (ids by name), an API token and a logged-in page client per role."""

    def __init__(self, platform, worker) -> None:  # type: ignore[no-untyped-def]
        orgs = Orgs(platform)
        users = {
            "B1": orgs.buyer(),
            "B2": orgs.buyer(),
            "E1": orgs.exporter(),
            "E2": orgs.exporter(),
            "AUD": orgs.auditor(),
            "ARB": orgs.make("arbiter", locale="en", currency="USD"),
        }
        with platform.db.session() as s:
            users["B1v"] = create_user(
                s,
                org_of(platform, users["B1"]),
                email=f"viewer.{users['B1'].email}",
                name="Viewer",
                password=PASSWORD,
                role=Role.VIEWER,
            )
        worker.drain()  # faucets
        b1, b2, e1, e2 = users["B1"], users["B2"], users["E1"], users["E2"]
        ids: dict[str, int | str] = {
            f"{role.lower()}_slug": org_of(platform, users[role]).slug for role in ("B1", "E1", "E2")
        }
        ids["listing_own"] = flow.listing(platform, e1, sku="OWN")
        ids["listing_other"] = flow.listing(platform, e2, sku="OTHER")
        ids["listing_edit"] = flow.listing(platform, e1, sku="EDIT")  # changed by the rows that edit listings
        ids["listing_tr"] = flow.listing(platform, e1, sku="TRANSLATED")  # its source language (de) stays
        ids["rfq_own"], _ = self._quote(platform, e1, b1, ids["listing_own"])
        ids["rfq_other"], ids["q_other"] = self._quote(platform, e2, b2, ids["listing_other"])
        ids["q_own"] = self._quote(platform, e1, b1, ids["listing_own"])[1]
        ids["t_own"] = self._accept(platform, b1, ids["q_own"])
        ids["t_other"] = self._accept(platform, b2, self._quote(platform, e2, b2, ids["listing_other"])[1])
        ids["t_unfunded"] = self._accept(platform, b2, self._quote(platform, e2, b2, ids["listing_other"])[1])
        self._act(platform, b1, actions.fund, ids["t_own"])
        self._act(platform, b2, actions.fund, ids["t_other"])
        worker.drain()
        self._act(platform, e1, actions.mark_shipped, ids["t_own"], DOC)
        worker.drain()
        self._act(platform, b1, actions.confirm_receipt, ids["t_own"])
        worker.drain()
        self._act(platform, e2, actions.mark_shipped, ids["t_other"], DOC)  # left on its way to the chain
        assert flow.trade(platform, ids["t_own"]).batch_id is not None, "the own trade should be anchored"
        ids["t_own_ref"] = flow.trade(platform, ids["t_own"]).reference
        with platform.db.session() as s:
            ids["token_b1"] = issue_token(s, s.merge(b1), "spare")[0].id
            ids["token_b1_page"] = issue_token(s, s.merge(b1), "spare page")[0].id
            self.bearer = {role: issue_token(s, s.merge(user), "matrix")[1] for role, user in users.items()}
        with platform.db.session() as s:
            org = s.get(Organization, e1.organization_id)
            job = start_job(s, s.merge(e1), org, "big.csv", b"sku\n", 1, dry_run=True)
            job.status, job.report = "done", report_json(ImportReport(rows=1, dry_run=True))  # not failed as left
            ids["import_job"] = job.id
        self.ids = ids
        self.app = create_app(platform=platform)
        self.pages, self.csrf = {}, {}
        for role in ROLES:
            client = self.app.test_client()
            self.csrf[role] = csrf_of(client.get("/login").text)
            if role != "ANON":
                response = client.post(
                    "/login", data={"email": users[role].email, "password": PASSWORD, "csrf_token": self.csrf[role]}
                )
                assert response.status_code == 302, role
                self.csrf[role] = csrf_of(client.get("/tokens").text)
            self.pages[role] = client
        self.api = self.app.test_client()
        self.counter = 0

    @staticmethod
    def _quote(platform, exporter, buyer, listing_id: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
        """An open RFQ of `buyer` on the listing, answered by a quote: (rfq id, quote id)."""
        with platform.db.session() as s:
            rfq = create_rfq(s, s.merge(buyer), listing_id=listing_id, quantity=200)
            return rfq.id, submit_quote(s, s.merge(exporter), rfq.id, unit_price="1.10", valid_days=14).id

    @staticmethod
    def _accept(platform, buyer, quote_id: int) -> int:  # type: ignore[no-untyped-def]
        with platform.db.session() as s:
            return accept_quote(
                s, s.merge(buyer), quote_id, ctx=platform.ctx, keybox=platform.keybox, rates=platform.rates
            ).id

    @staticmethod
    def _act(platform, user, action, trade_id: int, *args: object) -> None:  # type: ignore[no-untyped-def]
        with platform.db.session() as s:
            action(s, s.merge(user), trade_id, platform.ctx, *args)

    def fill(self, value: Any) -> Any:
        """Put the world's ids (and a fresh number for {n}) into a path or body."""
        if isinstance(value, dict):
            return {key: self.fill(item) for key, item in value.items()}
        if not isinstance(value, str):
            return value
        whole = re.fullmatch(r"\{(\w+)\}", value)
        if whole and whole.group(1) in self.ids:
            return self.ids[whole.group(1)]
        self.counter += 1
        return value.format(n=self.counter, **self.ids)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture(scope="module")
def world(platform, worker) -> World:  # type: ignore[no-untyped-def]
    return World(platform, worker)


def cells(rows: list[Row]) -> list[Any]:
    return [
        pytest.param(row, role, want, id=f"{row.method} {row.path} {role}")
        for row in rows
        for role, want in row.answers().items()
    ]


@pytest.mark.parametrize(("row", "role", "want"), cells(API))
def test_api(world: World, row: Row, role: str, want: str) -> None:
    headers = {} if role == "ANON" else {"Authorization": f"Bearer {world.bearer[role]}"}
    kwargs: dict[str, Any] = {"json": world.fill(row.body)} if row.method != "GET" else {}
    response = world.api.open(world.fill(row.path), method=row.method, headers=headers, **kwargs)
    assert str(response.status_code) == want, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert response.json["error"]["code"]  # always the error JSON


@pytest.mark.parametrize(("row", "role", "want"), cells(PAGES))
def test_page(world: World, row: Row, role: str, want: str) -> None:
    client = world.pages[role]
    data = {**world.fill(row.body), "csrf_token": world.csrf[role]} if row.method == "POST" else None
    response = client.open(world.fill(row.path), method=row.method, data=data)
    if want == "login":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert str(response.status_code) == want, response.get_data(as_text=True)[:300]
