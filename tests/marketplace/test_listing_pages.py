"""The exporter's catalog pages: their listings by status, editing one with the form it was created with,
publishing and archiving, translations, pictures; and what buyers see of it."""

from __future__ import annotations

import io
import re

import pytest

from marketplace.catalog.models import Listing
from marketplace.catalog.service import create_listing, listing_data
from tests.conftest import Orgs, org_of
from tests.marketplace import flow
from tests.marketplace.test_images import picture
from tests.marketplace.test_pages import login

LANGS = ("en", "de", "ja")


def _stored(platform, listing_id: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    with platform.db.session() as s:
        return listing_data(s.get(Listing, listing_id))


def _form(page: str) -> dict[str, str]:
    """The listing form's fields as the page fills them (inputs, selected options, textareas)."""
    form = page[page.index('<form method="post" class="stack card">') :]
    form = form[: form.index("</form>")]
    fields = {m[1]: m[2] for m in re.finditer(r'<input id="[^"]*" name="([^"]+)"[^>]*?value="([^"]*)"', form)}
    fields |= {m[1]: m[2] for m in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form)}
    for select in re.finditer(r'<select id="[^"]*" name="([^"]+)">(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', select[2])
        fields[select[1]] = chosen[1] if chosen else ""
    fields["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    return {k: v.replace("&#39;", "'").replace("&amp;", "&") for k, v in fields.items()}


@pytest.mark.parametrize("lang", LANGS)
def test_my_listings_by_status_in_every_language(client, platform, orgs: Orgs, lang: str) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    for sku, status in (("D-1", "draft"), ("P-1", "published"), ("P-2", "published"), ("A-1", "archived")):
        with platform.db.session() as s:
            create_listing(s, s.merge(exporter), flow.listing_in(sku=sku, status=status))
    login(client, exporter)
    page = client.get(f"/listings/mine?lang={lang}")
    assert page.status_code == 200
    assert all(sku in page.text for sku in ("D-1", "P-1", "P-2", "A-1"))
    assert "(4)" in page.text and "(2)" in page.text
    drafts = client.get(f"/listings/mine?status=draft&lang={lang}").text
    assert "D-1" in drafts and "P-1" not in drafts
    assert 'href="/listings/mine"' in client.get(f"/dashboard?lang={lang}").text
    assert client.get("/listings/mine?status=nonsense").status_code == 400


@pytest.mark.parametrize("lang", LANGS)
def test_edit_page_prefills_the_form_and_keeps_unchanged_children(client, platform, orgs: Orgs, lang: str) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    tiers = [{"min_quantity": 1, "unit_price": "1.25"}, {"min_quantity": 1000, "unit_price": "1.05"}]
    offers = [{"rule": "CIF", "place": "Yokohama"}, {"rule": "FOB", "place": "Hamburg"}]
    with platform.db.session() as s:
        listing = create_listing(
            s, s.merge(exporter), flow.listing_in(sku="ED-1", price_tiers=tiers, incoterms=offers, stock=700)
        )
        listing_id, child_ids = listing.id, ([t.id for t in listing.tiers], [o.id for o in listing.offers])
    login(client, exporter)
    page = client.get(f"/listings/{listing_id}/edit?lang={lang}")
    assert page.status_code == 200
    fields = _form(page.text)
    decimal = "," if lang == "de" else "."
    assert fields["price_tiers"] == f"1:1{decimal}25;1000:1{decimal}05"
    assert fields["incoterms"] == "CIF Yokohama;FOB Hamburg"
    assert (fields["sku"], fields["unit"], fields["stock"], fields["title_en"]) == (
        "ED-1",
        "MTR",
        "700",
        flow.TEXTS["en"]["title"],
    )
    before = _stored(platform, listing_id)
    fields["description_en"] = "Per metre, halogen-free"
    response = client.post(f"/listings/{listing_id}/edit?lang={lang}", data=fields)
    assert response.status_code == 302, response.text[:500]
    after = _stored(platform, listing_id)
    assert after["translations"]["en"]["description"] == "Per metre, halogen-free"  # type: ignore[index]
    assert {k: v for k, v in after.items() if k != "translations"} == {
        k: v for k, v in before.items() if k != "translations"
    }
    with platform.db.session() as s:
        listing = s.get(Listing, listing_id)
        assert ([t.id for t in listing.tiers], [o.id for o in listing.offers]) == child_ids


def test_edit_refuses_bad_input_and_others(client, app, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, other = orgs.exporter(), orgs.exporter()
    listing_id = flow.listing(platform, exporter, sku="ED-2")
    login(client, exporter)
    fields = _form(client.get(f"/listings/{listing_id}/edit?lang=de").text)
    before = _stored(platform, listing_id)
    for change in ({"price_tiers": "1:1,255"}, {"category": "nope"}, {"incoterms": "Hamburg"}, {"moq": "-3"}):
        response = client.post(f"/listings/{listing_id}/edit", data={**fields, **change})
        assert response.status_code == 400, change
    assert _stored(platform, listing_id) == before
    stranger = app.test_client()
    login(stranger, other)
    assert stranger.get(f"/listings/{listing_id}/edit").status_code == 404


def test_status_transitions_and_who_sees_them(client, app, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    listing_id = flow.listing(platform, exporter, sku="ST-1")
    csrf = login(client, exporter)
    shopper = app.test_client()
    login(shopper, buyer)
    for status, seen in (("draft", 404), ("published", 200), ("archived", 404), ("draft", 404), ("published", 200)):
        response = client.post(f"/listings/{listing_id}/status", data={"status": status, "csrf_token": csrf})
        assert response.status_code == 302
        assert _stored(platform, listing_id)["status"] == status
        assert shopper.get(f"/listings/{listing_id}").status_code == seen
        assert client.get(f"/listings/{listing_id}").status_code == 200  # the owner always sees it
    bad = client.post(f"/listings/{listing_id}/status", data={"status": "deleted", "csrf_token": csrf})
    assert bad.status_code == 400


def test_restricted_listing_shows_its_audience_and_hides_from_others(client, app, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, chosen, other = orgs.exporter(), orgs.buyer(), orgs.buyer()
    slug = org_of(platform, chosen).slug
    listing_id = flow.listing(platform, exporter, sku="RS-1")
    login(client, exporter)
    fields = _form(client.get(f"/listings/{listing_id}/edit").text)
    response = client.post(
        f"/listings/{listing_id}/edit", data={**fields, "visibility": "restricted", "audience": slug}
    )
    assert response.status_code == 302
    owner_page = client.get(f"/listings/{listing_id}?lang=en").text
    assert "Only these buyers see it" in owner_page and slug in owner_page and "/edit" in owner_page
    for user, want in ((chosen, 200), (other, 404)):
        browser = app.test_client()
        login(browser, user)
        page = browser.get(f"/listings/{listing_id}")
        assert page.status_code == want
        assert slug not in page.text or want == 200
        assert "/edit" not in page.text
    assert app.test_client().get(f"/listings/{listing_id}").status_code == 404


@pytest.mark.parametrize("lang", LANGS)
def test_translations_page_adds_edits_and_deletes(client, app, platform, orgs: Orgs, lang: str) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer(locale="fr", country="FR", currency="EUR")
    listing_id = flow.listing(platform, exporter, sku="TL-1")
    shopper = app.test_client()
    login(shopper, buyer)
    before = shopper.get(f"/listings/{listing_id}").text
    assert 'class="badge fallback"' in before  # the buyer reads French: shown in German, marked
    csrf = login(client, exporter)
    page = client.get(f"/listings/{listing_id}/translations?lang={lang}")
    assert page.status_code == 200 and 'value="fr"' in page.text
    text = {"csrf_token": csrf, "locale": "fr", "title": "Câble cuivre", "description": "Au mètre"}
    assert client.post(f"/listings/{listing_id}/translations", data=text).status_code == 302
    after = shopper.get(f"/listings/{listing_id}").text
    assert "Câble cuivre" in after and 'class="badge fallback"' not in after
    edit = client.get(f"/listings/{listing_id}/translations?locale=fr&lang={lang}").text
    assert 'value="Câble cuivre"' in edit
    client.post(f"/listings/{listing_id}/translations", data={**text, "title": "Câble de cuivre"})
    assert _stored(platform, listing_id)["translations"]["fr"]["title"] == "Câble de cuivre"  # type: ignore[index]
    other = {**text, "locale": "fr", "other_locale": "pt-BR", "title": "Cabo de cobre"}
    assert client.post(f"/listings/{listing_id}/translations", data=other).status_code == 302
    assert "pt_BR" in _stored(platform, listing_id)["translations"]  # type: ignore[operator]
    bad = client.post(f"/listings/{listing_id}/translations", data={**text, "other_locale": "zz-!!"})
    assert bad.status_code == 400
    assert client.post(f"/listings/{listing_id}/translations/fr/delete", data={"csrf_token": csrf}).status_code == 302
    assert client.post(f"/listings/{listing_id}/translations/de/delete", data={"csrf_token": csrf}).status_code == 409
    assert set(_stored(platform, listing_id)["translations"]) == {"en", "de", "pt_BR"}  # type: ignore[arg-type]
    assert 'class="badge fallback"' in shopper.get(f"/listings/{listing_id}").text


def test_pictures_on_the_edit_page(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    listing_id = flow.listing(platform, exporter, sku="PIC-1")
    csrf = login(client, exporter)

    def send(data: bytes, name: str = "p.png", token: str = csrf):  # type: ignore[no-untyped-def]
        return client.post(
            f"/listings/{listing_id}/images",
            data={"csrf_token": token, "image": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )

    assert send(picture("PNG", (200, 100), "red"), token="forged").status_code == 400
    assert send(picture("PNG", (200, 100), "red")).status_code == 302
    assert send(picture("JPEG", (100, 200), "blue"), "b.jpg").status_code == 302
    refused = send(b"%PDF-1.4\n%%EOF", "fake.png")
    assert refused.status_code == 400
    with platform.db.session() as s:
        images = [(i.id, i.width) for i in s.get(Listing, listing_id).images]
    assert [w for _, w in images] == [200, 100]
    page = client.get(f"/listings/{listing_id}/edit?lang=ja").text
    assert page.count("<img ") == 2 and 'enctype="multipart/form-data"' in page
    second = images[1][0]
    move = client.post(f"/listings/{listing_id}/images/{second}/move", data={"csrf_token": csrf, "step": "up"})
    assert move.status_code == 302
    with platform.db.session() as s:
        assert [i.id for i in s.get(Listing, listing_id).images] == [second, images[0][0]]
    delete = client.post(f"/listings/{listing_id}/images/{second}/delete", data={"csrf_token": csrf})
    assert delete.status_code == 302
    with platform.db.session() as s:
        assert [i.id for i in s.get(Listing, listing_id).images] == [images[0][0]]


@pytest.mark.parametrize(
    ("path", "content_type", "name"),
    [
        ("/listings/export.csv", "text/csv; charset=utf-8", "{slug}-catalog.csv"),
        ("/listings/import/template.csv", "text/csv; charset=utf-8", "catalog-template.csv"),
        (
            "/listings/export.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "{slug}-catalog.xlsx",
        ),
        (
            "/listings/import/template.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "catalog-template.xlsx",
        ),
    ],
)
def test_catalog_downloads_name_their_type_once(
    client, platform, orgs: Orgs, path: str, content_type: str, name: str
) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    flow.listing(platform, exporter, sku="DL-1")
    login(client, exporter)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type  # one charset, the one the bytes are in
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"attachment; filename={name.format(slug=org_of(platform, exporter).slug)}"
    if path.endswith(".csv"):
        assert response.data.startswith(b"\xef\xbb\xbfsku,")  # UTF-8 with a byte order mark, as declared
