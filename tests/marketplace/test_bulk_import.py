"""Importing and exporting an exporter's catalog file: through `tradewind catalog`, through the exporter's
pages, and on PostgreSQL. Every bad row is reported, and nothing is written unless every row is good."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from marketplace import create_app
from marketplace.accounts.models import Organization, Role, User
from marketplace.accounts.service import create_user
from marketplace.catalog.bulk_export import export_rows
from marketplace.catalog.bulk_import import MAX_REPORTED, import_table
from marketplace.catalog.import_jobs import BACKGROUND_ROWS, _Claim, fail_if_gone, report_of, start_job
from marketplace.catalog.models import ImportJob, Listing, ListingSearch
from marketplace.catalog.search_index import FULLTEXT_TABLE, EuroRates, search_rows
from marketplace.catalog.table import MAX_FILE_BYTES, read_table, write_table
from marketplace.cli import main
from marketplace.platform import Platform
from tests.conftest import PASSWORD, Orgs, org_of
from tests.helpers import ROOT, TRADEWIND
from tests.marketplace.test_pages import login

HEADER = [
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
    "title_de",
    "description_de",
    "title_en",
    "description_en",
]


def row(sku: str, **cells: str) -> list[str]:
    """A good row in the export's own form (so an export of it is the same cells)."""
    values = {
        "sku": sku,
        "category": "XVI",
        "hs_code": "848210",
        "origin": "DE",
        "unit": "PCE",
        "moq": "100",
        "lead_time_days": "30",
        "stock": "5000",
        "currency": "EUR",
        "price_tiers": "1:12.50;100:11.90",
        "incoterms": "FOB Hamburg;CIF Yokohama",
        "status": "published",
        "visibility": "public",
        "audience": "",
        "source_locale": "en",
        "title_de": f"Kugellager {sku}",
        "description_de": "Stahl, abgedichtet",
        "title_en": f"Ball bearing {sku}",
        "description_en": "Steel, sealed; 20 x 47 mm",
        **cells,
    }
    return [values[name] for name in HEADER]


GOOD = [row(f"BRG-{n:03d}") for n in range(1, 6)]


def write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    write_table(path, path.name, header, rows)
    return path


