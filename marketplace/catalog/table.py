"""Reading and writing the catalog file: CSV (UTF-8, with or without BOM) or XLSX, one product per row.

A problem found reading the file is a `TableError` naming what is wrong; cells come back as text (empty
cells as ""), with their spreadsheet row numbers (the header is row 1)."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, BinaryIO

from marketplace.errors import Invalid

MAX_FILE_BYTES = 16 * 1024 * 1024
"""The largest import file (the web app's upload limit too)."""
MAX_ROWS = 100_000
FORMATS = ("csv", "xlsx")
NUMBER_COLUMNS = frozenset({"moq", "lead_time_days", "stock"})
"""Columns written as numbers in XLSX (every other column is text)."""


class TableError(Invalid):
    """The file as a whole cannot be read (not CSV/XLSX, empty, too large, wrong encoding)."""


@dataclass
class Table:
    """The header (column names as written) and the rows: (spreadsheet row number, cells as text)."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    cell_errors: list[tuple[int, int, Invalid]] = field(default_factory=list)
    """Cells that are not text or numbers (formulas, dates): (row number, column index, reason)."""


def file_format(filename: str) -> str:
    """`csv` or `xlsx` by the file name's extension; a TableError for anything else."""
    suffix = Path(filename).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise TableError("the file must be CSV or XLSX (.csv or .xlsx), not %(name)s", "file", name=filename)
    return suffix


def read_table(source: str | Path | BinaryIO, filename: str | None = None) -> Table:
    """The table in a CSV or XLSX file (a path, or an open binary stream named `filename`)."""
    if isinstance(source, str | Path):
        filename = filename or str(source)
        with open(source, "rb") as handle:
            content = handle.read(MAX_FILE_BYTES + 1)
    else:
        content = source.read(MAX_FILE_BYTES + 1)
    kind = file_format(filename or "")
    if len(content) > MAX_FILE_BYTES:
        raise TableError("the file is larger than %(mb)s MB", "file", mb=MAX_FILE_BYTES // (1024 * 1024))
    if not content.strip():
        raise TableError("the file is empty", "file")
    table = _read_xlsx(content) if kind == "xlsx" else _read_csv(content)
    if not table.header or not any(table.header):
        raise TableError("the file has no header row", "file")
    if not table.rows:
        raise TableError("the file has a header row but no products", "file")
    if len(table.rows) > MAX_ROWS:
        raise TableError("the file has more than %(rows)s products; split it", "file", rows=MAX_ROWS)
    return table


def _decode(content: bytes) -> str:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise TableError("the file is in UTF-16; save it as CSV UTF-8", "file")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise TableError(
            "the file is not UTF-8 (line %(line)s; it looks like Windows-1252 or Latin-1): save it as CSV UTF-8",
            "file",
            line=line,
        ) from None


def _read_csv(content: bytes) -> Table:
    """Comma-separated, or semicolon/tab-separated as some spreadsheet programs write it (told by the header)."""
    text = _decode(content)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise TableError("the file is not valid CSV: %(reason)s", "file", reason=str(exc)) from None
    if not lines:
        raise TableError("the file is empty", "file")
    header = [h.strip() for h in lines[0]]
    rows = [(n, [unguard(c) for c in row]) for n, row in enumerate(lines[1:], start=2) if any(c.strip() for c in row)]
    return Table(header, rows)


def _read_xlsx(content: bytes) -> Table:
    """The first worksheet. Formulas and dates are refused where text is expected (they do not survive as the
    text the exporter sees); whole numbers are read as their digits."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise TableError("the file is not a valid XLSX workbook", "file") from None
    try:
        sheet = book.worksheets[0]
        header: list[str] = []
        rows: list[tuple[int, list[str]]] = []
        errors: list[tuple[int, int, Invalid]] = []
        for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if n == 1:
                header = [_header_text(v) for v in values]
                while header and not header[-1]:
                    header.pop()
                continue
            cells = list(values[: len(header)]) + [None] * (len(header) - len(values))
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
                continue
            texts = []
            for i, value in enumerate(cells):
                text, problem = _cell_text(value)
                if problem is not None:
                    errors.append((n, i, problem))
                texts.append(text)
            rows.append((n, texts))
            if len(rows) > MAX_ROWS:
                break
    finally:
        book.close()
    return Table(header, rows, errors)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet program read a cell as a formula (OWASP's list for CSV injection)."""


def guard(cell: str) -> str:
    """A text cell as an export writes it: one apostrophe before a leading formula character (and before a
    leading apostrophe), so a title such as `=HYPERLINK(...)` reaches the reader as text, never a formula."""
    return "'" + cell if cell.startswith((*FORMULA_START, "'")) else cell


def unguard(cell: str) -> str:
    """A cell as `guard` wrote it, read back: an export imports as exactly what was exported."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith((*FORMULA_START, "'")) else cell


def _header_text(value: object) -> str:
    return str(value).strip() if value is not None else ""


def _cell_text(value: object) -> tuple[str, Invalid | None]:
    if value is None:
        return "", None
    if isinstance(value, str):
        if value.startswith("="):
            return value, Invalid("this cell holds a formula; enter its value as text")
        return unguard(value), None
    if isinstance(value, bool):
        return str(value), Invalid("this cell holds TRUE or FALSE; enter text")
    if isinstance(value, datetime | date | time | timedelta):
        return str(value), Invalid("this cell holds a date; format the column as text and enter the value again")
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value)), None
        return repr(value), Invalid("this cell holds a decimal number; format the column as text and enter it again")
    return str(value), Invalid("this cell's value cannot be read as text")


def write_table(
    target: str | Path | IO[bytes], filename: str, header: Sequence[str], rows: Iterable[Sequence[str]]
) -> None:
    """Write the table as CSV (UTF-8 with BOM, so spreadsheet programs read it right) or XLSX (text cells
    formatted as text; moq, lead time and stock as numbers), by the extension of `filename`."""
    kind = file_format(filename)
    if isinstance(target, str | Path):
        with open(target, "wb") as handle:
            write_table(handle, filename, header, rows)
        return
    if kind == "csv":
        text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=True)
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([guard(cell) for cell in row] for row in rows)
        text.flush()
        text.detach()
        return
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("catalog")
    sheet.append(list(header))
    numeric = [name in NUMBER_COLUMNS for name in header]
    for row in rows:
        sheet.append([int(v) if num and v.isdigit() else guard(v) for v, num in zip(row, numeric, strict=True)])
    book.save(target)
