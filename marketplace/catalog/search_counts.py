"""Facet counts and result counts of recent searches, reused for a few seconds per database.

Counting every match of a common word over a million listings is a scan; the page of results itself is
not (it stops after one page), so only the counts are kept. A catalog write through this process forgets
them at once (when its search rows are written, and again when it commits); writes by other processes
show within `COUNTS_SECONDS`."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from time import monotonic
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

COUNTS_SECONDS = 30.0
MAX_ENTRIES = 4096
_DIRTY = "search_counts_dirty"
T = TypeVar("T")


class _Counts:
    def __init__(self) -> None:
        self.lock = Lock()
        self.entries: OrderedDict[str, tuple[float, int, Any]] = OrderedDict()
        self.version = 0


_by_engine: WeakKeyDictionary[Engine, _Counts] = WeakKeyDictionary()
_guard = Lock()


def _counts(engine: Engine) -> _Counts:
    with _guard:
        found = _by_engine.get(engine)
        if found is None:
            found = _by_engine[engine] = _Counts()
        return found


def remembered(engine: Engine, key: str, compute: Callable[[], T]) -> T:
    """The value computed for `key` on this database less than `COUNTS_SECONDS` ago with no catalog
    write since, else `compute()` (kept for next time)."""
    counts, now = _counts(engine), monotonic()
    with counts.lock:
        hit = counts.entries.get(key)
        if hit is not None and hit[1] == counts.version and now - hit[0] < COUNTS_SECONDS:
            counts.entries.move_to_end(key)
            return hit[2]  # type: ignore[no-any-return]
        version = counts.version
    value = compute()
    with counts.lock:
        if counts.version == version:
            counts.entries[key] = (now, version, value)
            counts.entries.move_to_end(key)
            while len(counts.entries) > MAX_ENTRIES:
                counts.entries.popitem(last=False)
    return value


def forget(connection: Connection) -> None:
    """The catalog changes on `connection`: forget every count now, and again when it commits."""
    _forget(connection.engine)
    connection.info[_DIRTY] = True


def _forget(engine: Engine) -> None:
    counts = _counts(engine)
    with counts.lock:
        counts.version += 1
        counts.entries.clear()


@event.listens_for(Engine, "commit")
def _committed(connection: Connection) -> None:
    if connection.info.pop(_DIRTY, False):
        _forget(connection.engine)


@event.listens_for(Engine, "rollback")
def _rolled_back(connection: Connection) -> None:
    connection.info.pop(_DIRTY, None)
