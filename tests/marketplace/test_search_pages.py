"""The buyer's search pages (/listings/ and storefronts): a refused filter marked on the form, the language
switcher keeping the search, when the filters panel opens, the language of the words, the number of results
and an HS code typed in the search box; the same search through GET /api/v1/listings."""

from __future__ import annotations

import html
import re

import pytest
from babel.support import Translations
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from i18n import TRANSLATIONS
from marketplace.catalog.schemas import ListingsPage, hs_code_of
from marketplace.catalog.search_request import search_language
from tests.conftest import Orgs
from tests.marketplace.test_pages import login
from tests.marketplace.test_search import put, slug

LABELS = {
    "moq_max": "Minimum order at most",
    "origin": "Origin",
    "price_max": "Unit price up to (%(currency)s)",
    "category": "Category",
    "hs": "HS code",
    "q": "Search",
}
QUOTED = {"en": "“%s”", "de": "„%s“", "ja": "「%s」"}


def t(locale: str, message: str, **params: object) -> str:
    text = Translations.load(TRANSLATIONS, [locale]).gettext(message)
    return text % params if params else text


def page(client, url: str, **headers: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    response = client.get(url, headers=headers)
    return response.status_code, html.unescape(response.get_data(as_text=True))


def results(text: str) -> list[str]:
    """The titles of the result cards (the catalog's and a storefront's)."""
    return re.findall(r'<h[23]><a href="/listings/\d+" lang="[^"]*">([^<]*)</a>', text)


def field_error(text: str, name: str) -> str | None:
    """The message under the form's field `name`, if the field is marked as refused."""
    control = re.search(rf'<(?:input|select) id="{name}"[^>]*>', text)
    assert control, f"no field {name} on the form"
    if 'aria-invalid="true"' not in control.group(0):
        return None
    assert f'aria-describedby="{name}-error"' in control.group(0)
    message = re.search(rf'<p class="field-error" id="{name}-error">([^<]*)</p>', text)
    assert message, f"{name} is marked but says nothing"
    return message.group(1)


def summary(text: str) -> list[str]:
    """The messages listed above the form."""
    block = re.search(r'<div class="flash error search-errors" role="alert">(.*?)</div>', text, re.S)
    return re.findall(r"<li>(?:<a [^>]*>)?([^<]*)", block.group(1)) if block else []


# -- 1. a refused filter: the search page with the field marked, a 400, no results -------------------------


@pytest.mark.parametrize(
    ("args", "name", "lang", "says"),
    [
        ("moq_max=-1", "moq_max", "en", "“Minimum order at most” must be above 0"),
        ("origin=QQ", "origin", "de", "„Ursprung“ muss ein Ländercode nach ISO 3166-1 sein"),
        ("price_max=1.5&currency=JPY", "price_max", "ja", "JPY"),
        ("category=nope", "category", "en", "There is no category nope"),
        ("hs=84a", "hs", "de", "„HS-Code“"),
        ("price_min=5&price_max=2", "price_max", "de", "darf nicht unter dem niedrigsten Stückpreis liegen"),
        ("origin=DE&origin=JP", "origin", "en", "“Origin” is given more than once"),
    ],
)
def test_a_refused_filter_shows_the_search_form_with_the_field_marked(  # type: ignore[no-untyped-def]
    client, platform, orgs: Orgs, args: str, name: str, lang: str, says: str
) -> None:
    put(platform, orgs.exporter(), {"en": ("Thrust washer", "")})
    status, text = page(client, f"/listings/?q=washer&{args}&lang={lang}")
    assert status == 400
    assert 'role="search"' in text and t(lang, "Nothing was changed.") not in text
    message = field_error(text, name)
    assert message and says in message, message
    label = t(lang, LABELS[name], currency="JPY") if name == "price_max" else t(lang, LABELS[name])
    if name not in ("category", "price_max"):  # the rule's own message names the field by its label
        assert QUOTED[lang] % label in message
    assert "_" not in message  # the field's label, not the parameter's name
    assert summary(text) == [message]
    assert results(text) == [] and t(lang, "No listings match this search.") not in text
    assert re.search(r'<input id="q" name="q" type="search" value="washer"', text)  # the rest kept
    for other in ("origin", "moq_max"):
        if other != name:
            assert field_error(text, other) is None


def test_every_refused_field_is_marked_and_what_was_typed_is_kept(client) -> None:  # type: ignore[no-untyped-def]
    status, text = page(client, "/listings/?origin=QQ&moq_max=ten&lead_time_max=30&incoterm=FOB&lang=en")
    assert status == 400
    assert re.search(r'<input id="origin" name="origin" value="QQ"', text)
    assert re.search(r'<input id="moq_max" name="moq_max" value="ten"', text)
    assert re.search(r'<input id="lead_time_max" name="lead_time_max" value="30"', text)
    assert '<option value="FOB" selected>' in text
    assert field_error(text, "origin")
    assert field_error(text, "moq_max") == "“Minimum order at most” must be a whole number"
    assert field_error(text, "lead_time_max") is None and len(summary(text)) == 2
    assert '<details class="filters" open>' in text  # the marked fields are in view


def test_a_refused_parameter_without_a_field_is_named_above_the_form(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    ex = slug(platform, orgs.exporter())
    status, text = page(client, "/listings/?exporter=nobody-here&lang=en")
    assert status == 400 and summary(text) == ["There is no exporter nobody-here"]
    status, text = page(client, "/listings/?limit=0&currency=XYZ&lang=en")
    assert status == 400
    assert summary(text) == [
        "“Currency” must be an ISO 4217 currency code such as EUR",
        "“Results per page” must be at least 1",
    ]
    status, text = page(client, f"/s/{ex}?moq_max=0&lang=de")  # a storefront: only the words on its form
    assert status == 400
    assert summary(text) == ["„Mindestbestellmenge höchstens“ muss größer als 0 sein"]
    assert t("de", "No listings yet.") not in text
    status, text = page(client, f"/s/{ex}?q={'x' * 201}&lang=en")
    assert status == 400 and field_error(text, "q") == "“Search” must be at most 200 characters"


def test_the_api_keeps_its_json_refusals(client) -> None:  # type: ignore[no-untyped-def]
    for args, name in [
        ("moq_max=-1", "moq_max"),
        ("origin=QQ", "origin"),
        ("category=nope", "category"),
        ("price_min=5&price_max=2", "price_max"),
        ("origin=DE&origin=JP", "origin"),
        ("q=a&q=b", "q"),
    ]:
        response = client.get(f"/api/v1/listings?{args}")
        assert response.status_code == 400 and response.is_json
        assert response.json["error"]["code"] == "invalid" and response.json["error"]["field"] == name

    refused = client.get("/api/v1/listings?price_max=1.5&currency=JPY")
    assert refused.json["error"]["message"] == "JPY amounts are whole numbers, without decimals"


def test_the_api_lang_is_the_words_language_not_a_choice_of_interface(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/listings?lang=de&q=Kugellager").status_code == 200
    assert '<html lang="en"' in client.get("/listings/").get_data(as_text=True)
    client.get("/listings/?lang=de")
    assert '<html lang="de"' in client.get("/listings/").get_data(as_text=True)


# -- 2. the language switcher keeps the page and its query ---------------------------------------------------


def switcher(text: str) -> dict[str, str]:
    links = re.search(r'<span class="langs">(.*?)</span>', text, re.S)
    assert links
    return {code: href for href, code in re.findall(r'<a href="([^"]*)" lang="([a-z]+)"', links.group(1))}


def test_the_language_switcher_keeps_the_path_and_the_query(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exp = orgs.exporter()
    ex = slug(platform, exp)
    put(platform, exp, {"en": ("Ball bearing 6204", "")})
    _, text = page(client, f"/listings/?q=bearing&origin=DE&exporter={ex}&lang=en")
    links = switcher(text)
    assert links["de"] == f"/listings/?q=bearing&origin=DE&exporter={ex}&lang=de"
    assert links["ja"] == f"/listings/?q=bearing&origin=DE&exporter={ex}&lang=ja"
    _, german = page(client, links["de"])
    assert '<html lang="de"' in german and results(german) == ["Ball bearing 6204"]
    assert re.search(r'<input id="q" name="q" type="search" value="bearing"', german)
    _, text = page(client, f"/s/{ex}?q=bearing+6204&cursor=&x=1&x=2")  # every parameter, repeated ones too
    assert switcher(text)["ja"] == f"/s/{ex}?q=bearing+6204&cursor=&x=1&x=2&lang=ja"
    _, text = page(client, "/login?next=%2Fdashboard")
    assert switcher(text)["en"] == "/login?next=%2Fdashboard&lang=en"
    _, german = page(client, f"/listings/?q=bearing&price_min=1%2C5&price_max=20%2C5&exporter={ex}&lang=de")
    assert results(german) == ["Ball bearing 6204"]  # 10.00 EUR, between 1,5 and 20,5 as German writes them
    english = switcher(german)["en"]
    assert "price_min=1.5&price_max=20.5" in english  # as every language reads them
    status, text = page(client, english)
    assert status == 200 and results(text) == ["Ball bearing 6204"]


@pytest.mark.parametrize(
    ("path", "link"),
    [
        ("//evil.example/x", "/evil.example/x?lang=de"),
        ("///evil.example", "/evil.example?lang=de"),
        ("/\\evil.example", "/%5Cevil.example?lang=de"),
        ("/\t/evil.example", "/%09/evil.example?lang=de"),
        ("/listings/ ä".encode().decode("latin-1"), "/listings/%20%C3%A4?lang=de"),  # as WSGI carries it
    ],
)
def test_the_language_switcher_stays_on_this_site(client, path: str, link: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/", environ_overrides={"PATH_INFO": path})
    assert response.status_code in (404, 308), response.status_code
    if response.status_code == 404:
        assert switcher(html.unescape(response.get_data(as_text=True)))["de"] == link


# -- 3. the filters panel opens for filters only ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "opened"),
    [
        ("", False),
        ("lang=de", False),
        ("currency=JPY", False),
        ("limit=5", False),
        ("q=bearing&sort=price&lang=ja&currency=USD&limit=10", False),
        ("origin=DE", True),
        ("hs=8482", True),
        ("price_max=10&currency=JPY", True),
        ("lead_time_max=30", True),
        ("incoterm=FOB&lang=de", True),
        ("category=XVI", True),
        ("moq_max=500", True),
    ],
)
def test_the_filters_panel_opens_when_a_filter_is_set(client, args: str, opened: bool) -> None:  # type: ignore[no-untyped-def]
    status, text = page(client, f"/listings/?{args}")
    assert status == 200
    assert ('<details class="filters" open>' in text) is opened
    assert ('<details class="filters">' in text) is not opened


def test_the_filters_panel_opens_for_an_exporter(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    ex = slug(platform, orgs.exporter())
    assert '<details class="filters" open>' in page(client, f"/listings/?exporter={ex}")[1]


# -- 4. the language of the words: lang, else Accept-Language, else the interface's --------------------------


def test_the_search_language_is_lang_else_the_browsers_else_the_interfaces() -> None:
    def accepts(header: str) -> LanguageAccept:
        return parse_accept_header(header, LanguageAccept)

    assert search_language("fr", accepts("de"), "en") == "fr"
    assert search_language(None, accepts("de-DE,de;q=0.9,en;q=0.8"), "en") == "de"
    assert search_language(None, accepts("ja,fr-CA;q=0.5"), "ja") == "fr"  # Japanese has no stemmer
    assert search_language(None, accepts("ja"), "ja") == "ja"
    assert search_language(None, accepts("*"), "de") == "de"  # any language: not the first one known
    assert search_language(None, accepts("de;q=0,en"), "ja") == "en"
    assert search_language(None, accepts(""), "de") == "de"


def test_german_plurals_are_found_for_a_german_browser(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    """'Kugellagern' (dative plural) finds 'Kugellager' only when stemmed as German."""
    exp = orgs.exporter()
    ex = slug(platform, exp)
    wanted = put(platform, exp, {"de": ("Kugellager aus Edelstahl", "Dichtungen beidseitig")})
    put(platform, exp, {"en": ("Stainless steel hinge", "")})
    german = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"}
    words = f"q=Kugellagern+Edelstahl&exporter={ex}"
    assert results(page(client, f"/listings/?{words}", **german)[1]) == ["Kugellager aus Edelstahl"]
    assert results(page(client, f"/s/{ex}?q=Kugellagern+Edelstahl", **german)[1]) == ["Kugellager aus Edelstahl"]
    api = client.get(f"/api/v1/listings?{words}", headers=german).json
    assert [i["id"] for i in api["items"]] == [wanted]
    assert client.get(f"/api/v1/listings?{words}", headers={"Accept-Language": "en"}).json["items"] == []
    assert client.get(f"/api/v1/listings?{words}&lang=en", headers=german).json["items"] == []
    assert results(page(client, f"/listings/?{words}&lang=en", **german)[1]) == []  # lang= chosen: English
    assert results(page(client, f"/listings/?{words}", **german)[1]) == []  # and remembered

    buyer = orgs.buyer()  # its organization reads Japanese; this browser, German
    login(client, buyer)
    with client.session_transaction() as session:
        session.pop("lang", None)  # no language chosen on the page
    assert results(page(client, f"/listings/?{words}", **german)[1]) == ["Kugellager aus Edelstahl"]


# -- 5. the number of results ---------------------------------------------------------------------------------


def counted(text: str) -> str | None:
    found = re.search(r'<p class="search-count" role="status">([^<]*)</p>', text)
    return found.group(1) if found else None


@pytest.mark.parametrize(
    ("lang", "counts"),
    [
        ("en", ["3 listings", "2 listings", "1 listing"]),
        ("de", ["3 Artikel", "2 Artikel", "1 Artikel"]),
        ("ja", ["3件", "2件", "1件"]),
    ],
)
def test_the_number_of_results_is_shown_in_the_pages_language(  # type: ignore[no-untyped-def]
    client, platform, orgs: Orgs, lang: str, counts: list[str]
) -> None:
    three, two, one = counts
    exp = orgs.exporter()
    ex = slug(platform, exp)
    for title in ("Hex bolt M8", "Hex bolt M10", "Hex nut M8"):
        put(platform, exp, {"en": (title, "")})
    _, text = page(client, f"/listings/?exporter={ex}&limit=1&lang={lang}")
    assert counted(text) == three and len(results(text)) == 1
    assert counted(page(client, f"/listings/?q=nut&exporter={ex}&lang={lang}")[1]) == one
    assert counted(page(client, f"/s/{ex}?q=bolt&lang={lang}")[1]) == two
    _, none = page(client, f"/listings/?q=washer&exporter={ex}&lang={lang}")
    assert counted(none) is None and t(lang, "No listings match this search.") in none


@pytest.mark.parametrize(("lang", "text"), [("en", "1,234 listings"), ("de", "1.234 Artikel"), ("ja", "1,234件")])
def test_large_numbers_of_results_are_grouped_for_the_language(app, lang: str, text: str) -> None:  # type: ignore[no-untyped-def]
    from marketplace.catalog.views import count_text

    with app.test_request_context(f"/listings/?lang={lang}"):
        app.preprocess_request()
        assert count_text(1234) == text
        assert count_text(1) == {"en": "1 listing", "de": "1 Artikel", "ja": "1件"}[lang]


def test_the_api_answers_the_total_and_documents_it(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exp = orgs.exporter()
    ex = slug(platform, exp)
    for title in ("Gate valve DN50", "Gate valve DN80", "Check valve DN50"):
        put(platform, exp, {"en": (title, "")})
    body = client.get(f"/api/v1/listings?q=valve&exporter={ex}&limit=2").json
    assert body["total"] == 3 and len(body["items"]) == 2 and body["next"]
    assert client.get(f"/api/v1/listings?q=gate&exporter={ex}").json["total"] == 2
    assert client.get(f"/api/v1/listings?q=nothing&exporter={ex}").json["total"] == 0
    spec = client.get("/api/v1/openapi.json").json
    answer = spec["paths"]["/listings"]["get"]["responses"]["2XX"]["content"]["application/json"]["schema"]
    documented = spec["components"]["schemas"][answer["$ref"].rsplit("/", 1)[1]]
    assert set(documented["properties"]) == set(body) == set(ListingsPage.model_fields)
    assert documented["properties"]["total"]["type"] == "integer" and documented["properties"]["total"]["description"]


# -- 6. an HS code in the search box ----------------------------------------------------------------------------


def test_hs_codes_in_the_search_box() -> None:
    for text, code in [("8482.10", "848210"), ("848210", "848210"), ("8482", "8482"), (" 8482 10 10 ", "84821010")]:
        assert hs_code_of(text) == code, text
    for text in ("84", "84821", "8482.1", "7701.10", "bearing 8482", "8482-10", '"8482"', "84.82"):
        assert hs_code_of(text) is None, text


def test_an_hs_code_typed_in_the_search_box_finds_the_listings_under_it(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exp = orgs.exporter()
    ex = slug(platform, exp)
    bearing = put(platform, exp, {"en": ("Ball bearing 6204", "")}, hs_code="8482.10")
    roller = put(platform, exp, {"en": ("Roller bearing", "")}, hs_code="8482.50")
    put(platform, exp, {"en": ("Spindle unit 8482", "")}, hs_code="8466.93", sku="SPINDLE-A")  # no word "10"
    for typed in ("8482.10", "848210", "8482 10"):
        body = client.get("/api/v1/listings", query_string={"q": typed, "exporter": ex}).json
        assert [i["id"] for i in body["items"]] == [bearing] and body["hs_from_q"] == "848210", typed
    body = client.get(f"/api/v1/listings?q=8482&exporter={ex}&sort=price").json
    assert {i["id"] for i in body["items"]} == {bearing, roller} and body["hs_from_q"] == "8482"
    body = client.get(f"/api/v1/listings?q=6204&exporter={ex}").json  # under no HS code here: a model number
    assert [i["id"] for i in body["items"]] == [bearing] and body["hs_from_q"] is None
    assert client.get(f"/api/v1/listings?q=bearing&exporter={ex}").json["hs_from_q"] is None
    body = client.get(f"/api/v1/listings?q=8482.10&hs=8482.50&exporter={ex}").json  # disagrees with hs: words
    assert body["items"] == [] and body["hs_from_q"] is None

    status, text = page(client, f"/listings/?q=8482.10&exporter={ex}&lang=en")
    assert status == 200 and results(text) == ["Ball bearing 6204"]
    note = t("en", "The search box holds an HS code: these are the listings under %(code)s.", code="8482.10")
    assert note in text
    as_words = t("en", "Search for “%(text)s” as words", text="8482.10")
    words = re.search(r'<a href="([^"]*)">' + re.escape(as_words), text)
    assert words and "q=%228482.10%22" in words.group(1)
    assert re.search(r'<input id="q" name="q" type="search" value="8482.10"', text)  # as typed
    _, text = page(client, words.group(1))
    assert note not in text and results(text) == []  # the words 8482 and 10: in no title here
    _, text = page(client, f"/s/{ex}?q=848210&lang=de")
    assert results(text) == ["Ball bearing 6204"]
    assert t("de", "The search box holds an HS code: these are the listings under %(code)s.", code="8482.10") in text


# -- 7. result cards show each listing as it is now --------------------------------------------------------------


def test_a_result_card_shows_the_listing_as_it_is_now_in_the_pages_language(  # type: ignore[no-untyped-def]
    client, platform, orgs: Orgs
) -> None:
    """Cards are rendered once per content (catalog.cards): a new title, price, exporter name or language shows
    on the next search all the same."""
    from marketplace.accounts.models import Organization
    from marketplace.catalog.models import Listing
    from marketplace.catalog.schemas import ListingIn, TranslationIn
    from marketplace.catalog.service import listing_data, set_translation, update_listing

    exp = orgs.exporter()
    ex = slug(platform, exp)
    listing_id = put(platform, exp, {"en": ("Brass hinge", ""), "de": ("Messingscharnier", "")})
    search = f"/listings/?exporter={ex}"

    def card(lang: str) -> str:
        status, text = page(client, f"{search}&lang={lang}")
        found = re.findall(r'<article class="card result">(.*?)</article>', text, re.S)
        assert status == 200 and len(found) == 1, text
        return found[0]

    first = card("en")
    assert "Brass hinge" in first and "€10.00" in first and "Messingscharnier" not in first
    assert "Brass hinge" in page(client, f"/listings/{listing_id}?lang=en")[1]  # its page's card, kept too
    assert "Messingscharnier" in card("de") and "10,00\xa0€" in card("de")
    with platform.db.session() as s:
        user = s.merge(exp)
        set_translation(s, user, listing_id, "en", TranslationIn(title="Solid brass hinge"))
        s.commit()
    assert "Solid brass hinge" in card("en") and "Brass hinge<" not in card("en")
    with platform.db.session() as s:
        user = s.merge(exp)
        data = listing_data(s.get(Listing, listing_id))
        data["price_tiers"] = [{"min_quantity": 1, "unit_price": "12.50"}]
        update_listing(s, user, listing_id, ListingIn.model_validate(data))
        s.get(Organization, user.organization_id).name = "Renamed Hinge Works"
        s.commit()
    now = card("en")
    assert "€12.50" in now and "€10.00" not in now and "Renamed Hinge Works" in now
    assert "12,50\xa0€" in card("de") and "Messingscharnier" in card("de")
    storefront = page(client, f"/s/{ex}?lang=en")[1]
    assert "Solid brass hinge" in storefront and "€12.50" in storefront
    shown = page(client, f"/listings/{listing_id}?lang=en")[1]
    assert "Solid brass hinge" in shown and "€12.50" in shown and "Renamed Hinge Works" in shown


@pytest.mark.parametrize("lang", ["en", "de", "ja"])
def test_the_rates_date_is_written_as_the_page_writes_dates(client, platform, orgs: Orgs, lang: str) -> None:  # type: ignore[no-untyped-def]
    from babel.dates import format_date

    exp = orgs.exporter()
    listing_id = put(platform, exp, {"en": ("Brass hinge", "")})
    day = format_date(platform.rates.rate("EUR", "USD").source_date, "medium", locale=lang)
    assert day not in platform.rates.rate("EUR", "USD").source_date.isoformat()
    _, text = page(client, f"/listings/?exporter={slug(platform, exp)}&currency=USD&lang={lang}")
    assert t(lang, "%(price)s at the ECB rate of %(date)s", price="€10.00", date=day).split("€10.00")[1] in text
    buyer = orgs.buyer()  # pays in JPY: the listing's page converts at a dated rate
    login(client, buyer)
    _, text = page(client, f"/listings/{listing_id}?lang={lang}")
    assert format_date(platform.rates.rate("EUR", "JPY").source_date, "medium", locale=lang) in text
