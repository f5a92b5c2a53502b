"""Every page, as every role, in every shipped language: a crawl over seeded states fails on any 5xx or
4xx behind a link, and on any message shown without a translation. A static check of the templates
catches text written outside `_()`."""

from __future__ import annotations

import html
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment

from i18n import TRANSLATIONS, UI_LOCALES
from marketplace.accounts.models import Organization, Role, User
from marketplace.accounts.service import create_user
from marketplace.catalog import images
from marketplace.catalog.schemas import TranslationIn
from marketplace.catalog.service import set_translation
from marketplace.rfq.service import create_rfq, submit_quote
from marketplace.trades import actions, documents
from marketplace.trades.models import Trade
from tests.conftest import PASSWORD, Orgs
from tests.marketplace import flow, test_images
from tests.marketplace.flow import act, funded
from tests.marketplace.test_pages import login

TEMPLATES = Path(__file__).resolve().parents[2] / "marketplace" / "templates"
LANGUAGES = UI_LOCALES
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != "en")
# Words that stay as they are in every language: the brand, contract names and trade terms.
TERMS = frozenset({"Tradewind", "TradeEscrow", "SettlementRegistry", "SKU", "Incoterms", "CSV", "XLSX"})
MAX_PAGES = 400  # per role and language: a crawl that runs away fails instead of hanging


@dataclass(frozen=True)
class World:
    """Seeded users (by role) and the paths of pages in each state."""

    users: dict[str, User]
    trades: dict[str, int]
    open_rfq: int
    quoted_rfq: int


def _upload(name: str, data: bytes, content_type: str) -> documents.Upload:
    return documents.checked_upload(data, name, content_type, 1 << 20)


def _with_file(platform, worker, action, user: User, trade_id: int, upload: documents.Upload) -> None:  # type: ignore[no-untyped-def]
    act(platform, worker, action, user, trade_id, upload.sha256, upload)
    documents.save(platform.config.documents_dir, upload)


@pytest.fixture(scope="module")
def world(platform, worker) -> World:  # type: ignore[no-untyped-def]
    """One trade in each state a page can show, plus RFQs with and without quotes."""
    orgs = Orgs(platform)
    exporter, buyer, auditor = orgs.exporter(), orgs.buyer(), orgs.auditor()
    desk = orgs.make("arbiter", locale="en", currency="USD")
    with platform.db.session() as s:
        viewer = create_user(
            s,
            s.get(Organization, buyer.organization_id),
            email=f"viewer-of-{buyer.email}",
            name="Viewer",
            password=PASSWORD,
            role=Role.VIEWER,
        )
    worker.drain()

    listing_id = flow.listing(platform, exporter, sku="CRAWL-1")
    with platform.db.session() as s:  # a picture and a text in a language without an interface
        picture = images.checked_picture(test_images.picture("PNG", (640, 480)), 1 << 20, 10**7)
        images.add_image(s, s.merge(exporter), listing_id, picture, platform.config.media_dir)
        set_translation(s, s.merge(exporter), listing_id, "pt_BR", TranslationIn(title="Cabo de cobre"))
    with platform.db.session() as s:
        open_rfq = create_rfq(s, s.merge(buyer), listing_id=listing_id, quantity=150, message="Kobe, please.").id
        quoted_rfq = create_rfq(s, s.merge(buyer), listing_id=listing_id, quantity=400).id
        submit_quote(s, s.merge(exporter), quoted_rfq, unit_price="1.20")
        submit_quote(s, s.merge(exporter), quoted_rfq, unit_price="1.15", payment_schedule="30/70", note="final")

    trades = {"awaiting_funding": flow.accepted(platform, exporter, buyer)}
    trades["funded"] = funded(platform, worker, exporter, buyer)
    trades["shipped"] = funded(platform, worker, exporter, buyer)
    bill = _upload("bill of lading.pdf", b"%PDF-1.4 crawl\n%%EOF\n", "application/pdf")
    _with_file(platform, worker, actions.mark_shipped, exporter, trades["shipped"], bill)
    statement = _upload("statement.txt", "Rusted. 錆び。".encode(), "text/plain")
    for state in ("disputed", "ruled"):
        trades[state] = funded(platform, worker, exporter, buyer)
        _with_file(platform, worker, actions.dispute, buyer, trades[state], statement)
    act(platform, worker, actions.rule, desk, trades["ruled"], "100.00")
    trades["refunded"] = funded(platform, worker, exporter, buyer)
    act(platform, worker, actions.refund, exporter, trades["refunded"])
    trades["settled"] = funded(platform, worker, exporter, buyer)
    act(platform, worker, actions.propose_settlement, exporter, trades["settled"], "250.00")
    act(platform, worker, actions.accept_settlement, buyer, trades["settled"])
    trades["released"] = funded(platform, worker, exporter, buyer, schedule="30/70")
    act(platform, worker, actions.release_milestone, buyer, trades["released"], 0)
    act(platform, worker, actions.confirm_receipt, buyer, trades["released"])
    worker.drain()  # anchors the closed trades
    with platform.db.session() as s:
        assert s.get(Trade, trades["released"]).batch.status == "anchored"
    trades["proposal_pending"] = funded(platform, worker, exporter, buyer)
    with platform.db.session() as s:  # left on its way to the chain: the page shows the pending action
        actions.propose_settlement(s, s.merge(exporter), trades["proposal_pending"], platform.ctx, "5.00")
    users = {"exporter": exporter, "buyer": buyer, "viewer": viewer, "auditor": auditor, "desk": desk}
    return World(users, trades, open_rfq, quoted_rfq)


