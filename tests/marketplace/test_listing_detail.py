"""The public listing page: read in one statement (on SQLite and PostgreSQL) with everything the ORM would have
loaded, shown to each viewer in their own language and currency, hidden from whoever may not see it; and the
formatting it does kept per process only where the answer cannot change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from babel import UnknownLocaleError
from babel.numbers import format_currency
from babel.support import NullTranslations
from flask import Flask
from flask_babel import get_translations
from jinja2 import Environment
from sqlalchemy import event, select

from i18n import babel_locale
from marketplace import create_app, templating
from marketplace.accounts.models import User
from marketplace.catalog.images import add_image, checked_picture
from marketplace.catalog.models import Listing
from marketplace.catalog.service import create_listing, view_listing
from marketplace.catalog.shown import read_listing
from marketplace.platform import Platform
from marketplace.pricing.money import Money
from tests.conftest import Orgs, org_of
from tests.marketplace import flow
from tests.marketplace.test_images import picture
from tests.marketplace.test_pages import login

TEXTS = {
    "en": {"title": "Copper cable 3x2.5", "description": "Per metre"},
    "de": {"title": "Kupferkabel 3x2,5", "description": "Pro Meter"},
    "ja": {"title": "銅ケーブル", "description": "メートル単位"},
}


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, app: Flask, platform: Platform) -> tuple[Flask, Platform]:
    """The app on the session's SQLite database, then on a fresh PostgreSQL one."""
    if request.param == "sqlite":
        return app, platform
    pg_platform: Platform = request.getfixturevalue("pg_platform")
    return create_app(platform=pg_platform), pg_platform


def _listing(platform: Platform, exporter: User, sku: str, **fields: object) -> int:
    """A listing with two tiers, two Incoterm offers, three languages and two pictures."""
    data = flow.listing_in(
        sku=sku,
        price_tiers=[{"min_quantity": 100, "unit_price": "1.25"}, {"min_quantity": 5000, "unit_price": "0.98"}],
        incoterms=[{"rule": "FOB", "place": "Hamburg"}, {"rule": "EXW", "place": "Bremen"}],
        translations=TEXTS,
        **fields,
    )
    with platform.db.session() as s:
        listing = create_listing(s, s.merge(exporter), data)
        s.flush()
        folder = Path(platform.config.media_dir)
        for color in ("teal", "orange"):
            shot = checked_picture(picture(color=color), 10 * 2**20, 50_000_000)
            add_image(s, s.merge(exporter), listing.id, shot, folder)
        return listing.id


