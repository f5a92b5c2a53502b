"""What searches computed (the listings a query's words match, facet counts), kept in each process and
reused while the catalog has not changed.

A catalog write through this process makes every entry out of date at once. Every committed catalog
write also advances the database's catalog clock (`CatalogClock`), so other processes see it: an entry
younger than `FRESH_SECONDS` is reused as it is, an older one only after one small query finds the clock
where it was. An entry out of date is computed again, or brought up to date from the rows written since
(`refresh`: the words' matches on PostgreSQL). So a change shows in every process's searches within
`FRESH_SECONDS`, and a quiet catalog is never recounted. `KEPT_SECONDS` bounds the time since an entry
was last computed in full, whatever the clock says (a writer that died between its commit and the
clock's step is seen then, and so is a listing deleted outright)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock, RLock
from time import monotonic
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from marketplace.catalog.models import CatalogClock

FRESH_SECONDS = 5.0
KEPT_SECONDS = 600.0
MAX_BYTES = 512 * 2**20
"""Memory the entries of one database may take in a process; the least recently used go first."""
_DIRTY = "catalog_written"
_STEP = "UPDATE catalog_clock SET changes = changes + 1"
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class _Entry:
    value: Any
    size: int
    clock: int
    local: int
    checked: float
    made: float


class _Cache:
    def __init__(self) -> None:
        self.lock = Lock()
        self.entries: OrderedDict[str, _Entry] = OrderedDict()
        self.local = 0  # advanced by every catalog write through this process
        self.size = 0
        self.turns = [RLock() for _ in range(64)]  # one thread computes a key; the others wait for its value
        self.clock: int | None = None  # the clock's last reading, shared by every key
        self.clock_read = float("-inf")

    def turn(self, key: str) -> RLock:
        return self.turns[hash(key) % len(self.turns)]

    def fresh(self, key: str) -> _Entry | None:
        """The entry of `key` if it may be used without asking the database: checked against the clock less
        than `FRESH_SECONDS` ago, or made at the clock's reading, taken less than `FRESH_SECONDS` ago."""
        now = monotonic()
        with self.lock:
            hit = self.entries.get(key)
            if hit is None or hit.local != self.local:
                return None
            if now - hit.checked >= FRESH_SECONDS:
                if now - self.clock_read >= FRESH_SECONDS or hit.clock != self.clock or now - hit.made >= KEPT_SECONDS:
                    return None
                hit.checked = self.clock_read
            self.entries.move_to_end(key)
            return hit

    def reading(self, session: Session, now: float) -> int:
        """The clock's reading: the one taken less than `FRESH_SECONDS` ago, else a new one."""
        with self.lock:
            if self.clock is not None and now - self.clock_read < FRESH_SECONDS:
                return self.clock
        clock = catalog_clock(session)
        with self.lock:
            if now > self.clock_read:
                self.clock, self.clock_read = clock, now
        return clock

    def drop(self, key: str) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= entry.size


_by_engine: WeakKeyDictionary[Engine, _Cache] = WeakKeyDictionary()
_guard = Lock()


def _cache(engine: Engine) -> _Cache:
    with _guard:
        found = _by_engine.get(engine)
        if found is None:
            found = _by_engine[engine] = _Cache()
        return found


def catalog_clock(session: Session) -> int:
    """How many catalog writes the database has seen committed (the clock's reading)."""
    return int(session.scalar(select(func.coalesce(func.max(CatalogClock.changes), 0))) or 0)


def remembered(
    session: Session,
    key: str,
    compute: Callable[[], T],
    size: Callable[[T], int] = lambda _: 1,
    refresh: Callable[[T], T] | None = None,
) -> T:
    """The value kept for `key` while the catalog is unchanged, else `compute()`, or `refresh(kept)` when
    given (the kept value brought up to date); kept for next time, unless this session has catalog
    writes of its own not yet committed. `size` is a value's memory in bytes. Threads missing the same
    key at once compute it once: the others wait and take its value."""
    cache = _cache(session.get_bind().engine)
    hit = cache.fresh(key)
    if hit is not None:
        return hit.value  # type: ignore[no-any-return]
    with cache.turn(key):
        return _remembered(session, cache, key, compute, size, refresh)


def _remembered(
    session: Session,
    cache: _Cache,
    key: str,
    compute: Callable[[], T],
    size: Callable[[T], int],
    refresh: Callable[[T], T] | None,
) -> T:
    hit = cache.fresh(key)  # computed meanwhile by the thread this one waited for
    if hit is not None:
        return hit.value  # type: ignore[no-any-return]
    now = monotonic()
    with cache.lock:
        hit = cache.entries.get(key)
        local = cache.local
    clock = cache.reading(session, now)
    current = hit is not None and now - hit.made < KEPT_SECONDS
    if hit is not None and current and hit.local == local and hit.clock == clock:
        with cache.lock:
            hit.checked = now
        return hit.value  # type: ignore[no-any-return]
    made = now
    if hit is not None and current and refresh is not None:
        value, made = refresh(hit.value), hit.made
    else:
        value = compute()
    if session.connection().info.get(_DIRTY) is True:
        return value
    entry = _Entry(value, size(value), clock, local, now, made)
    with cache.lock:
        if cache.local == local:
            cache.drop(key)
            cache.entries[key] = entry
            cache.size += entry.size
            while cache.size > MAX_BYTES and len(cache.entries) > 1:
                cache.drop(next(iter(cache.entries)))
    return value


def forget(connection: Connection) -> None:
    """The catalog changes on `connection`: every entry is out of date now and again when it commits, and
    the clock advances once the commit is done."""
    _forget(connection.engine)
    connection.info[_DIRTY] = True


def _forget(engine: Engine) -> None:
    """Every entry is out of date (and brought up to date, or computed again, when next asked for)."""
    cache = _cache(engine)
    with cache.lock:
        cache.local += 1


@event.listens_for(Engine, "commit")
def _committing(connection: Connection) -> None:
    if connection.info.get(_DIRTY):
        _forget(connection.engine)
        connection.info[_DIRTY] = "committed"


@event.listens_for(Engine, "rollback")
def _rolled_back(connection: Connection) -> None:
    if connection.info.get(_DIRTY) is True:
        del connection.info[_DIRTY]
        _forget(connection.engine)


@event.listens_for(Pool, "checkin")
def _step_clock(dbapi_connection: Any, record: Any) -> None:
    """A connection whose catalog write committed comes back to the pool: step the clock in a
    transaction of its own, after the write is visible to everyone."""
    if dbapi_connection is None or record.info.pop(_DIRTY, None) != "committed":
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute(_STEP)
        cursor.close()
        dbapi_connection.commit()
    except Exception:  # the clock only hastens other processes; KEPT_SECONDS bounds what they miss
        log.warning("the catalog clock could not be advanced", exc_info=True)
        dbapi_connection.rollback()
