"""What a listing may say and where it may be filed, checked once in the schemas and the listing rules, so the
pages, the API and the import file agree: bidirectional overrides are refused, invisible characters removed
(where no script needs them), and the category must lie in the HS section of the listing's HS code."""

from __future__ import annotations

import csv
import io

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from marketplace.catalog.bulk_import import import_table
from marketplace.catalog.categories import add_category
from marketplace.catalog.models import Category, Listing, ListingTranslation
from marketplace.catalog.schemas import ListingIn, TranslationIn
from marketplace.catalog.service import create_listing
from marketplace.catalog.table import read_table
from marketplace.validate import invalid
from tests.conftest import Orgs, org_of
from tests.marketplace import flow
from tests.marketplace.test_api import token
from tests.marketplace.test_pages import login

RLO = "\u202e"
BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]  # LRE..RLO, LRI..PDI


def _title(text: str) -> str:
    return TranslationIn.model_validate({"title": text}).title


@pytest.mark.parametrize("control", BIDI_CONTROLS)
def test_bidirectional_controls_are_refused_naming_the_field_and_the_character(control: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ListingIn.model_validate(
            flow.listing_in().model_dump(mode="json") | {"translations": {"en": {"title": f"Bearing {control}01-5"}}}
        )
    refusal = invalid(caught.value)
    assert refusal.field == "translations.en.title"
    assert f"U+{ord(control):04X}" in str(refusal.params) and "bidirectional" in refusal.template
    with pytest.raises(ValidationError):
        TranslationIn.model_validate({"title": "Bearing", "description": f"sealed {control}both sides"})


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Ball\u200bbearing", "Ballbearing"),  # zero-width space
        ("\ufeffBall bearing", "Ball bearing"),  # a byte order mark pasted at the start
        ("Ball bearing\u2060", "Ball bearing"),  # word joiner
        ("Sie\u200cmens\u200d bearing", "Siemens bearing"),  # joiners between ASCII letters do nothing visible
        ("\u200d Ball bearing", "Ball bearing"),  # stripped again once the joiner is gone
        ("Ball bearing \u200e6205", "Ball bearing 6205"),  # a direction mark in text without right-to-left letters
        ("Lab kit 👩\u200d🔬", "Lab kit 👩\u200d🔬"),  # an emoji sequence: woman scientist
        ("👁️\u200d🗨️ inspected", "👁️\u200d🗨️ inspected"),  # after a variation selector
        ("می\u200cخواهم", "می\u200cخواهم"),  # Persian: the non-joiner inside a word
        ("क्\u200dष", "क्\u200dष"),  # Devanagari: the joiner shapes a conjunct
        ("מסבים\u200f 6205", "מסבים\u200f 6205"),  # Hebrew: the mark places the number
    ],
)
def test_invisible_characters_are_removed_where_no_script_needs_them(typed: str, kept: str) -> None:
    assert _title(typed) == kept


def test_a_title_of_invisible_characters_only_is_empty() -> None:
    with pytest.raises(ValidationError) as caught:
        TranslationIn.model_validate({"title": "\u200b\ufeff\u200d"})
    assert invalid(caught.value).template == "%(name)s must not be empty"


def _listings(platform, exporter) -> int:  # type: ignore[no-untyped-def]
    with platform.db.session() as s:
        return s.scalar(select(func.count()).where(Listing.organization_id == exporter.organization_id)) or 0


def _body(**fields: object) -> dict[str, object]:
    """A listing for the API, a draft (so the pages crawled in other tests do not grow with it)."""
    return flow.listing_in(sku="TXT-1", status="draft").model_dump(mode="json") | fields


