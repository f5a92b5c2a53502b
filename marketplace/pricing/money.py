"""Money as integer minor units plus an ISO 4217 code. Formatting goes through Babel."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, list_currencies

from i18n import babel_locale
from marketplace.errors import Invalid

KNOWN_CURRENCIES = frozenset(list_currencies())
AMOUNT = re.compile(r"[0-9]{1,15}(\.[0-9]{1,6})?")
"""An amount as people and the API write it: ASCII digits, an optional point, no exponent or separators."""
MAX_MINOR = 2**63 - 1
"""Amounts are stored as BIGINT minor units."""


def check_currency(code: str) -> str:
    """A valid ISO 4217 code, upper-cased, or Invalid."""
    code = (code or "").strip().upper()
    if code not in KNOWN_CURRENCIES:
        raise Invalid("unknown currency %(code)s", "currency", code=code)
    return code


@lru_cache(maxsize=1024)
def exponent(currency: str) -> int:
    """Digits after the decimal point (EUR 2, JPY 0)."""
    return get_currency_precision(currency)


@lru_cache(maxsize=4096)
def _formatted(minor: int, currency: str, locale: str) -> str:
    """`Money(minor, currency).format(locale)`. The text depends on nothing else (Babel's locale data does not
    change while the process runs), so recent ones are kept: a listing page shows its "from" price again in
    its first tier, and each tier twice when the viewer pays in the seller's currency."""
    return format_currency(Decimal(minor).scaleb(-exponent(currency)), currency, locale=babel_locale(locale))


@dataclass(frozen=True, order=True)
class Money:
    """An amount in minor units of `currency`."""

    minor: int
    currency: str

    @classmethod
    def parse(cls, text: str | int | Decimal, currency: str, field: str = "price") -> Money:
        """Parse a decimal amount such as "2.35"; more digits than the currency allows is an error."""
        currency = check_currency(currency)
        if isinstance(text, str) and AMOUNT.fullmatch(text.strip()):
            value = Decimal(text.strip())
        elif isinstance(text, Decimal | int) and not isinstance(text, bool):
            value = Decimal(text)
        else:
            raise Invalid("%(text)s is not an amount such as 12.50", field, text=repr(text)[:40])
        if not value.is_finite() or value < 0:
            raise Invalid("the amount must be a non-negative number", field)
        scaled = value.scaleb(exponent(currency))
        if scaled != scaled.to_integral_value():
            if exponent(currency) == 0:
                raise Invalid("%(currency)s amounts are whole numbers, without decimals", field, currency=currency)
            raise Invalid(
                "%(currency)s amounts have at most %(digits)s decimals",
                field,
                currency=currency,
                digits=exponent(currency),
            )
        if scaled > MAX_MINOR:
            raise Invalid("the amount is too large", field)
        return cls(int(scaled), currency)

    @classmethod
    def from_decimal(cls, value: Decimal, currency: str) -> Money:
        """Round a Decimal to the currency's minor unit, half up."""
        quantum = Decimal(1).scaleb(-exponent(currency))
        return cls(int(value.quantize(quantum, rounding=ROUND_HALF_UP).scaleb(exponent(currency))), currency)

    @property
    def amount(self) -> Decimal:
        """The amount in major units, exact."""
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int):
            raise TypeError("money multiplies by integers only; convert with an FX rate")
        return Money(self.minor * factor, self.currency)

    def format(self, locale: str = "en") -> str:
        """Localized text such as `1.234,50 €` (de)."""
        return _formatted(self.minor, self.currency, locale)

    def as_json(self) -> dict[str, str | int]:
        return {"currency": self.currency, "minor": self.minor, "amount": str(self.amount)}


@dataclass(frozen=True, order=True)
class TokenAmount:
    """An amount of a settlement token: integer base units with `decimals` digits, worth `currency` one to one.

    Shown exactly, so the parts of a split add up to the deposit (976.949 stays 976.949, 400 reads 400.00).
    """

    units: int
    decimals: int
    currency: str

    @property
    def amount(self) -> Decimal:
        """The amount in major units, exact, with at least the currency's own decimals."""
        exact = Decimal(self.units).scaleb(-self.decimals).normalize()
        return exact.quantize(Decimal(1).scaleb(-max(exponent(self.currency), -exact.as_tuple().exponent)))

    def format(self, locale: str = "en") -> str:
        """Localized text with every significant digit, such as `976,949 $` (de)."""
        return format_currency(self.amount, self.currency, locale=babel_locale(locale), decimal_quantization=False)

    def as_json(self) -> dict[str, str | int]:
        """The currency, whole minor units (rounded down) and the exact amount."""
        minor = self.units // 10 ** (self.decimals - exponent(self.currency))
        return {"currency": self.currency, "minor": minor, "amount": str(self.amount)}
