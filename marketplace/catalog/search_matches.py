"""The listings a search's words match, held in memory as columns (one array per search-table column),
so that filters, facet counts, the four orders and keyset pages are computed over them without asking
the database again.

Counting a common word's matches is what costs at a million listings: "olive oil" matches 40,000 of
them, and every count or order over them reads each one's row. The words of a search are few and
repeat; its filters and pages vary. So the database is asked once per words (and again when the
catalog changes, `catalog.search_cache`), and each filter, count and page is array arithmetic over the
matches: well under a millisecond for tens of thousands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, select, text
from sqlalchemy.orm import Session

from marketplace.catalog.models import SEARCH_HIDDEN, SEARCH_PUBLIC, ListingSearch

S = ListingSearch
Mask = np.ndarray
HS_WIDTH = 10


def origin_code(origin: str) -> int:
    """A two-letter country code as one integer (the `origin` column's values)."""
    first, second = origin.encode("ascii")
    return first << 8 | second


def origin_name(code: int) -> str:
    return bytes((code >> 8, code & 0xFF)).decode("ascii")


@dataclass
class Matches:
    """The visible-to-someone (published) listings matching a search's words, one array per column,
    and `in_title` where the title holds every word."""

    listing_id: np.ndarray
    state: np.ndarray
    organization_id: np.ndarray
    category_id: np.ndarray
    origin: np.ndarray  # origin_code of each
    hs_code: np.ndarray  # bytes, NUL-padded to HS_WIDTH
    incoterms: np.ndarray
    moq: np.ndarray
    lead_time_days: np.ndarray
    price_eur_micro: np.ndarray
    published_us: np.ndarray
    in_title: np.ndarray
    horizon: int | None = None
    """PostgreSQL: the oldest transaction that may have been running when these were read (the rows of
    it and later ones are read again to bring them up to date)."""
    _derived: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _lock: Lock = field(default_factory=Lock, repr=False)

    def __len__(self) -> int:
        return len(self.listing_id)

    @property
    def nbytes(self) -> int:
        columns = sum(a.nbytes for a in vars(self).values() if isinstance(a, np.ndarray))
        return columns + 20 * len(self)  # and up to four orders and the grouping

    def everyone(self) -> Mask:
        return np.ones(len(self), dtype=bool)

    def public(self) -> Mask:
        """The public matches (computed once: an anonymous search asks for it every time; not to be changed)."""
        with self._lock:
            found = self._derived.get("public")
        if found is None:
            found = self.state == SEARCH_PUBLIC
            found.flags.writeable = False
            with self._lock:
                self._derived["public"] = found
        return found

    def hs_prefix(self, prefix: str) -> Mask:
        """Listings whose HS code starts with the digits `prefix`."""
        width = len(prefix)
        if width > HS_WIDTH:
            return np.zeros(len(self), dtype=bool)
        digits = self.hs_code.view(np.uint8).reshape(len(self), HS_WIDTH)[:, :width]
        return np.all(digits == np.frombuffer(prefix.encode("ascii"), dtype=np.uint8), axis=1)

    def tier(self, sort: str) -> np.ndarray:
        """The relevance tier of each match in `sort` (1: the title holds every word; 0 otherwise, and for
        the other orders)."""
        return self.in_title.astype(np.int64) if sort == "relevance" else np.zeros(len(self), dtype=np.int64)

    def key(self, sort: str) -> np.ndarray:
        return {
            "relevance": self.published_us,
            "newest": self.published_us,
            "price": self.price_eur_micro,
            "lead_time": self.lead_time_days,
        }[sort]

    def order(self, sort: str) -> np.ndarray:
        """The matches' positions in `sort`'s order: (tier, key, listing id), descending for relevance and
        newest, ascending for price and lead time (computed once per order)."""
        with self._lock:
            found = self._derived.get(sort)
        if found is None:
            tier, key, ids = self.tier(sort), self.key(sort).astype(np.int64), self.listing_id.astype(np.int64)
            found = np.lexsort((-ids, -key, -tier) if descending(sort) else (ids, key, tier)).astype(np.int32)
            with self._lock:
                self._derived[sort] = found
        return found

    def after(self, sort: str, mark: tuple[int, int | float, int]) -> Mask:
        """The matches that come after the cursor `mark` (tier, key, listing id) in `sort`'s order."""
        tier, key, ids = self.tier(sort), self.key(sort), self.listing_id
        t, k, i = mark
        if descending(sort):
            return (tier < t) | ((tier == t) & ((key < k) | ((key == k) & (ids < i))))
        return (tier > t) | ((tier == t) & ((key > k) | ((key == k) & (ids > i))))

    def page(self, sort: str, kept: Mask, wanted: int) -> list[tuple[int, int, int]]:
        """Up to `wanted` (tier, key, listing id) of the `kept` matches, in `sort`'s order."""
        chosen = _first_kept(self.order(sort), kept, wanted)
        tier, key = self.tier(sort)[chosen], self.key(sort)[chosen]
        return [(int(t), int(k), int(i)) for t, k, i in zip(tier, key, self.listing_id[chosen], strict=True)]

    def _grouping(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct (category, origin, Incoterms) of the matches as packed integers, and each match's
        index among them (computed once)."""
        with self._lock:
            found = self._derived.get("groups"), self._derived.get("group of")
        if found[0] is None or found[1] is None:
            wide = np.int64
            packed = self.category_id.astype(wide) << 32 | self.origin.astype(wide) << 16 | self.incoterms.astype(wide)
            values, group_of = np.unique(packed, return_inverse=True)
            found = values, group_of.astype(np.int32)
            with self._lock:
                self._derived["groups"], self._derived["group of"] = found
        return found  # type: ignore[return-value]

    def groups(self, masks: list[Mask]) -> Groups:
        """Every (category id, origin, Incoterms bits) combination among the matches that any mask keeps,
        with the count of each mask."""
        values, group_of = self._grouping()
        once: dict[int, np.ndarray] = {}  # the same mask given twice is counted once
        for m in masks:
            if id(m) not in once:
                once[id(m)] = np.bincount(group_of[m], minlength=len(values))
        counts = [once[id(m)] for m in masks]
        present = np.logical_or.reduce([c > 0 for c in counts])
        kept = values[present]
        return Groups(kept >> 32, (kept >> 16) & 0xFFFF, kept & 0xFFFF, [c[present] for c in counts])


@dataclass(frozen=True)
class Groups:
    """Combinations of (category id, origin as `origin_code`, Incoterms bits), one array each, and how many
    listings of each combination every one of some masks keeps (an array per mask)."""

    category_id: np.ndarray
    origin: np.ndarray
    incoterms: np.ndarray
    counts: list[np.ndarray]

    @classmethod
    def of_rows(cls, rows: list[tuple[Any, ...]], masks: int) -> Groups:
        """From rows of (category id, origin, Incoterms bits, a count per mask), as SQL counts them."""
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, empty, [empty] * masks)
        category, origin, rules, *counts = zip(*rows, strict=True)
        return cls(
            np.array(category, dtype=np.int64),
            np.array([origin_code(o) for o in origin], dtype=np.int64),
            np.array(rules, dtype=np.int64),
            [np.array(c, dtype=np.int64) for c in counts],
        )


def _first_kept(order: np.ndarray, kept: Mask, wanted: int) -> np.ndarray:
    """The first `wanted` positions in `order` that `kept` keeps, looked for in a window that grows fourfold
    until they are found: a page near the start does not look at every match."""
    found: list[np.ndarray] = []
    start, window, have = 0, max(8 * wanted, 256), 0
    while start < len(order) and have < wanted:
        part = order[start : start + window]
        found.append(part[kept[part]])
        have += len(found[-1])
        start, window = start + window, window * 4
    return np.concatenate(found)[:wanted] if found else order[:0]


def descending(sort: str) -> bool:
    return sort in ("relevance", "newest")


_COLUMNS = (
    "listing_id",
    "state",
    "organization_id",
    "category_id",
    "origin",
    "hs_code",
    "incoterms",
    "moq",
    "lead_time_days",
    "price_eur_micro",
    "published_us",
)
_HORIZON = text("SELECT CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text)")


def _horizon(session: Session) -> int | None:
    return int(session.execute(_HORIZON).scalar_one()) if session.get_bind().dialect.name == "postgresql" else None


def _arrays(rows: list[Any]) -> dict[str, np.ndarray]:
    """Search rows (the `_COLUMNS`, then whether the title matches) as one array per column."""
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [()] * (len(_COLUMNS) + 1)
    n = len(rows)

    def ints(values: Any, kind: Callable[..., Any] = np.int32) -> np.ndarray:
        return np.fromiter(values, dtype=kind, count=n)

    return {
        "listing_id": ints(columns[0]),
        "state": ints(columns[1], np.int8),
        "organization_id": ints(columns[2]),
        "category_id": ints(columns[3]),
        "origin": np.frombuffer("".join(columns[4]).encode("ascii"), dtype=">u2").astype(np.uint16),
        "hs_code": np.array(columns[5], dtype=f"S{HS_WIDTH}").reshape(n),
        "incoterms": ints(columns[6], np.int16),
        "moq": ints(columns[7]),
        "lead_time_days": ints(columns[8]),
        "price_eur_micro": ints(columns[9], np.int64),
        "published_us": ints(columns[10], np.int64),
        "in_title": np.fromiter((bool(v) for v in columns[11]), dtype=bool, count=n),
    }


def fetch_matches(session: Session, anywhere: ColumnElement[bool], in_title: ColumnElement[bool]) -> Matches:
    """The published listings `anywhere` matches, read in one query."""
    horizon = _horizon(session)
    query = select(*(getattr(S, c) for c in _COLUMNS), in_title).where(S.state != SEARCH_HIDDEN, anywhere)
    return Matches(**_arrays(session.execute(query).all()), horizon=horizon)


def refresh_matches(
    session: Session, kept: Matches, anywhere: ColumnElement[bool], in_title: ColumnElement[bool]
) -> Matches:
    """`kept` brought up to date: on PostgreSQL from the search rows written since it was read (an import
    of a few rows costs a few rows), elsewhere read again."""
    horizon = _horizon(session)
    if horizon is None or kept.horizon is None:
        return fetch_matches(session, anywhere, in_title)
    since = text("listing_search.changed >= CAST(:since AS xid8)").bindparams(since=str(kept.horizon))
    rows = session.execute(select(*(getattr(S, c) for c in _COLUMNS), in_title, anywhere).where(since)).all()
    written = np.fromiter((r[0] for r in rows), dtype=np.int32, count=len(rows))
    found = _arrays([r[:-1] for r in rows if r[-1] and r[1] != SEARCH_HIDDEN])
    staying = ~np.isin(kept.listing_id, written)
    merged = {name: np.concatenate([getattr(kept, name)[staying], found[name]]) for name in found}
    return Matches(**merged, horizon=horizon)
