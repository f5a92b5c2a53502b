"""SQLAlchemy engine, sessions and the declarative base (sharing ledger's metadata: one schema)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter

from sqlalchemy import Connection, Engine, Table, create_engine, event, update
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from ledger.store import metadata, utcnow

__all__ = ["Base", "Database", "as_utc", "copy_rows", "on_postgres", "transition", "utcnow"]


def transition(session: Session, row: Base, column: str, old: object, new: object) -> bool:
    """Set `row.column` from `old` to `new` in the database, only if it still holds `old`.

    An UPDATE ... WHERE column = old (IS NULL for None): on PostgreSQL it waits for a concurrent
    transaction holding the row and then re-checks the condition, on SQLite writers take turns; so of two
    requests racing for the same change, exactly one gets True. The other must refuse (409)."""
    model = type(row)
    attribute = getattr(model, column)
    moved = session.execute(
        update(model)
        .where(model.id == row.id, attribute.is_(None) if old is None else attribute == old)  # type: ignore[attr-defined]
        .values({column: new}),
        execution_options={"synchronize_session": False},
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.expire(row, [column])
        return False
    setattr(row, column, new)
    return True


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp, timezone-aware: SQLite hands them back naive, and they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def on_postgres(session: Session | Connection) -> bool:
    """Whether `session` (or a connection) talks to PostgreSQL."""
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.dialect.name == "postgresql"


def copy_rows(session: Session | Connection, table: Table, rows: Sequence[Mapping[str, object]]) -> None:
    """Append `rows` (dicts with the same keys, the columns) to `table` with PostgreSQL's COPY, on the
    session's connection, so in its transaction; psycopg 3 only."""
    if not rows:
        return
    columns = list(rows[0])
    values = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    connection = session.connection() if isinstance(session, Session) else session
    driver = connection.connection.driver_connection
    names = ", ".join(columns)
    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
        write = copy.write_row
        for row in rows:
            write(values(row))


class Base(DeclarativeBase):
    """Declarative base of the marketplace tables."""

    metadata = metadata


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        kwargs: dict[str, object] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:  # a server may close pooled connections (restart, idle timeout): test each before use
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(connection: object, _record: object) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