@contextmanager
def statements(platform: Platform) -> Iterator[list[str]]:
    """The SQL statements run on the platform's engine inside the block."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(platform.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(platform.db.engine, "before_cursor_execute", record)


def test_the_page_is_one_statement_with_all_the_orm_would_load(site: tuple[Flask, Platform]) -> None:
    app, platform = site
    exporter = Orgs(platform).exporter()
    listing_id = _listing(platform, exporter, "DET-1")

    with statements(platform) as seen:
        page = app.test_client().get(f"/listings/{listing_id}?lang=de")
    assert page.status_code == 200
    assert len(seen) == 1, seen
    text = page.text
    assert "Kupferkabel 3x2,5" in text and "Pro Meter" in text
    assert "1,25\xa0€" in text and "0,98\xa0€" in text and "100 Meter" in text and "5.000 Meter" in text
    assert "FOB Hamburg; EXW Bremen (Incoterms 2020)" in text
    assert text.count("/media/listings/") == 4  # the first picture medium and full, the second thumbnail and full
    assert org_of(platform, exporter).name in text

    with platform.db.session() as s:
        orm = s.get(Listing, listing_id)
        with platform.db.engine.connect() as connection:
            shown = read_listing(connection, listing_id)
        for locale in ("en", "de", "ja", "fr", "de_AT"):
            assert shown.category.name(locale) == orm.category.name(locale)
            assert shown.translation(locale).title == orm.translation(locale).title
            for currency in ("EUR", "JPY", "USD"):
                from_rows, from_orm = (
                    view_listing(x, locale, currency, platform.rates).as_json() for x in (shown, orm)
                )
                for answer in (from_rows, from_orm):
                    answer["fx"].pop("fetched_at")  # type: ignore[attr-defined]
                assert from_rows == from_orm
        assert [str(o) for o in shown.offers] == [str(o) for o in orm.offers] == ["FOB Hamburg", "EXW Bremen"]
        assert [t.locale for t in shown.translations] == [t.locale for t in orm.translations]
        assert (shown.status, shown.visibility, shown.organization_id) == (
            orm.status,
            orm.visibility,
            orm.organization_id,
        )


def test_each_viewer_sees_the_page_in_their_language_and_currency(site: tuple[Flask, Platform]) -> None:
    app, platform = site
    orgs = Orgs(platform)
    exporter = orgs.exporter()
    listing_id = _listing(platform, exporter, "DET-2")
    japanese, british = orgs.buyer(), orgs.buyer(country="GB", currency="GBP", locale="en")
    pages = {}
    for name, user in (("japanese", japanese), ("anonymous", None), ("british", british), ("again", None)):
        client = app.test_client()
        if user is not None:
            login(client, user)
        with statements(platform) as seen:
            pages[name] = client.get(f"/listings/{listing_id}").text
        assert len(seen) == (1 if user is None else 2), (
            seen
        )  # the signed-in user with its organization, then the listing
    assert "￥" in pages["japanese"] and "銅ケーブル" in pages["japanese"] and "見積依頼を送信" in pages["japanese"]
    assert "£" in pages["british"] and "Copper cable" in pages["british"] and "Send RFQ" in pages["british"]
    for name in ("anonymous", "again"):
        assert "€" in pages[name] and "￥" not in pages[name] and "£" not in pages[name]
        assert "Log in to request a quote" in pages[name] and "Send RFQ" not in pages[name]


def test_drafts_restricted_and_archived_listings_stay_hidden(site: tuple[Flask, Platform]) -> None:
    app, platform = site
    orgs = Orgs(platform)
    exporter, chosen, other = orgs.exporter(), orgs.buyer(), orgs.buyer()
    slug = org_of(platform, chosen).slug
    draft = _listing(platform, exporter, "DET-D", status="draft")
    restricted = _listing(platform, exporter, "DET-R", visibility="restricted", audience=[slug])
    archived = _listing(platform, exporter, "DET-A", status="archived")
    clients = {"anonymous": app.test_client()}
    for name, user in (("owner", exporter), ("chosen", chosen), ("other", other)):
        clients[name] = app.test_client()
        login(clients[name], user)
    expected = {
        draft: {"owner": 200, "chosen": 404, "other": 404, "anonymous": 404},
        restricted: {"owner": 200, "chosen": 200, "other": 404, "anonymous": 404},
        archived: {"owner": 200, "chosen": 404, "other": 404, "anonymous": 404},
    }
    for listing_id, answers in expected.items():
        for name, status in answers.items():
            page = clients[name].get(f"/listings/{listing_id}?lang=en")
            assert page.status_code == status, (listing_id, name)
            assert ("Kupferkabel" in page.text or "Copper cable" in page.text) == (status == 200)
    owner_page = clients["owner"].get(f"/listings/{restricted}?lang=en").text
    assert f"Only these buyers see it: {slug}" in owner_page and "/edit" in owner_page
    assert slug not in clients["chosen"].get(f"/listings/{restricted}?lang=en").text.split("<main>")[1]


def test_the_anonymous_page_leaves_no_autocommit_connection_in_the_pool(pg_platform: Platform) -> None:
    app = create_app(platform=pg_platform)
    exporter = Orgs(pg_platform).exporter()
    listing_id = _listing(pg_platform, exporter, "DET-P")
    for _ in range(3):
        assert app.test_client().get(f"/listings/{listing_id}").status_code == 200
    pool = pg_platform.db.engine.pool
    held = [pg_platform.db.engine.connect() for _ in range(pool.checkedin())]
    try:
        assert held and not any(c.connection.dbapi_connection.autocommit for c in held)
    finally:
        for connection in held:
            connection.close()
    with pg_platform.db.session() as s:  # a write that fails is still undone as a whole
        listing = s.scalar(select(Listing).where(Listing.id == listing_id))
        listing.moq = 7
        s.flush()
        s.rollback()
        assert s.get(Listing, listing_id).moq == 100


def test_money_text_is_babels_whatever_was_formatted_before() -> None:
    """`Money.format` keeps recent answers per process. Nothing needs to invalidate them: the amount, currency
    and locale are all that goes into one. They equal Babel's in every locale, also once more amounts were
    formatted than are kept (the first ones are then formatted again)."""
    amounts = [Money(minor, c) for c in ("EUR", "JPY", "USD", "BHD") for minor in range(0, 3_000_000, 1009)]
    for _round in range(2):
        for locale in ("en", "de", "ja", "fr_CA"):
            for money in amounts:
                assert money.format(locale) == format_currency(money.amount, money.currency, locale=locale)
    assert len(amounts) * 4 > 4096
    assert Money(123456, "EUR").format("de") == "1.234,56\xa0€" and Money(123456, "EUR").format("en") == "€1,234.56"


def test_a_locale_is_parsed_once_and_a_bad_one_is_refused_each_time() -> None:
    assert babel_locale("de") is babel_locale("de") and str(babel_locale("pt_BR")) == "pt_BR"
    for _ in range(2):
        with pytest.raises((ValueError, UnknownLocaleError)):
            babel_locale("zz_QQ")


def test_quantities_are_kept_per_catalog(app: Flask) -> None:
    """The `quantity` filter's kept texts depend on the catalog that named the unit, not only on the locale."""
    with app.test_request_context("/?lang=de"):
        app.preprocess_request()
        german = get_translations()
        assert templating.quantity(2, "SET", "de", german) == "2 Sätze"
        assert templating.quantity(2, "SET", "de", NullTranslations()) == "2 sets"
        assert templating.quantity(2, "SET", "de", german) == "2 Sätze"