class _Links(HTMLParser):
    """Links and GET forms of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self._form: list[str] | None = None
        self._fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in a:
            self.targets.append(a["href"])
        elif tag == "form" and a.get("method", "get").lower() == "get":
            self._form, self._fields = [a.get("action", "")], []
        elif tag in ("input", "select", "textarea") and self._form is not None and a.get("name"):
            self._fields.append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            action = self._form[0]
            self.targets.append(f"{action}?{urlencode(self._fields)}" if self._fields else action)
            self._form = None


def _same_site(base: str, href: str) -> str | None:
    """The path and query of a same-site link, without `lang`, or None."""
    if href.startswith(("javascript:", "mailto:", "#")):
        return None
    url = urlsplit(urljoin(base, href))
    if url.netloc not in ("", "localhost") or "logout" in url.path:
        return None
    query = urlencode([(k, v) for k, v in parse_qsl(url.query) if k != "lang"])
    return urlunsplit(("", "", url.path, query, ""))


def _in(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def crawl(client, lang: str, start: list[str]) -> tuple[dict[str, str], list[str]]:  # type: ignore[no-untyped-def]
    """Visit every page reachable from `start` in `lang`: the pages' texts by path, and the faults."""
    pages: dict[str, str] = {}
    faults: list[str] = []
    seen: set[str] = set()
    queue = deque(start)
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        assert len(seen) <= MAX_PAGES, f"more than {MAX_PAGES} pages: {sorted(seen)[:20]}..."
        response = client.get(_in(path, lang))
        body = response.get_data(as_text=response.mimetype.startswith("text/"))
        response.close()
        if response.status_code >= 400:
            faults.append(f"{response.status_code} {lang} {path}")
            continue
        if response.status_code in (301, 302, 303, 307, 308):
            target = _same_site(f"http://localhost{path}", response.headers["Location"])
            if target:
                queue.append(target)
            continue
        if response.mimetype != "text/html":
            continue
        pages[path] = body
        parser = _Links()
        parser.feed(body)
        for href in parser.targets:
            target = _same_site(f"http://localhost{path}", html.unescape(href))
            if target and target not in seen:
                queue.append(target)
    return pages, faults