def test_the_api_refuses_a_spoofed_title_and_stores_a_cleaned_one(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    h = token(client, exporter)
    spoofed = _body(translations={"en": {"title": f"Genuine {RLO}gnirae6 llab"}})
    response = client.post("/api/v1/listings", json=spoofed, headers=h)
    assert response.status_code == 400
    assert response.json["error"]["field"] == "translations.en.title" and "U+202E" in response.json["error"]["message"]
    assert _listings(platform, exporter) == 0
    created = client.post(
        "/api/v1/listings", json=_body(translations={"en": {"title": "Ball\u200b bearing\ufeff"}}), headers=h
    )
    assert created.status_code == 201 and created.json["title"] == "Ball bearing"
    listing_id = created.json["id"]
    text = {"title": "Kugellager", "description": f"abgedichtet {RLO}"}
    refused = client.put(f"/api/v1/listings/{listing_id}/translations/de", json=text, headers=h)
    assert refused.status_code == 400 and refused.json["error"]["field"] == "description"
    with platform.db.session() as s:
        assert s.scalars(
            select(ListingTranslation.locale).where(ListingTranslation.listing_id == listing_id)
        ).all() == ["en"]


def _form(**fields: str) -> dict[str, str]:
    return {
        "sku": "FORM-1",
        "hs_code": "8482.10",
        "unit": "PCE",
        "moq": "10",
        "price_tiers": "1:12.50",
        "incoterms": "FOB Hamburg",
        "title_en": "Ball bearing",
        "status": "draft",
        **fields,
    }


def test_the_listing_form_refuses_a_spoofed_title(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    csrf = login(client, exporter)
    response = client.post("/listings/new?lang=en", data={"csrf_token": csrf, **_form(title_en=f"Bearing {RLO}X")})
    assert response.status_code == 400 and "U+202E" in response.text
    assert _listings(platform, exporter) == 0
    with platform.db.session() as s:
        listing_id = create_listing(s, s.merge(exporter), flow.listing_in(sku="FORM-2", status="draft")).id
    page = client.post(
        f"/listings/{listing_id}/translations?lang=en",
        data={"csrf_token": csrf, "locale": "fr", "title": "Roulement \u2067X\u2069"},
    )
    assert page.status_code == 400 and "U+2067" in page.text


HEADER = [
    "sku",
    "category",
    "hs_code",
    "unit",
    "moq",
    "price_tiers",
    "incoterms",
    "status",
    "title_en",
    "description_en",
]


def _import(platform, exporter, *rows: dict[str, str]):  # type: ignore[no-untyped-def]
    """Import a CSV file of `rows` (a good bearing with the given cells changed); returns the report."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER)
    writer.writeheader()
    for n, cells in enumerate(rows):
        good = {"sku": f"IMP-{n}", "category": "", "hs_code": "8482.10", "unit": "PCE", "moq": "100"}
        good |= {"price_tiers": "1:12.50", "incoterms": "FOB Hamburg", "status": "draft", "title_en": "Ball bearing"}
        writer.writerow(good | {"description_en": ""} | cells)
    table = read_table(io.BytesIO(buffer.getvalue().encode()), "catalog.csv")
    with platform.db.session() as s:
        report = import_table(s, s.merge(org_of(platform, exporter)), table)
        if not report.ok:
            s.rollback()
        return report


def test_an_import_file_refuses_a_spoofed_title_and_cleans_invisible_characters(platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    report = _import(platform, exporter, {}, {"description_en": f"sealed {RLO}"})
    assert not report.ok and [(p.row, p.column) for p in report.problems] == [(3, "description_en")]
    assert _listings(platform, exporter) == 0
    assert _import(platform, exporter, {"title_en": "\ufeffBall\u200b bearing"}).ok
    with platform.db.session() as s:
        assert s.scalars(select(ListingTranslation.title).join(Listing).where(Listing.sku == "IMP-0")).all() == [
            "Ball bearing"
        ]


# -- the category and the HS code ------------------------------------------------------------------------


def test_a_bearing_is_not_filed_under_live_animals_over_the_api(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    h = token(client, exporter)
    response = client.post("/api/v1/listings", json=_body(hs_code="8482.10", category="I"), headers=h)
    assert response.status_code == 400 and response.json["error"]["field"] == "category"
    message = response.json["error"]["message"]
    assert "8482.10" in message and "XVI" in message and "section I" in message, message
    assert _listings(platform, exporter) == 0
    with platform.db.session() as s:
        add_category(s, parent="I", code=f"cattle-{exporter.organization_id}", names={"en": "Cattle"})
        add_category(s, parent="XVI", code=f"bearings-{exporter.organization_id}", names={"en": "Bearings"})
    under = client.post("/api/v1/listings", json=_body(category=f"cattle-{exporter.organization_id}"), headers=h)
    assert under.status_code == 400 and "section I" in under.json["error"]["message"]  # the root's section counts
    good = client.post("/api/v1/listings", json=_body(category=f"bearings-{exporter.organization_id}"), headers=h)
    assert good.status_code == 201 and good.json["category"] == f"bearings-{exporter.organization_id}"
    moved = client.put(
        f"/api/v1/listings/{good.json['id']}",
        json=_body(hs_code="0102.21", category=f"bearings-{exporter.organization_id}"),
        headers=h,
    )
    assert moved.status_code == 400 and moved.json["error"]["field"] == "category"  # live cattle, filed as bearings
    assert client.get(f"/api/v1/listings/{good.json['id']}", headers=h).json["hs_code"] == "854449"  # unchanged


def test_a_listing_filed_before_the_rule_can_still_be_archived(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    listing_id = flow.listing(platform, exporter, sku="OLD-1")
    with platform.db.session() as s:
        s.get(Listing, listing_id).category_id = s.scalar(select(Category.id).where(Category.code == "I"))
    csrf = login(client, exporter)
    response = client.post(f"/listings/{listing_id}/status", data={"status": "archived", "csrf_token": csrf})
    assert response.status_code == 302
    h = token(client, exporter)
    body = _body(sku="OLD-1", category="I", hs_code="8482.10")
    assert client.put(f"/api/v1/listings/{listing_id}", json=body, headers=h).status_code == 400  # a new HS code


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "is in HS section I"), ("de", "HS-Abschnitt I"), ("ja", "HS 第 I 部")],
)
def test_the_listing_form_names_both_sections(client, platform, orgs: Orgs, lang: str, words: str) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    csrf = login(client, exporter)
    response = client.post(f"/listings/new?lang={lang}", data={"csrf_token": csrf, **_form(category="I")})
    assert response.status_code == 400
    assert words in response.text and "8482.10" in response.text and "XVI" in response.text
    assert _listings(platform, exporter) == 0
    assert client.post("/listings/new", data={"csrf_token": csrf, **_form(category="XVI")}).status_code == 302


def test_an_import_file_refuses_a_category_of_another_section(platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    report = _import(
        platform, exporter, {"category": "XVI"}, {"category": "I"}, {"category": "XV", "hs_code": "7318.15"}
    )
    assert [(p.row, p.column) for p in report.problems] == [(3, "category")]
    assert "8482.10" in report.problems[0].text() and _listings(platform, exporter) == 0
    assert _import(platform, exporter, {"category": "XVI"}, {"category": "XV", "hs_code": "7318.15"}).ok


@pytest.mark.parametrize(
    ("lang", "origin", "moq"),
    [
        ("en", "“Origin (country code)”", "“Minimum order”"),
        ("de", "„Ursprung", "„Mindestbestellmenge"),
        ("ja", "原産", "最小"),
    ],
)
def test_a_refused_listing_form_comes_back_with_what_was_typed_and_every_problem(  # type: ignore[no-untyped-def]
    client, platform, orgs: Orgs, lang: str, origin: str, moq: str
) -> None:
    exporter = orgs.exporter()
    csrf = login(client, exporter)
    form = _form(origin="ZZ", moq="0", title_en="Deep groove ball bearing 6204")
    response = client.post(f"/listings/new?lang={lang}", data={"csrf_token": csrf, **form})
    assert response.status_code == 400
    page = response.text
    assert '<form method="post"' in page and 'value="Deep groove ball bearing 6204"' in page and 'value="ZZ"' in page
    assert origin in page and moq in page  # both problems at once, each named by its label
    assert "price_tiers" not in page.split("</form>")[0].split('role="alert"')[-1].split("</div>")[0]
    assert _listings(platform, exporter) == 0
    listing = client.post("/listings/new", data={"csrf_token": csrf, **_form()}).headers["Location"]
    edit = listing + "/edit"
    refused = client.post(edit, data={"csrf_token": csrf, **_form(origin="ZZ")})
    assert refused.status_code == 400 and 'value="ZZ"' in refused.text and origin.strip("“„") in refused.text