SNIPPETS = (
    "{{ _('Catalog') }}",
    "{{ _('%(count)s in stock', count='<b>12</b>') }}",
    "{{ gettext('Seller price') }}: 100%%",
    "{% set x = 3 %}{{ _('Quantity') }} {{ x }}",
    "{% for n in (1, 2, 5) %}{{ ngettext('%(count)s piece', '%(count)s pieces', n, count=n) }};{% endfor %}",
    "{% autoescape false %}{{ _('%(count)s in stock', count='<b>') }}{% endautoescape %}",
    "{% trans %}Catalog{% endtrans %} {% trans n=4 %}{{ n }} piece{% pluralize %}{{ n }} pieces{% endtrans %}",
    "{{ pgettext('unit', 'piece') }} {{ npgettext('unit', 'piece', 'pieces', 2) }}",
)


@pytest.mark.parametrize("lang", ["en", "de", "ja"])
def test_the_pages_message_functions_answer_as_jinjas_own(app: Flask, lang: str) -> None:
    """Our `_`, `gettext`, `ngettext`, `pgettext`, `npgettext` against Jinja's i18n extension given the same
    catalog (newstyle, as Flask-Babel installs it): the same text, escaping and %-formatting."""
    with app.test_request_context(f"/?lang={lang}"):
        app.preprocess_request()
        catalog = get_translations()
        jinjas = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
        jinjas.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
        ours = app.jinja_env.overlay(autoescape=True)
        for snippet in SNIPPETS:
            assert ours.from_string(snippet).render() == jinjas.from_string(snippet).render(), snippet
        for env in (ours, jinjas):  # a percent sign not written %% is an error in both
            with pytest.raises(ValueError):
                env.from_string("{{ _('Up by 100%') }}").render()


def test_decimal_rates_still_read_in_the_content_language(app: Flask) -> None:
    with app.test_request_context("/?lang=de"):
        app.preprocess_request()
        assert app.jinja_env.from_string("{{ r | decimal }}").render(r=Decimal("161.8765")) == "161,8765"
