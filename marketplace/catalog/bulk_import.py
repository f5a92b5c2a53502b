"""Importing an exporter's catalog file: every row checked first (by the same schema and rules as a listing
written on a page or through the API), then, only if all are good, written in one transaction: new SKUs
created, changed ones updated, the rest left alone."""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Organization
from marketplace.catalog.bulk_write import insert_listings
from marketplace.catalog.codec import parse_offers, parse_tiers
from marketplace.catalog.hs_sections import section_of
from marketplace.catalog.models import Category, Listing
from marketplace.catalog.schemas import ListingIn, TranslationQuery
from marketplace.catalog.search_index import EuroRates
from marketplace.catalog.service import ListingPlan, apply_listing, buyers_by_slug, listing_data, plan_listing
from marketplace.catalog.table import Table
from marketplace.errors import DomainError, Invalid
from marketplace.validate import error_template, parse_form, refusals

COLUMNS = (
    "sku",
    "category",
    "hs_code",
    "origin",
    "unit",
    "moq",
    "lead_time_days",
    "stock",
    "currency",
    "price_tiers",
    "incoterms",
    "status",
    "visibility",
    "audience",
    "source_locale",
)
"""The columns besides `title_<locale>` and `description_<locale>`, in the order an export writes them."""
REQUIRED = ("sku", "hs_code", "moq", "price_tiers", "incoterms")
_SLUG_SEPARATORS = re.compile(r"[;,\s]+")
TEXT_COLUMN = re.compile(r"(title|description)_([a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8}){0,2})")
EXAMPLE_SKU = "EXAMPLE-6204"
"""The SKU of the template's example row. A row with it is refused: an example left in a filled-in template
never becomes a listing."""
MAX_REPORTED = 200
"""Bad rows listed in a report; the rest are only counted."""
CHUNK = 2000

AT_CELL = error_template("row %(row)s, column %(column)s: %(reason)s")
AT_ROW = error_template("row %(row)s: %(reason)s")
AT_COLUMN = error_template("column %(column)s: %(reason)s")

Progress = Callable[[int, int], None]
"""Told (rows done, rows in all) while checking and again while writing."""


@dataclass(frozen=True)
class Problem:
    """A bad row (or, with `row` None, a bad file): its spreadsheet row number, the column's header name and
    the reason, a translatable template with its parameters."""

    row: int | None
    column: str | None
    reason: DomainError

    def text(self, gettext: Callable[..., str] | None = None) -> str:
        """`row N, column C: reason`, in English or through `gettext`."""
        reason = self.reason.translated(gettext) if gettext else self.reason.message
        if self.row is not None and self.column:
            template, params = AT_CELL, {"row": self.row, "column": self.column}
        elif self.row is not None:
            template, params = AT_ROW, {"row": self.row}
        elif self.column:
            template, params = AT_COLUMN, {"column": self.column}
        else:
            return reason
        return gettext(template, **params, reason=reason) if gettext else template % {**params, "reason": reason}


