"""FX rates with provenance. The default provider reads the ECB reference rates shipped with the
`currencyconverter` package (offline, Decimal). A live provider would sit behind the same interface,
run by the worker, never in a web request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Context, Decimal
from functools import cache, lru_cache
from typing import Protocol

from currency_converter import CurrencyConverter, RateNotFoundError

from marketplace.errors import Invalid
from marketplace.pricing.money import Money, check_currency

_MAX_DAYS_BACK = 10
_SIGNIFICANT = Context(prec=12)  # cross rates keep 12 significant digits


@dataclass(frozen=True)
class RateSnapshot:
    """One rate and where it came from: `1 base = rate quote`."""

    base: str
    quote: str
    rate: Decimal
    source: str
    source_date: date
    fetched_at: datetime

    def convert(self, money: Money) -> Money:
        """`money` (in `base`) converted to `quote`, rounded half up to the minor unit."""
        if money.currency != self.base:
            raise ValueError(f"rate is for {self.base}, not {money.currency}")
        return Money.from_decimal(money.amount * self.rate, self.quote)

    def as_json(self) -> dict[str, str]:
        return {
            "base": self.base,
            "quote": self.quote,
            "rate": str(self.rate),
            "source": self.source,
            "source_date": self.source_date.isoformat(),
            "fetched_at": self.fetched_at.isoformat(timespec="seconds"),
        }


class RateProvider(Protocol):
    """Gives a dated rate with its provenance."""

    def rate(self, base: str, quote: str, on: date | None = None) -> RateSnapshot: ...


@cache
def _ecb() -> CurrencyConverter:
    return CurrencyConverter(decimal=True, fallback_on_missing_rate=False, fallback_on_wrong_date=False)


class EcbRates:
    """ECB euro reference rates (published on working days), as packaged with `currencyconverter`."""

    source = "ECB euro foreign exchange reference rates"

    def latest_date(self, *currencies: str) -> date:
        """The newest date on which all `currencies` have a rate."""
        bounds = _ecb().bounds
        return min(bounds[c].last_date for c in currencies if c != "EUR")

    def rate(self, base: str, quote: str, on: date | None = None) -> RateSnapshot:
        base, quote = check_currency(base), check_currency(quote)
        fetched = datetime.now(UTC)
        if base == quote:
            return RateSnapshot(base, quote, Decimal(1), "identity", on or fetched.date(), fetched)
        converter = _ecb()
        for code in (base, quote):
            if code not in converter.currencies:
                raise Invalid("no ECB reference rate for %(code)s", "currency", code=code)
        rate, published = _fixing(base, quote, min(on or fetched.date(), self.latest_date(base, quote)))
        return RateSnapshot(base, quote, rate, self.source, published, fetched)


@lru_cache(maxsize=4096)
def _fixing(base: str, quote: str, day: date) -> tuple[Decimal, date]:
    """The ECB cross rate of `base` in `quote` on `day`, or on the last working day before it, and that day
    (kept: the packaged rates do not change while the process runs, and a page of results asks for a rate
    per listing)."""
    for back in range(_MAX_DAYS_BACK):  # weekends and holidays have no fixing: take the last one
        published = day - timedelta(days=back)
        try:
            rate = Decimal(_ecb().convert(1, base, quote, date=published))
        except RateNotFoundError:
            continue
        return _SIGNIFICANT.plus(rate), published
    raise Invalid(
        "no ECB rate %(base)s/%(quote)s in the %(days)s days before %(day)s",
        "currency",
        base=base,
        quote=quote,
        days=_MAX_DAYS_BACK,
        day=day.isoformat(),
    )
