"""Catalog pages: browse, view in your language and currency, publish."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request, send_file, session, url_for
from flask_babel import format_number, gettext, ngettext
from pydantic import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from i18n import UI_LOCALES
from marketplace.accounts.models import OrgKind
from marketplace.accounts.service import require
from marketplace.catalog.bulk_export import export_rows, template_rows
from marketplace.catalog.bulk_import import ImportReport, Problem, import_table
from marketplace.catalog.categories import category_choices, category_tree
from marketplace.catalog.codec import OFFERS_EXAMPLE, TIERS_EXAMPLE, parse_offers, parse_tiers
from marketplace.catalog.images import image_json
from marketplace.catalog.import_jobs import BACKGROUND_ROWS, fail_if_gone, launch, own_job, report_of, start_job
from marketplace.catalog.models import INCOTERMS
from marketplace.catalog.schemas import ListingIn, SearchQuery
from marketplace.catalog.search import SORTS, SearchResult, cursor_key
from marketplace.catalog.search_request import Searched, run_search, search_language
from marketplace.catalog.service import create_listing, view_listing
from marketplace.catalog.shown import audience_slugs, read_listing
from marketplace.catalog.table import MAX_FILE_BYTES, MAX_ROWS, TableError, file_format, read_table, write_table
from marketplace.catalog.units import UNITS
from marketplace.errors import Invalid
from marketplace.validate import GIVEN_TWICE, parse_form, refusals
from marketplace.web import (
    content_locale,
    current_user,
    db,
    display_currency,
    login_required,
    platform,
    reading_connection,
    reading_session,
    repeated_args,
    rollback,
    select_locale,
)

bp = Blueprint("catalog", __name__, url_prefix="/listings")
QUERY_SAFE = "!$'()*,/:;?@"  # what werkzeug leaves unencoded in a query string, so links read as url_for's


def viewer_org_id() -> int | None:
    user = current_user()
    return user.organization_id if user else None


SEARCH_FILTERS = (
    "category",
    "origin",
    "hs",
    "incoterm",
    "moq_max",
    "lead_time_max",
    "price_min",
    "price_max",
    "exporter",
)
"""The parameters that narrow a search (the others choose its words, order, page, language or currency)."""


def search_labels(currency: str) -> dict[str, str]:
    """The search's parameters by the names a buyer reads on the form (which its error messages use too)."""
    return {
        "q": gettext("Search"),
        "sort": gettext("Sort by"),
        "category": gettext("Category"),
        "origin": gettext("Origin"),
        "hs": gettext("HS code"),
        "incoterm": gettext("Incoterm"),
        "moq_max": gettext("Minimum order at most"),
        "lead_time_max": gettext("Lead time at most (days)"),
        "price_min": gettext("Unit price from (%(currency)s)", currency=currency),
        "price_max": gettext("Unit price up to (%(currency)s)", currency=currency),
        "currency": gettext("Currency"),
        "exporter": gettext("Exporter"),
        "cursor": gettext("Next page"),
        "limit": gettext("Results per page"),
        "lang": gettext("Search language"),
        "locale": gettext("Language"),
    }


def count_text(total: int) -> str:
    """`1,234 listings` in the page's language, the number grouped as it writes numbers (`1.234 Artikel`)."""
    return ngettext("%(count)s listing", "%(count)s listings", total, count=format_number(total))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _checked_query(
    fields: dict[str, str], refused: dict[str, tuple[str, dict[str, object]]]
) -> tuple[SearchQuery, dict[str, tuple[str, dict[str, object]]]]:
    """The query of the fields that pass (but those already `refused`), and each refused field's first refusal
    (template, parameters)."""
    while True:
        passing = {k: v for k, v in fields.items() if k not in refused}
        try:
            return parse_form(SearchQuery, passing, select_locale()), refused
        except ValidationError as exc:
            before = len(refused)
            for where, template, params in refusals(exc):
                if where:
                    refused.setdefault(str(where[0]), (template, params))
            if len(refused) == before:  # no parameter left to leave out: not the parameters' fault
                raise