def run(platform: Platform, *args: str, process: bool = False) -> subprocess.CompletedProcess[str]:
    """`tradewind catalog ARGS` on the platform's database: in this process (the command's `main`, with its
    output captured), or with `process` as the installed command (which starts in seconds, not milliseconds)."""
    env = {"DATABASE_URL": platform.config.database_url, "TRADEWIND_INSTANCE": str(platform.config.instance_dir)}
    if process:
        return subprocess.run(
            [*TRADEWIND, "catalog", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            cwd=ROOT,
            timeout=120,
        )
    out, err = io.StringIO(), io.StringIO()
    with patch.dict(os.environ, env), redirect_stdout(out), redirect_stderr(err):
        code = main(["catalog", *args])
    return subprocess.CompletedProcess(["tradewind", "catalog", *args], code, out.getvalue(), err.getvalue())


def exporter_slug(platform: Platform, orgs: Orgs) -> str:
    return org_of(platform, orgs.exporter()).slug


def count(platform: Platform, slug: str) -> int:
    with platform.db.session() as s:
        org = s.scalar(select(Organization).where(Organization.slug == slug))
        return s.scalar(select(func.count()).select_from(Listing).where(Listing.organization_id == org.id)) or 0


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_bad_row_blocks_the_file_then_the_fixed_file_imports_once(
    platform: Platform, orgs: Orgs, tmp_path: Path, suffix: str
) -> None:
    slug = exporter_slug(platform, orgs)
    bad = [GOOD[0], row("BRG-002", price_tiers="1:12.505"), *GOOD[2:]]
    path = write(tmp_path / f"catalog.{suffix}", bad)

    refused = run(platform, "import", str(path), "--org", slug, process=suffix == "csv")
    assert refused.returncode == 1
    assert "row 3, column price_tiers: " in refused.stderr
    assert "EUR" in refused.stderr.split("row 3, column price_tiers: ")[1].splitlines()[0]
    assert "nothing was imported" in refused.stdout
    assert count(platform, slug) == 0

    write(path, GOOD)
    checked = run(platform, "import", str(path), "--org", slug, "--dry-run")
    assert checked.returncode == 0, checked.stderr
    assert "5 created, 0 updated, 0 unchanged" in checked.stdout and "nothing written" in checked.stdout
    assert count(platform, slug) == 0

    first = run(platform, "import", str(path), "--org", slug, process=suffix == "xlsx")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "5 created, 0 updated, 0 unchanged"
    second = run(platform, "import", str(path), "--org", slug)
    assert second.stdout.strip() == "0 created, 0 updated, 5 unchanged"

    write(path, [row("BRG-001", stock="4000"), *GOOD[1:], row("BRG-900")])
    third = run(platform, "import", str(path), "--org", slug)
    assert third.stdout.strip() == "1 created, 1 updated, 4 unchanged"
    assert count(platform, slug) == 6
    with platform.db.session() as s:  # the bulk-written listings are in the search index too
        org = s.scalar(select(Organization).where(Organization.slug == slug))
        assert_indexed_as_stored(s, org.id, 6)
        found = s.scalars(text(f"SELECT rowid FROM {FULLTEXT_TABLE} WHERE {FULLTEXT_TABLE} MATCH 'kugellag'")).all()
        assert {x.sku for x in s.scalars(select(Listing).where(Listing.id.in_(found)))} >= {"BRG-001", "BRG-900"}


def assert_indexed_as_stored(session: Session, org_id: int, listings: int) -> None:
    """The search rows of the organization's listings, which the import built from the rows it wrote, are
    the rows the search index builds from the listings as stored."""
    ids = list(session.scalars(select(Listing.id).where(Listing.organization_id == org_id)))
    stored = {r["listing_id"]: r for r in search_rows(session, ids, EuroRates())}
    table = ListingSearch.__table__
    written = (
        session.execute(
            select(*(table.c[name] for name in next(iter(stored.values())))).where(table.c.listing_id.in_(ids))
        )
        .mappings()
        .all()
    )
    assert len(written) == len(stored) == listings
    assert {r["listing_id"]: dict(r) for r in written} == stored


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_export_then_import_is_unchanged_and_the_same_cells(
    platform: Platform, orgs: Orgs, tmp_path: Path, suffix: str
) -> None:
    slug = exporter_slug(platform, orgs)
    buyer = org_of(platform, orgs.buyer()).slug
    rows = [
        *GOOD,
        row("JP-1", currency="JPY", price_tiers="1:1200;50:1100", stock="", title_de="", description_de=""),
        row("DRAFT-1", status="draft", visibility="restricted", audience=buyer, source_locale="de"),
        row("OFFER-1", incoterms="EXW Bremen;DAP Osaka, Japan", description_en='He said "fine", 100%'),
        row(
            "FORMULA-1",
            title_en=FORMULA_TITLE,
            title_de="@SUM(A1)",
            description_en="-5 mm; +cmd|' /C calc'!A0",
            description_de="'=already quoted",
        ),
    ]
    original = write(tmp_path / f"in.{suffix}", rows)
    assert run(platform, "import", str(original), "--org", slug).returncode == 0
    exported = tmp_path / f"out.{suffix}"
    done = run(platform, "export", "--org", slug, str(exported))
    assert done.returncode == 0, done.stderr
    again = run(platform, "import", str(exported), "--org", slug)
    assert again.stdout.strip() == f"0 created, 0 updated, {len(rows)} unchanged"
    exported_table, original_table = read_table(exported), read_table(original)
    assert exported_table.header == HEADER
    assert sorted(c for _, c in exported_table.rows) == sorted(c for _, c in original_table.rows)
    with platform.db.session() as s:
        titles = {t.locale: t.title for t in s.scalar(select(Listing).where(Listing.sku == "FORMULA-1")).translations}
    assert titles == {"en": FORMULA_TITLE, "de": "@SUM(A1)"}  # stored as written, shown as text
    assert not [cell for cell in raw_cells(exported) if cell.startswith(("=", "+", "-", "@"))]


FORMULA_TITLE = '=HYPERLINK("http://evil.example","Klick")'


def raw_cells(path: Path) -> list[str]:
    """Every text cell of a file as a spreadsheet program gets it (no unquoting of ours)."""
    if path.suffix == ".csv":
        return [c for line in csv.reader(io.StringIO(path.read_text("utf-8-sig"))) for c in line]
    book = load_workbook(path)
    return [c.value for r in book.worksheets[0].iter_rows() for c in r if isinstance(c.value, str)]


def test_every_bad_row_is_reported_with_its_column(platform: Platform, orgs: Orgs) -> None:
    rows = [
        row("A-1", moq="ten"),
        row("A-2", incoterms="FOB"),
        row("A-3", title_de="", description_de="nur Text"),
        row("A-1"),
        row("A-5", hs_code="7700.00"),
        row("A-6", category="no-such-category"),
        row("A-7", price_tiers="200:1.00"),
        row("A-8", source_locale="fr"),
        row("A-9", unit="XYZ", origin="QQ"),
    ]
    with platform.db.session() as s:
        report = _import(s, org_of(platform, orgs.exporter()), rows)
        assert s.scalar(select(func.count()).select_from(Listing).where(Listing.sku.like("A-%"))) == 0
    assert report.bad_rows == 9 and not report.ok
    lines = [p.text() for p in report.problems]
    assert lines[0] == "row 2, column moq: moq must be a whole number"
    assert lines[1].startswith("row 3, column incoterms: write each Incoterm with its named place")
    assert lines[2] == "row 4, column title_de: title_de is required"
    assert lines[3] == "row 5, column sku: SKU A-1 is also on row 2"
    assert lines[4] == "row 6, column hs_code: hs_code must start with an HS chapter from 01 to 97"
    assert lines[5] == "row 7, column category: there is no category no-such-category"
    assert lines[6].startswith("row 8, column price_tiers: the first price tier must start at or below")
    assert lines[7] == "row 9, column source_locale: there is no translation in fr"
    assert lines[8].startswith("row 10, column origin: ") and lines[9].startswith("row 10, column unit: ")


def _import(session, org, rows, header=HEADER, **kw):  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    write_table(buffer, "x.csv", header, rows)
    buffer.seek(0)
    return import_table(session, session.merge(org), read_table(buffer, "x.csv"), **kw)


def test_the_report_lists_the_first_bad_rows_and_counts_the_rest(
    platform: Platform, orgs: Orgs, tmp_path: Path
) -> None:
    slug = exporter_slug(platform, orgs)
    path = write(tmp_path / "many.csv", [row(f"M-{n}", moq="0") for n in range(MAX_REPORTED + 30)])
    result = run(platform, "import", str(path), "--org", slug)
    assert result.returncode == 1
    assert result.stderr.count("column moq: moq must be above 0") == MAX_REPORTED
    assert "... and 30 more bad rows" in result.stderr
    assert f"{MAX_REPORTED + 30} bad rows" in result.stdout


FILE_ERRORS = {
    "unknown column": (
        "x.csv",
        ",".join([*HEADER, "colour"]).encode() + b"\n" + b",".join(b"x" for _ in range(20)),
        "column colour: unknown column",
    ),
    "missing column": (
        "x.csv",
        b"sku,hs_code,moq,price_tiers,title_en\nA,848210,1,1:1.00,Bearing\n",
        "column incoterms: this column is required",
    ),
    "no title": (
        "x.csv",
        b"sku,hs_code,moq,price_tiers,incoterms\nA,848210,1,1:1.00,FOB Hamburg\n",
        "column title_en: at least one title column is required",
    ),
    "not csv": ("catalog.xls", b"\xd0\xcf\x11\xe0 old excel", "the file must be CSV or XLSX"),
    "broken xlsx": ("catalog.xlsx", b"sku,hs_code\n", "the file is not a valid XLSX workbook"),
    "empty": ("x.csv", b"", "the file is empty"),
    "header only": ("x.csv", ",".join(HEADER).encode() + b"\n", "the file has a header row but no products"),
    "latin-1": (
        "x.csv",
        "sku,title_de\nA,Kugellager für Förderbänder\n".encode("cp1252"),
        "the file is not UTF-8 (line 2",
    ),
    "utf-16": ("x.csv", "sku\nA\n".encode("utf-16"), "the file is in UTF-16"),
}


@pytest.mark.parametrize("case", FILE_ERRORS, ids=list(FILE_ERRORS))
def test_file_level_errors(platform: Platform, orgs: Orgs, tmp_path: Path, case: str) -> None:
    name, content, expected = FILE_ERRORS[case]
    slug = exporter_slug(platform, orgs)
    path = tmp_path / name
    path.write_bytes(content)
    result = run(platform, "import", str(path), "--org", slug)
    assert result.returncode == 1
    assert expected in result.stderr
    assert "nothing was imported" in result.stdout + result.stderr
    assert count(platform, slug) == 0


def test_a_file_too_large_or_with_too_many_rows_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"sku\n" + b"x" * MAX_FILE_BYTES)
    with pytest.raises(Exception, match="larger than 16 MB"):
        read_table(big)
    many = tmp_path / "many.csv"
    many.write_text("sku\n" + "A\n" * 100_001)
    with pytest.raises(Exception, match="more than 100000 products"):
        read_table(many)