@pytest.fixture
def looked_up(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Every message id that pages look up while the test runs (Jinja's `_()` and Flask-Babel's gettext
    both end in the catalog's `ugettext`)."""
    seen: set[str] = set()
    original = Translations.ugettext

    def recording(self, message: str) -> str:  # type: ignore[no-untyped-def]
        seen.add(message)
        return original(self, message)

    monkeypatch.setattr(Translations, "ugettext", recording)
    yield seen


def _catalog(lang: str) -> dict[str, object]:
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return {m.id: m for m in read_po(handle, locale=lang) if m.id}


def _untranslated(message_ids: set[str]) -> list[str]:
    missing = []
    for lang in TRANSLATED:
        catalog = _catalog(lang)
        for message_id in sorted(message_ids):
            entry = catalog.get(message_id)
            if entry is None or not entry.string or entry.fuzzy:  # type: ignore[attr-defined]
                missing.append(f"{lang}: {message_id!r}")
    return missing


@pytest.mark.parametrize("role", ["anonymous", "exporter", "buyer", "viewer", "auditor", "desk"])
def test_every_page_renders_in_every_language(app, world: World, looked_up: set[str], role: str) -> None:  # type: ignore[no-untyped-def]
    faults: list[str] = []
    reached: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        client = app.test_client()
        if role != "anonymous":
            login(client, world.users[role])
        start = ["/", "/dashboard", "/trades/", "/login", *(["/audit/"] if role in ("auditor", "anonymous") else [])]
        reached[lang], found = crawl(client, lang, start)
        faults += found
    assert not faults, faults
    assert not _untranslated(looked_up), _untranslated(looked_up)
    assert looked_up, "the crawl looked up no message at all"

    pages = reached["en"]
    if role == "anonymous":
        assert any(p.startswith("/listings/") for p in pages)
        return
    trade_pages = {p for p in pages if re.fullmatch(r"/trades/\d+", p)}
    assert {f"/trades/{t}" for t in world.trades.values()} <= trade_pages
    if role in ("exporter", "buyer", "viewer"):
        assert {f"/rfqs/{world.open_rfq}", f"/rfqs/{world.quoted_rfq}"} <= set(pages)
    if role == "exporter":
        assert f'action="/rfqs/{world.open_rfq}/quotes"' in pages[f"/rfqs/{world.open_rfq}"]
        own = {"/listings/mine", "/listings/mine?status=draft"}
        assert own <= set(pages)
        assert any(re.fullmatch(r"/listings/\d+/edit", p) for p in pages)
        assert any(re.fullmatch(r"/listings/\d+/translations\?locale=pt_BR", p) for p in pages)
    pending = pages[f"/trades/{world.trades['proposal_pending']}"]
    assert "On its way to the chain: settlement proposal." in pending
    for lang in LANGUAGES:  # the stored bill of lading and evidence are linked (and were downloaded)
        assert any("/documents/" in text for text in reached[lang].values())


def _template_text(source: str) -> str:
    """The literal text of a template outside Jinja tags, without HTML markup, code samples or
    attributes that are not shown (placeholders, titles and labels are kept)."""
    env = Environment()
    data = "\x00".join(value for _, kind, value in env.lex(source) if kind == "data")
    data = re.sub(r"<(code|script|style)\b.*?</\1>", " ", data, flags=re.S | re.I)
    shown = re.findall(r'\b(?:placeholder|title|alt|aria-label)="([^"\x00]*)"', data)
    text = re.sub(r"<[^>]*>", " ", data)
    return html.unescape(" ".join([text, *shown]))


def test_templates_write_no_words_outside_gettext() -> None:
    """Every word a template shows goes through `_()`, except a few terms that every language keeps."""
    offenders = {}
    for template in sorted(TEMPLATES.rglob("*.html")):
        words = set(re.findall(r"[^\W\d_]{2,}", _template_text(template.read_text()))) - TERMS
        if words:
            offenders[str(template.relative_to(TEMPLATES))] = sorted(words)
    assert not offenders, offenders


def test_the_static_check_finds_bare_words() -> None:
    assert set(re.findall(r"[^\W\d_]{2,}", _template_text("<p>{{ _('Fine') }} Status: <b>{{ x }}</b></p>"))) == {
        "Status"
    }
    assert not re.findall(r"[^\W\d_]{2,}", _template_text("<code>tradewind verify {{ f }}</code> · 0x… #"))