def search_page(template: str, fixed: dict[str, str] | None = None, **context: Any) -> Any:
    """`template` with the search form and one page of results for the query string (`fixed` filters, such
    as a storefront's exporter, always apply and are not shown as choices). A refused parameter is a 400:
    the form, the field marked with what is wrong, and no results."""
    fixed = fixed or {}
    args = {k: v for k, v in request.args.items() if k in SearchQuery.model_fields and k not in fixed}
    twice = {name: (GIVEN_TWICE, {}) for name in repeated_args(args)}
    query, refused = _checked_query(args | fixed, twice)
    currency = query.currency or display_currency()
    labels = search_labels(currency)
    errors = {  # the rule's message naming the field by its label, quoted as the page's language quotes
        name: _sentence(gettext(template, **params, name=gettext("“%(label)s”", label=labels.get(name, name))))
        for name, (template, params) in refused.items()
    }
    searched = Searched(SearchResult(items=[]))
    viewer, locale = viewer_org_id(), content_locale()  # the signed-in user looked up first: their session reads
    with reading_session() as reading:
        if not errors:
            language = query.lang or session.get("lang")  # named in the page's address, now or before
            query_in = query.model_copy(update={"lang": search_language(language, request.accept_languages, locale)})
            try:
                searched = run_search(reading, query_in, viewer, platform().rates, locale, currency, cursor_key())
            except Invalid as exc:
                if exc.field not in SearchQuery.model_fields or exc.field in fixed:
                    raise
                rollback()
                errors[exc.field] = _sentence(exc.translated(gettext))
        categories = category_choices(reading, locale)
    endpoint = request.endpoint or "catalog.index"
    kept = {k: v for k, v in args.items() if v and k != "cursor"}
    search_action = url_for(endpoint, **(request.view_args or {}))

    def link(**changes: str | None) -> str:
        """This search with some parameters changed (None removes one); back to the first page. (The query
        string as `url_for` writes it: a page of facets has dozens of these links.)"""
        merged = {**kept, **changes}
        query = urlencode([(k, v) for k, v in merged.items() if v], safe=QUERY_SAFE)
        return f"{search_action}?{query}" if query else search_action

    found = searched.found
    counted = None if errors else count_text(found.total)
    return (
        render_template(
            template,
            query=query,
            args=kept,
            found=found,
            counted=counted,
            hs_from_q=searched.hs_from_q,
            errors=errors,
            labels=labels,
            filters_open=any(args.get(name) for name in SEARCH_FILTERS),
            currency=currency,
            link=link,
            fixed=fixed,
            categories=categories,
            incoterms=INCOTERMS,
            sorts=SORTS,
            search_action=search_action,
            **context,
        ),
        400 if errors else 200,
    )


@bp.get("/")
def index() -> Any:
    return search_page("catalog/index.html")


@bp.get("/<int:listing_id>")
def show(listing_id: int) -> Any:
    viewer = viewer_org_id()
    with reading_connection() as connection:
        listing = read_listing(connection, listing_id, viewer)
        owner = listing.organization_id == viewer
        audience = audience_slugs(connection, listing.id) if owner else []
    view = view_listing(listing, content_locale(), display_currency(), platform().rates)
    pictures = [image_json(image) for image in listing.images]
    return render_template("catalog/show.html", view=view, owner=owner, audience=audience, pictures=pictures)


def listing_form(form: Any, locale: str) -> ListingIn:
    """A listing posted from the exporter's form: tiers and offers in their compact text forms, a title
    and description per language (`title_<locale>`; empty ones left out)."""
    fields: dict[str, object] = {
        key: form.get(key, "")
        for key in ListingIn.model_fields
        if key not in ("translations", "price_tiers", "incoterms", "audience")
    }
    fields["price_tiers"] = parse_tiers(form.get("price_tiers", ""), locale)
    fields["incoterms"] = parse_offers(form.get("incoterms", ""))
    fields["audience"] = [s for s in form.get("audience", "").replace(",", " ").split() if s]
    locales = dict.fromkeys(
        key.split("_", 1)[1] for key in form if key.startswith(("title_", "description_")) and "_" in key
    )
    fields["translations"] = {
        loc: {"title": form.get(f"title_{loc}", ""), "description": form.get(f"description_{loc}", "")}
        for loc in locales
        if form.get(f"title_{loc}", "").strip() or form.get(f"description_{loc}", "").strip()
    }
    return parse_form(ListingIn, fields, locale)


def listing_problems(exc: ValidationError | Invalid, currency: str) -> list[str]:
    """What is wrong with a posted listing form, every field at once, each named by its label."""
    if isinstance(exc, Invalid):
        return [_sentence(exc.translated(gettext))]
    labels = {
        "sku": "SKU",
        "hs_code": gettext("HS code"),
        "category": gettext("Category"),
        "origin": gettext("Origin (country code)"),
        "unit": gettext("Unit"),
        "moq": gettext("Minimum order"),
        "lead_time_days": gettext("Lead time (days)"),
        "stock": gettext("Stock (empty: made to order)"),
        "currency": gettext("Currency"),
        "price_tiers": gettext("Price tiers (%(currency)s)", currency=currency),
        "incoterms": gettext("Incoterms with named places"),
        "status": gettext("Status"),
        "visibility": gettext("Visibility"),
        "audience": gettext("Buyers who see a restricted listing (organization slugs)"),
        "source_locale": gettext("Source language"),
        "translations": gettext("Title"),
    }
    found = []
    for where, template, params in refusals(exc):
        label = labels.get(str(where[0]) if where else "") or ".".join(str(part) for part in where)
        found.append(_sentence(gettext(template, **params, name=gettext("“%(label)s”", label=label))))
    return list(dict.fromkeys(found))