def test_formulas_and_dates_in_xlsx_cells_are_refused(platform: Platform, orgs: Orgs, tmp_path: Path) -> None:
    import datetime

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(row("F-1"))
    bad = row("F-2")
    bad[HEADER.index("title_en")] = '=A2&" copy"'
    sheet.append(bad)
    dated = [*row("F-3")]
    sheet.append(dated)
    sheet.cell(row=4, column=HEADER.index("hs_code") + 1, value=datetime.datetime(2024, 8, 4))
    path = tmp_path / "formulas.xlsx"
    book.save(path)
    result = run(platform, "import", str(path), "--org", exporter_slug(platform, orgs))
    assert result.returncode == 1
    assert "row 3, column title_en: this cell holds a formula" in result.stderr
    assert "row 4, column hs_code: this cell holds a date" in result.stderr


def test_semicolon_separated_csv_with_a_bom_imports(platform: Platform, orgs: Orgs, tmp_path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(HEADER)
    writer.writerow(GOOD[0])
    path = tmp_path / "excel-de.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    result = run(platform, "import", str(path), "--org", exporter_slug(platform, orgs))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1 created, 0 updated, 0 unchanged"


def test_only_an_exporter_organization_can_be_named(platform: Platform, orgs: Orgs, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", GOOD)
    buyer = org_of(platform, orgs.buyer()).slug
    assert run(platform, "import", str(path), "--org", buyer).returncode == 2
    assert run(platform, "import", str(path), "--org", "no-such-org").returncode == 2


# -- pages ---------------------------------------------------------------------------------------


def login_en(client, user) -> str:  # type: ignore[no-untyped-def]
    """Signed in, pages in English (the test organizations speak German)."""
    csrf = login(client, user)
    client.get("/listings/?lang=en")
    return csrf


def upload(client, csrf: str, name: str, content: bytes, **form: str):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf, "file": (io.BytesIO(content), name), **form}
    return client.post("/listings/import", data=data, content_type="multipart/form-data")


def file_bytes(rows: list[list[str]], name: str = "c.csv") -> bytes:
    buffer = io.BytesIO()
    write_table(buffer, name, HEADER, rows)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("lang", "refused", "imported"),
    [
        ("en", "Nothing was imported.", "5 created, 0 updated, 0 unchanged"),
        ("de", "Es wurde nichts importiert.", "5 angelegt, 0 geändert, 0 unverändert"),
        ("ja", "何もインポートされていません。", "新規 5 件、更新 0 件、変更なし 0 件"),
    ],
)
def test_the_upload_page_reports_in_the_users_language(
    app, platform: Platform, orgs: Orgs, lang: str, refused: str, imported: str
) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    client = app.test_client()
    csrf = login(client, exporter)
    page = client.get(f"/listings/import?lang={lang}")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    bad = upload(client, csrf, "c.csv", file_bytes([GOOD[0], row("X", price_tiers="1:12.505")]))
    assert bad.status_code == 400
    assert refused in bad.text
    assert (
        "row 3, column price_tiers: " in bad.text
        or "3 行目、price_tiers 列: " in bad.text
        or "Zeile 3, Spalte price_tiers: " in bad.text
    )
    assert count(platform, org_of(platform, exporter).slug) == 0
    good = upload(client, csrf, "c.xlsx", file_bytes(GOOD, "c.xlsx"))
    assert good.status_code == 200 and imported in good.text
    assert count(platform, org_of(platform, exporter).slug) == 5
    download = client.get("/listings/export.xlsx")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(download.data)).active
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet.max_row == 6