@dataclass
class ImportReport:
    """What an import did (or, in a dry run or with bad rows, would do)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    problems: list[Problem] = field(default_factory=list)
    bad_rows: int = 0
    """Rows with at least one problem (the problems listed stop at MAX_REPORTED rows)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line in English: the counts, or that nothing was imported."""
        if not self.ok:
            return f"{self.bad_rows} bad rows, {len(self.file_problems())} file problems: nothing was imported"
        verb = "would be" if self.dry_run else ""
        counts = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return f"{counts} ({verb} checked only, nothing written)" if verb else counts

    def file_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.row is None]

    def as_json(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
            "bad_rows": self.bad_rows,
            "problems": [p.text() for p in self.problems],
        }


def check_header(header: Sequence[str]) -> list[Problem]:
    """Unknown, repeated and missing columns; at least one `title_<locale>` is needed."""
    problems = []
    seen: set[str] = set()
    for name in header:
        if not name:
            problems.append(Problem(None, None, Invalid("a column has no name in the header row")))
        elif name in seen:
            problems.append(Problem(None, name, Invalid("the column appears twice")))
        elif name not in COLUMNS and not _text_locale(name):
            problems.append(Problem(None, name, Invalid("unknown column")))
        seen.add(name)
    for name in REQUIRED:
        if name not in seen:
            problems.append(Problem(None, name, Invalid("this column is required")))
    if not any(name.startswith("title_") for name in seen):
        problems.append(Problem(None, "title_en", Invalid("at least one title column is required, such as title_en")))
    return problems


def _text_locale(name: str) -> str | None:
    """The locale of a `title_<locale>` or `description_<locale>` column, normalized (`de`, `pt_BR`)."""
    match = TEXT_COLUMN.fullmatch(name)
    if match is None:
        return None
    try:
        return parse_form(TranslationQuery, {"locale": match[2]}, "en").locale
    except ValidationError:
        return None


def _slugs(cell: str) -> list[str]:
    """The organization slugs of an `audience` cell (separated by semicolons, commas or spaces)."""
    return [s for s in _SLUG_SEPARATORS.split(cell) if s] if cell else []


def row_listing(cells: dict[str, str], locales: dict[str, str]) -> ListingIn:
    """One row as the listing it asks for (the same forms as the exporter's page). Raises ValidationError
    or Invalid. `locales` maps text columns to their locale."""
    fields: dict[str, object] = {
        k: cells.get(k, "") for k in COLUMNS if k not in ("price_tiers", "incoterms", "audience")
    }
    fields["price_tiers"] = parse_tiers(cells.get("price_tiers", ""))
    fields["incoterms"] = parse_offers(cells.get("incoterms", ""))
    fields["audience"] = _slugs(cells.get("audience", ""))
    texts: dict[str, dict[str, str]] = {}
    for column, locale in locales.items():
        value = cells.get(column, "")
        if value.strip():
            texts.setdefault(locale, {})[column.split("_", 1)[0]] = value
    fields["translations"] = texts
    return parse_form(ListingIn, fields, "en")


def _column_of(location: Sequence[object], columns: dict[str, str]) -> str:
    """The header name of the column a schema or rule error points at (`price_tiers.0.unit_price` is in
    price_tiers, `translations.de.title` in title_de)."""
    parts = [str(p) for p in location if p != "[key]"]
    if not parts:
        return "sku"
    if parts[0] == "translations":
        kind = parts[2] if len(parts) > 2 else "title"
        if len(parts) > 1:
            return columns.get(f"{kind}_{parts[1]}", f"{kind}_{parts[1]}")
        return next((c for c in columns.values() if c.startswith("title_")), "title_en")
    return columns.get(parts[0], parts[0])


def _schema_problems(row: int, exc: ValidationError, columns: dict[str, str]) -> list[Problem]:
    problems = []
    for location, template, params in refusals(exc):
        column = _column_of(location, columns)
        problems.append(Problem(row, column, Invalid(template, column, **params, name=column)))
    return problems


class _Catalog:
    """What the rules look up, loaded once for a whole file: categories by code, the audience's
    organizations, and the exporter's listings (with their children) by SKU."""

    def __init__(self, session: Session, org: Organization, slugs: list[str]) -> None:
        self.categories = {c.code: c for c in session.scalars(select(Category))}
        self.buyers = buyers_by_slug(session, slugs)
        query = (
            select(Listing)
            .where(Listing.organization_id == org.id)
            .options(
                selectinload(Listing.translations),
                selectinload(Listing.tiers),
                selectinload(Listing.offers),
                selectinload(Listing.audience),
                selectinload(Listing.category),
            )
        )
        self.listings = {listing.sku: listing for listing in session.scalars(query)}

    def category(self, data: ListingIn) -> Category:
        code = data.category or section_of(data.hs_code)
        if code not in self.categories:
            raise Invalid("there is no category %(code)s", "category", code=code)
        return self.categories[code]


_pauses = 0
_resume = False
_pause_guard = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused (in the whole process) while the block runs, and resumed when the last
    such block ends. A large file's rows, listings and plans are millions of objects that live until the
    import ends: the collector would walk them again and again, half the time of checking the file. They are
    freed by their reference counts; the few cycles anything makes meanwhile are collected afterwards."""
    global _pauses, _resume
    with _pause_guard:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_guard:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


def import_table(
    session: Session, org: Organization, table: Table, *, dry_run: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Check every row of `table`; if all are good (and not `dry_run`), write them. The caller commits;
    with problems nothing has been written."""
    with collector_paused():
        return _import_table(session, org, table, dry_run, progress)


def _import_table(
    session: Session, org: Organization, table: Table, dry_run: bool, progress: Progress | None
) -> ImportReport:
    report = ImportReport(rows=len(table.rows), dry_run=dry_run)
    report.problems = check_header(table.header)
    if report.problems:
        return report
    columns = {name: name for name in table.header}
    locales = {name: loc for name in table.header if (loc := _text_locale(name))}
    for name, loc in locales.items():  # `title_de-DE` is read as title_de_DE; errors still name the header
        columns[f"{name.split('_', 1)[0]}_{loc}"] = name
    cell_problems: dict[int, list[Problem]] = {}
    for n, i, reason in table.cell_errors:
        cell_problems.setdefault(n, []).append(Problem(n, table.header[i], reason))
    records = [(n, dict(zip(table.header, cells, strict=False))) for n, cells in table.rows]
    slugs = [s for _, cells in records if cells.get("audience") for s in _slugs(cells["audience"])]
    catalog = _Catalog(session, org, slugs)
    plans: list[tuple[ListingIn, ListingPlan, Listing | None]] = []
    first_row: dict[str, int] = {}
    for done, (n, cells) in enumerate(records, start=1):
        sku = cells.get("sku", "").strip()
        if sku.upper() == EXAMPLE_SKU:
            example = Invalid("this is the template's example row: delete it, or give it a SKU and texts of yours")
            problems = [Problem(n, columns["sku"], example)]
        elif sku in first_row:
            clash = Invalid("SKU %(sku)s is also on row %(row)s", sku=sku, row=first_row[sku])
            problems = [Problem(n, columns["sku"], clash)]
        else:
            if sku:
                first_row[sku] = n
            problems = cell_problems.get(n) or _check_row(n, cells, locales, columns, org, catalog, plans)
        if problems:
            report.bad_rows += 1
            if report.bad_rows <= MAX_REPORTED:
                report.problems.extend(problems)
        if progress and (done % 500 == 0 or done == len(records)):
            progress(done, len(records))
    if not report.ok:
        return report
    new = [(data, plan) for data, plan, listing in plans if listing is None]
    changed = [
        (data, listing) for data, plan, listing in plans if listing is not None and listing_data(listing) != plan.wanted
    ]
    report.created, report.updated = len(new), len(changed)
    report.unchanged = len(plans) - len(new) - len(changed)
    if dry_run:
        return report
    total = len(new) + len(changed)
    for done, (data, listing) in enumerate(changed, start=1):
        apply_listing(session, org, data, listing)
        if progress and done % 500 == 0:
            progress(done, total)
    to_eur = EuroRates()
    for start in range(0, len(new), CHUNK):  # with their search rows; the updates are indexed by the ORM's hooks
        insert_listings(session, org.id, new[start : start + CHUNK], to_eur=to_eur)
        if progress:
            progress(len(changed) + min(start + CHUNK, len(new)), total)
    return report


def import_rows(
    session: Session,
    org: Organization,
    rows: Sequence[Mapping[str, str]],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """`import_table` for rows given as {column: text} (the header: the first row's columns); row numbers
    count from 2, as under a header row."""
    header = list(rows[0]) if rows else list(REQUIRED)
    table = Table(header, [(n, [row.get(name, "") for name in header]) for n, row in enumerate(rows, start=2)])
    return import_table(session, org, table, dry_run=dry_run, progress=progress)


def _check_row(
    n: int,
    cells: dict[str, str],
    locales: dict[str, str],
    columns: dict[str, str],
    org: Organization,
    catalog: _Catalog,
    plans: list[tuple[ListingIn, ListingPlan, Listing | None]],
) -> list[Problem]:
    """The row's problems; a good row's plan is appended to `plans`."""
    try:
        data = row_listing(cells, locales)
    except ValidationError as exc:
        return _schema_problems(n, exc, columns)
    except Invalid as exc:
        return [Problem(n, _column_of((exc.field or "sku").split("."), columns), exc)]
    listing = catalog.listings.get(data.sku)
    try:
        plan = plan_listing(org, data, listing, catalog.category(data), catalog.buyers)
    except Invalid as exc:
        return [Problem(n, _column_of((exc.field or "sku").split("."), columns), exc)]
    plans.append((data, plan, listing))
    return []
