"""Units of measure: UN/ECE Recommendation 20 codes, their names (translated where shown, in labels) and
quantities written out in a locale ("100 pieces", "100 Kilogramm", "100 キログラム")."""

from __future__ import annotations

from collections.abc import Callable

from babel.numbers import format_decimal
from babel.units import format_unit

from i18n import babel_locale
from marketplace.labels import UNIT

UNITS = UNIT
"""The codes accepted for a listing's unit; a quantity is a whole number of them."""

LEGACY = {"pc": "PCE", "pcs": "PCE", "piece": "PCE", "kg": "KGM", "m": "MTR", "set": "SET", "t": "TNE", "l": "LTR"}
"""Free-text units written before codes were required, and the code each became."""

MEASURED = {
    "KGM": "mass-kilogram",
    "GRM": "mass-gram",
    "TNE": "mass-tonne",
    "LBR": "mass-pound",
    "MTR": "length-meter",
    "CMT": "length-centimeter",
    "MMT": "length-millimeter",
    "MTK": "area-square-meter",
    "MTQ": "volume-cubic-meter",
    "LTR": "volume-liter",
    "MLT": "volume-milliliter",
    "KWH": "energy-kilowatt-hour",
}
"""Units CLDR names with plural forms in every language (through Babel)."""


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural pair for extraction (`make messages`); it is translated when shown."""
    return singular, plural


COUNTED = {
    "PCE": NP_("%(count)s piece", "%(count)s pieces"),
    "H87": NP_("%(count)s piece", "%(count)s pieces"),
    "C62": NP_("%(count)s unit", "%(count)s units"),
    "SET": NP_("%(count)s set", "%(count)s sets"),
    "PR": NP_("%(count)s pair", "%(count)s pairs"),
    "DZN": NP_("%(count)s dozen", "%(count)s dozen"),
}
"""Units counted in items, which CLDR does not name: translated through the message catalogs."""


def format_quantity(quantity: int, code: str, locale: str, ngettext: Callable[..., str]) -> str:
    """`quantity` of unit `code` as a reader of `locale` writes it; `ngettext` is the request's."""
    parsed = babel_locale(locale)
    if code in MEASURED:
        return format_unit(quantity, MEASURED[code], length="long", locale=parsed)
    if code in COUNTED:
        singular, plural = COUNTED[code]
        return ngettext(singular, plural, quantity, count=format_decimal(quantity, locale=parsed))
    return f"{format_decimal(quantity, locale=parsed)} {code}"