def test_the_page_refuses_a_file_over_the_limit(app, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    csrf = login_en(client, orgs.exporter())
    response = upload(client, csrf, "c.csv", b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    assert response.status_code == 413
    assert "too large" in response.text


def test_a_dry_run_on_the_page_writes_nothing(app, platform: Platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    client = app.test_client()
    csrf = login_en(client, exporter)
    response = upload(client, csrf, "c.csv", file_bytes(GOOD), dry_run="1")
    assert response.status_code == 200 and "nothing was written" in response.text
    assert count(platform, org_of(platform, exporter).slug) == 0


def test_who_may_import(app, platform: Platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    with platform.db.session() as s:
        viewer = create_user(
            s,
            s.get(Organization, exporter.organization_id),
            email=f"v.{exporter.email}",
            name="V",
            password=PASSWORD,
            role=Role.VIEWER,
        )
    anonymous = app.test_client()
    assert "/login" in anonymous.get("/listings/import").headers["Location"]
    for user, status in ((orgs.buyer(), 403), (viewer, 403)):
        client = app.test_client()
        csrf = login(client, user)
        assert client.get("/listings/import").status_code == status
        assert upload(client, csrf, "c.csv", file_bytes(GOOD)).status_code == status
    assert count(platform, org_of(platform, exporter).slug) == 0
    without_csrf = app.test_client()
    login(without_csrf, exporter)
    assert upload(without_csrf, "wrong", "c.csv", file_bytes(GOOD)).status_code == 400


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_templates_example_row_is_refused_and_the_filled_template_imports(  # type: ignore[no-untyped-def]
    app, platform: Platform, orgs: Orgs, kind: str
) -> None:
    exporter = orgs.exporter()
    client = app.test_client()
    csrf = login_en(client, exporter)
    template = client.get(f"/listings/import/template.{kind}")
    assert template.status_code == 200
    table = read_table(io.BytesIO(template.data), f"t.{kind}")
    example = dict(zip(table.header, table.rows[0][1], strict=True))
    assert example["sku"].startswith("EXAMPLE") and example["title_en"].startswith("EXAMPLE")
    mine = {**example, "sku": "BRG-6204", "title_en": "Deep groove ball bearing 6204", "title_de": "Rillenkugellager"}

    forgotten = upload(client, csrf, f"t.{kind}", table_bytes(table.header, [example, mine], kind))
    assert forgotten.status_code == 400
    assert "row 2, column sku: this is the template&#39;s example row: delete it" in forgotten.text
    assert count(platform, org_of(platform, exporter).slug) == 0
    filled = upload(client, csrf, f"t.{kind}", table_bytes(table.header, [mine], kind))
    assert filled.status_code == 200 and "1 created, 0 updated, 0 unchanged" in filled.text
    assert count(platform, org_of(platform, exporter).slug) == 1


def table_bytes(header: list[str], rows: list[dict[str, str]], kind: str) -> bytes:
    buffer = io.BytesIO()
    write_table(buffer, f"x.{kind}", header, [[r[name] for name in header] for r in rows])
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("cell", "price"),
    [
        ("100:1,240", "1,240"),
        ("1:12,50", "12,50"),
        ("1:1.240,50", "1.240,50"),
        ("1:1 240", "1 240"),
        ("1:12.50 €", "12.50 €"),
    ],
)
def test_a_price_with_a_comma_or_separators_is_refused_in_every_language(
    platform: Platform, orgs: Orgs, cell: str, price: str
) -> None:
    with platform.db.session() as s:
        report = _import(s, org_of(platform, orgs.exporter()), [row("P-1", price_tiers=cell, moq="1")])
    assert [p.text() for p in report.problems] == [
        f"row 2, column price_tiers: write the price {price} as digits with a decimal point, without a comma or "
        "thousands separators, such as 1:12.50;100:11.90"
    ]


@pytest.mark.parametrize(("lang", "comma"), [("en", "12,50"), ("de", "12,50"), ("ja", "12,50")])
def test_the_pages_price_hint_shows_the_one_accepted_form(app, orgs: Orgs, lang: str, comma: str) -> None:  # type: ignore[no-untyped-def]
    """The file takes `1:12.50` in every language: the page's hint and its refusals say so, none shows a
    decimal comma."""
    client = app.test_client()
    csrf = login(client, orgs.exporter())
    page = client.get(f"/listings/import?lang={lang}")
    assert page.text.count("1:12.50;100:11.90") == 2 and comma not in page.text
    refused = upload(client, csrf, "c.csv", file_bytes([row("P-1", price_tiers="1:12,50;100:11,90")]))
    report = refused.text.split('enctype="multipart/form-data"')[0]
    assert refused.status_code == 400 and "1:12.50;100:11.90" in report and "12,50" in report  # the price refused
    assert "11,90" not in refused.text
    missing = upload(client, csrf, "c.csv", file_bytes([row("P-1", price_tiers=";")]))
    report = missing.text.split('enctype="multipart/form-data"')[0]
    assert missing.status_code == 400 and "1:12.50" in report and comma not in missing.text


# -- PostgreSQL ----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_main_case_on_postgresql(pg_platform: Platform, tmp_path: Path) -> None:
    orgs = Orgs(pg_platform)
    exporter = org_of(pg_platform, orgs.exporter())
    rows = [row(f"PG-{n:04d}") for n in range(300)]
    with pg_platform.db.session() as s:
        refused = _import(s, exporter, [*rows[:5], row("PG-X", price_tiers="1:12.505"), *rows[5:]])
        assert [p.text().split(":")[0] for p in refused.problems] == ["row 7, column price_tiers"]
    with pg_platform.db.session() as s:
        first = _import(s, exporter, rows)
        assert (first.created, first.unchanged) == (300, 0)
    with pg_platform.db.session() as s:
        assert_indexed_as_stored(s, exporter.id, 300)
    with pg_platform.db.session() as s:
        again = _import(s, exporter, rows)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 300)
        header, exported = export_rows(s, s.merge(exporter))
        assert header == HEADER and sorted(exported) == sorted(rows)


def test_a_large_file_is_imported_in_the_background_with_progress(app, platform: Platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    client = app.test_client()
    csrf = login_en(client, exporter)
    rows = [row(f"BIG-{n:05d}", status="draft") for n in range(BACKGROUND_ROWS + 1)]  # drafts: kept from the crawl
    started = upload(client, csrf, "big.csv", file_bytes(rows))
    assert started.status_code == 303
    job_page = started.headers["Location"]
    page = client.get(job_page)
    deadline = time.monotonic() + 120
    while 'http-equiv="refresh"' in page.text:
        assert "<progress" in page.text
        assert time.monotonic() < deadline, "the import job did not end"
        time.sleep(0.5)
        page = client.get(job_page)
    assert page.status_code == 200
    assert f"{BACKGROUND_ROWS + 1} created, 0 updated, 0 unchanged" in page.text
    assert count(platform, org_of(platform, exporter).slug) == BACKGROUND_ROWS + 1
    other = app.test_client()
    login(other, orgs.exporter())
    assert other.get(job_page).status_code == 404


def test_a_large_bad_file_imports_nothing_and_the_job_page_says_why(app, platform: Platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    client = app.test_client()
    csrf = login(client, exporter)  # pages in German
    rows = [row(f"BAD-{n:05d}") for n in range(BACKGROUND_ROWS + 1)]
    rows[1] = row("BAD-00001", price_tiers="1:12.505")
    job_page = upload(client, csrf, "big.csv", file_bytes(rows)).headers["Location"]
    page = client.get(job_page)
    deadline = time.monotonic() + 120
    while 'http-equiv="refresh"' in page.text:
        assert time.monotonic() < deadline, "the import job did not end"
        time.sleep(0.5)
        page = client.get(job_page)
    assert page.status_code == 400
    assert "Es wurde nichts importiert." in page.text and "Zeile 3, Spalte price_tiers: " in page.text
    assert count(platform, org_of(platform, exporter).slug) == 0


# -- jobs whose process ended ----------------------------------------------------------------------

RUNNER_THAT_CRASHES = """
import sys, time
from marketplace.catalog.import_jobs import launch
from marketplace.db import Database

launch(Database(sys.argv[1]), int(sys.argv[2]))
time.sleep(600)  # killed while the job runs
"""


def queue_job(platform: Platform, user: User, rows: list[list[str]]) -> int:
    with platform.db.session() as s:
        member = s.merge(user)
        job = start_job(
            s,
            member,
            s.get(Organization, member.organization_id),
            "big.csv",
            file_bytes(rows),
            len(rows),
            dry_run=False,
        )
        return job.id


def job_row(platform: Platform, job_id: int) -> ImportJob:
    with platform.db.session() as s:
        job = s.get(ImportJob, job_id)
        s.expunge(job)
        return job


def age(platform: Platform, job_id: int, ago: timedelta = timedelta(hours=1)) -> None:
    """As if the job had been queued `ago` (by default past the seconds a job of a live process may take to
    start)."""
    with platform.db.session() as s:
        s.execute(update(ImportJob).where(ImportJob.id == job_id).values(created_at=datetime.now(UTC) - ago))


def crash_while_running(platform: Platform, job_id: int, before_kill: Callable[[], None] = lambda: None) -> None:
    """Run the job in a process of its own and kill it (SIGKILL: no clean-up of any kind) while it runs."""
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER_THAT_CRASHES, platform.config.database_url, str(job_id)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        while job_row(platform, job_id).status == "queued":
            assert runner.poll() is None and time.monotonic() < deadline, "the runner did not start the job"
            time.sleep(0.05)
        assert job_row(platform, job_id).status == "running"
        before_kill()
    finally:
        runner.kill()
        runner.wait(30)
    assert job_row(platform, job_id).status == "running"  # what the process left behind


def wait_for_report(client, job_page: str):  # type: ignore[no-untyped-def]
    page = client.get(job_page)
    deadline = time.monotonic() + 30
    while 'http-equiv="refresh"' in page.text:
        assert time.monotonic() < deadline, "the job page still says the import runs"
        time.sleep(0.2)
        page = client.get(job_page)
    return page


def test_a_job_whose_process_crashed_is_failed_when_its_page_is_viewed(app, platform: Platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    rows = [row(f"CRASH-{n:05d}", status="draft") for n in range(6000)]
    job_id = queue_job(platform, exporter, rows)
    crash_while_running(platform, job_id)
    client = app.test_client()
    csrf = login_en(client, exporter)
    age(platform, job_id, timedelta(seconds=1))
    assert 'http-equiv="refresh"' in client.get(f"/listings/import/{job_id}").text  # a second old: may be starting
    age(platform, job_id)
    page = wait_for_report(client, f"/listings/import/{job_id}")
    assert page.status_code == 400
    assert "the import stopped before it finished: the server running it was stopped or restarted." in page.text
    assert "Nothing was imported" in page.text
    job = job_row(platform, job_id)
    assert job.status == "failed" and job.content is None and job.finished_at is not None
    assert count(platform, org_of(platform, exporter).slug) == 0
    retried = upload(client, csrf, "big.csv", file_bytes(rows[: BACKGROUND_ROWS + 1]))
    assert "created" in wait_for_report(client, retried.headers["Location"]).text  # the exporter can retry


def test_a_server_start_fails_the_jobs_left_running_and_keeps_its_own(platform: Platform, orgs: Orgs) -> None:
    exporter = orgs.exporter()
    left, own = (queue_job(platform, exporter, [row("LEFT-1")]) for _ in range(2))
    with platform.db.session() as s:
        s.execute(update(ImportJob).where(ImportJob.id.in_((left, own))).values(status="running"))
    age(platform, left)
    age(platform, own)
    claim = _Claim(platform.db, own)  # `own` is run by a thread of this process
    try:
        create_app(platform=platform)
        assert job_row(platform, left).status == "failed"
        assert job_row(platform, own).status == "running"
    finally:
        claim.release()
    with platform.db.session() as s:
        assert fail_if_gone(s, s.get(ImportJob, own))
    assert job_row(platform, own).status == "failed"
    report = report_of(job_row(platform, left).report)  # type: ignore[arg-type]
    assert report.problems[0].text().startswith("the import stopped before it finished")


@pytest.mark.postgres
def test_on_postgresql_a_job_running_in_another_process_is_left_alone_until_that_process_dies(
    pg_app, pg_platform: Platform
) -> None:  # type: ignore[no-untyped-def]
    pg_orgs = Orgs(pg_platform)
    exporter = pg_orgs.exporter()
    job_id = queue_job(pg_platform, exporter, [row(f"PGCRASH-{n:05d}") for n in range(20000)])
    client = pg_app.test_client()
    login_en(client, exporter)

    def still_running_elsewhere() -> None:
        age(pg_platform, job_id)
        page = client.get(f"/listings/import/{job_id}")
        assert page.status_code == 200 and 'http-equiv="refresh"' in page.text
        assert job_row(pg_platform, job_id).status == "running"

    crash_while_running(pg_platform, job_id, still_running_elsewhere)
    page = wait_for_report(client, f"/listings/import/{job_id}")
    assert page.status_code == 400 and "the import stopped before it finished" in page.text
    assert job_row(pg_platform, job_id).status == "failed"
    assert count(pg_platform, org_of(pg_platform, exporter).slug) == 0