def form_choices() -> dict[str, Any]:
    """What the listing form offers to choose from."""
    return {
        "incoterms": INCOTERMS,
        "units": UNITS,
        "categories": category_tree(db()),
        "tiers_example": TIERS_EXAMPLE,
        "offers_example": OFFERS_EXAMPLE,
        "audience_example": "acme-trading kobe-imports",
    }


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    if request.method == "GET":
        require(current_user(), OrgKind.EXPORTER)  # the same rule as publishing: others get 403, not a form
        return render_template("catalog/new.html", locales=UI_LOCALES, values={}, **form_choices())
    try:
        listing = create_listing(db(), current_user(), listing_form(request.form, select_locale()))
    except (ValidationError, Invalid) as exc:
        rollback()
        problems = listing_problems(exc, request.form.get("currency") or current_user().organization.currency)
        context = {"locales": UI_LOCALES, "values": request.form, "problems": problems, **form_choices()}
        return render_template("catalog/new.html", **context), 400
    return redirect(url_for("catalog.show", listing_id=listing.id))


MEDIA_TYPES = {
    "csv": "text/csv",  # Werkzeug adds "; charset=utf-8" to text/* itself (the file is UTF-8 with a BOM)
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _report_context(report: ImportReport | None) -> dict[str, object]:
    """The report's problems in the page's language, and how many bad rows are not listed."""
    if report is None:
        return {"report": None, "problems": [], "hidden": 0}
    listed = len({p.row for p in report.problems if p.row is not None})
    return {
        "report": report,
        "problems": [p.text(gettext) for p in report.problems],
        "hidden": report.bad_rows - listed,
    }


def _import_page(report: ImportReport | None = None, status: int = 200) -> Any:
    return (
        render_template(
            "catalog/import.html",
            **_report_context(report),
            max_mb=MAX_FILE_BYTES // (1024 * 1024),
            max_rows=MAX_ROWS,
            tiers_example=TIERS_EXAMPLE,
            offers_example=OFFERS_EXAMPLE,
        ),
        status,
    )


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_file() -> Any:
    """Upload a CSV or XLSX catalog file: checked as a whole, written only if every row is good."""
    org = require(current_user(), OrgKind.EXPORTER)
    if request.method == "GET":
        return _import_page()
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        abort(413, description=gettext("The file is larger than %(mb)s MB.", mb=MAX_FILE_BYTES // (1024 * 1024)))
    if upload is None or not upload.filename:
        report = ImportReport(problems=[Problem(None, None, TableError("choose a CSV or XLSX file"))])
        return _import_page(report, 400)
    content = upload.stream.read(MAX_FILE_BYTES + 1)
    try:
        table = read_table(io.BytesIO(content), upload.filename)
    except TableError as exc:
        return _import_page(ImportReport(problems=[Problem(None, None, exc)]), 400)
    dry_run = request.form.get("dry_run") == "1"
    if len(table.rows) > BACKGROUND_ROWS:
        job = start_job(db(), current_user(), org, upload.filename, content, len(table.rows), dry_run=dry_run)
        db().commit()
        launch(platform().db, job.id)
        return redirect(url_for("catalog.import_job", job_id=job.id), 303)
    report = import_table(db(), org, table, dry_run=dry_run)
    if not report.ok or dry_run:
        rollback()
    return _import_page(report, 200 if report.ok else 400)


@bp.get("/import/<int:job_id>")
@login_required
def import_job(job_id: int) -> Any:
    """A large file's import: its progress while it runs (the page reloads itself), then its report."""
    org = require(current_user(), OrgKind.EXPORTER)
    job = own_job(db(), org, job_id)
    if fail_if_gone(db(), job):
        db().commit()
    report = report_of(job.report) if job.report is not None else None
    status = 400 if report is not None and not report.ok else 200
    return render_template("catalog/import_job.html", job=job, **_report_context(report)), status


def _download(header: list[str], rows: list[list[str]], name: str) -> Any:
    buffer = io.BytesIO()
    write_table(buffer, name, header, rows)
    buffer.seek(0)
    return send_file(buffer, mimetype=MEDIA_TYPES[file_format(name)], as_attachment=True, download_name=name)


@bp.get("/export.<any(csv, xlsx):kind>")
@login_required
def export_file(kind: str) -> Any:
    """The exporter's listings as an import file."""
    org = require(current_user(), OrgKind.EXPORTER, write=False)
    header, rows = export_rows(db(), org)
    return _download(header, rows, f"{org.slug}-catalog.{kind}")


@bp.get("/import/template.<any(csv, xlsx):kind>")
@login_required
def template_file(kind: str) -> Any:
    """The import file's header with one example row."""
    require(current_user(), OrgKind.EXPORTER, write=False)
    return _download(*template_rows(), f"catalog-template.{kind}")
