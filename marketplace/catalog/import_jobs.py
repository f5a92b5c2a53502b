"""Large catalog files uploaded on the exporter's pages: an import job row holds the file, its progress and
its report; a background thread of the web process checks and writes it (in one transaction, as the
command does) while the job's page shows how far it got. A job whose process ended before it finished (a
crash, a restart) is marked failed when a server starts or its page is viewed, so the exporter can retry."""

from __future__ import annotations

import io
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organization, User
from marketplace.catalog.bulk_import import ImportReport, Problem, import_table
from marketplace.catalog.models import ImportJob
from marketplace.catalog.table import TableError, read_table
from marketplace.db import Database, as_utc, on_postgres
from marketplace.errors import Invalid, NotFound
from marketplace.validate import error_template

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


ABANDONED_AFTER = timedelta(seconds=10)
"""A queued or running job this old whose runner is gone is marked failed (younger ones may still be
starting)."""
_LOCK_CLASS = 0x7477
"""The first key of the PostgreSQL advisory lock a job's runner holds (the second is the job's id)."""
_running: set[tuple[str, int]] = set()
"""(database URL, job id) of the jobs threads of this process run."""
_running_guard = threading.Lock()


def _database_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


class _Claim:
    """That this process runs a job: noted here, and on PostgreSQL an advisory lock held by a connection of
    the job's own, which the server drops with the connection when the process ends, however it ends."""

    def __init__(self, database: Database, job_id: int) -> None:
        self.key = (_database_key(database.engine), job_id)
        self.connection: Connection | None = None
        with _running_guard:
            _running.add(self.key)
        if database.engine.dialect.name == "postgresql":
            try:
                self.connection = database.engine.connect()
                self.connection.execute(text("SELECT pg_advisory_lock(:c, :j)"), {"c": _LOCK_CLASS, "j": job_id})
                self.connection.commit()
            except Exception:
                self.release()
                raise

    def release(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:c, :j)"), {"c": _LOCK_CLASS, "j": self.key[1]})
                connection.commit()
            except Exception:  # never back to the pool with the lock held
                connection.invalidate()
            finally:
                connection.close()
        with _running_guard:
            _running.discard(self.key)


def launch(database: Database, job_id: int) -> threading.Thread | None:
    """Run the job in a daemon thread of this process, which claims it before this returns. If it cannot
    start, the job stays queued, to be marked failed as one whose runner is gone (the details go to the log)."""
    try:
        claim = _Claim(database, job_id)
    except Exception:
        log.exception("catalog import job %s could not be started", job_id)
        return None
    thread = threading.Thread(
        target=_run_claimed, args=(database, job_id, claim), name=f"catalog-import-{job_id}", daemon=True
    )
    try:
        thread.start()
    except Exception:
        log.exception("catalog import job %s could not be started", job_id)
        claim.release()
        return None
    return thread


def _run_claimed(database: Database, job_id: int, claim: _Claim) -> None:
    try:
        run_job(database, job_id)
    finally:
        claim.release()


def runner_gone(session: Session, job: ImportJob) -> bool:
    """Whether `job` is queued or running with nothing running it: its process ended (a crash, a restart)
    before it finished. On PostgreSQL its runner's advisory lock is free (this takes it until the session's
    transaction ends); on SQLite, whose database one server process serves, this process does not run it."""
    if not job.running or as_utc(job.created_at) > datetime.now(UTC) - ABANDONED_AFTER:
        return False
    with _running_guard:
        if (_database_key(session.get_bind().engine), job.id) in _running:
            return False
    if on_postgres(session):
        lock = text("SELECT pg_try_advisory_xact_lock(:c, :j)")
        return bool(session.scalar(lock, {"c": _LOCK_CLASS, "j": job.id}))
    return True


STOPPED = error_template(
    "the import stopped before it finished: the server running it was stopped or restarted. Nothing was "
    "imported; upload the file again"
)


def fail_if_gone(session: Session, job: ImportJob) -> bool:
    """Mark `job` failed, with a report saying so, if its runner is gone; whether it did. The caller commits."""
    if not runner_gone(session, job):
        return False
    report = ImportReport(dry_run=job.dry_run, problems=[Problem(None, None, Invalid(STOPPED))])
    stopped = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.status.in_(("queued", "running")))
        .values(status="failed", report=report_json(report), content=None, finished_at=datetime.now(UTC)),
        execution_options={"synchronize_session": False},
    )
    session.refresh(job)
    return bool(stopped.rowcount)  # type: ignore[attr-defined]


def fail_abandoned(database: Database) -> int:
    """Mark failed every job whose runner is gone (when a server starts); how many."""
    with database.session() as session:
        jobs = session.scalars(select(ImportJob).where(ImportJob.status.in_(("queued", "running")))).all()
        return sum(fail_if_gone(session, job) for job in jobs)


def run_job(database: Database, job_id: int) -> None:
    """Check and write the job's file; store the report and drop the file. The listings are committed in one
    transaction with the job's status `done`: a job that was meanwhile marked failed imports nothing."""
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
        started = session.execute(
            update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == "queued").values(status="running")
        )
        job = session.get(ImportJob, job_id)
        if job is None or not started.rowcount:  # type: ignore[attr-defined]
            return
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
            if report.ok and not dry_run:
                if _finish(session, job_id, "done", report):
                    return
                session.rollback()  # failed meanwhile: nothing is written
                return
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
        _finish(session, job_id, status, report)


def _finish(session: Session, job_id: int, status: str, report: ImportReport) -> bool:
    """Store the job's outcome, unless it is no longer running; whether it was."""
    ended = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status == "running")
        .values(
            status=status, report=report_json(report), content=None, done=report.rows, finished_at=datetime.now(UTC)
        )
    )
    return bool(ended.rowcount)  # type: ignore[attr-defined]


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
