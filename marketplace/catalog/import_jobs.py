"""Large catalog files uploaded on the exporter's pages: an import job row holds the file, its progress and
its report; a background thread of the web process checks and writes it (in one transaction, as the
command does) while the job's page shows how far it got."""

from __future__ import annotations

import io
import logging
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organization, User
from marketplace.catalog.bulk_import import ImportReport, Problem, import_table
from marketplace.catalog.models import ImportJob
from marketplace.catalog.table import TableError, read_table
from marketplace.db import Database
from marketplace.errors import Invalid, NotFound

log = logging.getLogger(__name__)

BACKGROUND_ROWS = 2000
"""Files with more products than this are imported by a job; smaller ones within the request."""


def start_job(
    session: Session, user: User, org: Organization, filename: str, content: bytes, rows: int, *, dry_run: bool
) -> ImportJob:
    """A queued job for an uploaded file (already read once, so it is CSV or XLSX and `rows` long)."""
    job = ImportJob(
        organization_id=org.id,
        user_id=user.id,
        filename=filename[:255],
        content=content,
        dry_run=dry_run,
        status="queued",
        rows=rows,
        done=0,
    )
    session.add(job)
    session.flush()
    return job


def launch(database: Database, job_id: int) -> threading.Thread:
    """Run the job in a daemon thread of this process."""
    thread = threading.Thread(target=run_job, args=(database, job_id), name=f"catalog-import-{job_id}", daemon=True)
    thread.start()
    return thread


def run_job(database: Database, job_id: int) -> None:
    """Check and write the job's file; store the report and drop the file."""
    last, checked = [0.0], [False]

    def progress(done: int, total: int) -> None:
        """Rows checked, stored at most twice a second from a session of its own. Writing follows the
        check in the import's transaction, which SQLite would make this wait for: the page then shows
        every row checked until the report arrives."""
        now = time.monotonic()
        if checked[0] or (now - last[0] < 0.5 and done < total):
            return
        last[0], checked[0] = now, done >= total
        try:
            with database.session() as tick:
                tick.execute(update(ImportJob).where(ImportJob.id == job_id).values(done=done, rows=total))
        except OperationalError:
            pass

    with database.session() as session:
        job = session.get(ImportJob, job_id)
        if job is None:
            return
        job.status = "running"
        org = session.get(Organization, job.organization_id)
        content, filename, dry_run = job.content or b"", job.filename, job.dry_run
    try:
        with database.session() as session:
            try:
                report = import_table(
                    session,
                    session.merge(org),
                    read_table(io.BytesIO(content), filename),
                    dry_run=dry_run,
                    progress=progress,
                )
            except TableError as exc:
                report = ImportReport(dry_run=dry_run, problems=[Problem(None, None, exc)])
            if not report.ok or dry_run:
                session.rollback()
        status = "done" if report.ok else "failed"
    except Exception:  # the job page must end, whatever happened; the details go to the log
        log.exception("catalog import job %s failed", job_id)
        report = ImportReport(
            dry_run=dry_run,
            problems=[Problem(None, None, Invalid("the import stopped on an unexpected error; nothing was imported"))],
        )
        status = "failed"
    with database.session() as session:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(
                status=status, report=report_json(report), content=None, done=report.rows, finished_at=datetime.now(UTC)
            )
        )


def report_json(report: ImportReport) -> dict[str, object]:
    """The report as the job row keeps it: counts, and each problem's template and parameters (translated
    when shown)."""
    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "dry_run": report.dry_run,
        "bad_rows": report.bad_rows,
        "problems": [
            {
                "row": p.row,
                "column": p.column,
                "template": p.reason.template,
                "params": {k: str(v) if isinstance(v, Decimal) else v for k, v in p.reason.params.items()},
            }
            for p in report.problems
        ],
    }


def report_of(data: dict[str, object]) -> ImportReport:
    """The report a job row keeps, back as an ImportReport."""
    problems = [_problem(p) for p in data["problems"]]  # type: ignore[attr-defined]
    counts = {k: data[k] for k in ("rows", "created", "updated", "unchanged", "dry_run", "bad_rows")}
    return ImportReport(**counts, problems=problems)  # type: ignore[arg-type]


def _problem(stored: dict[str, object]) -> Problem:
    template, params = str(stored["template"]), dict(stored["params"])  # type: ignore[call-overload]
    return Problem(stored["row"], stored["column"], Invalid(template, **params))  # type: ignore[arg-type]


def own_job(session: Session, org: Organization, job_id: int) -> ImportJob:
    job = session.get(ImportJob, job_id)
    if job is None or job.organization_id != org.id:
        raise NotFound("no such import")
    return job
